import type { RespValue } from '../resp/types.js';

/**
 * Commands a cluster sends to every primary, and how the answers become one. Scripts and
 * function libraries must exist on every primary, since any of them may run them; the kill
 * commands must reach whichever primary is busy.
 */
export interface FanOutPolicy {
  /** Combines the primaries' replies (in primary order) into the caller's reply. */
  merge(replies: RespValue[]): RespValue;
  /**
   * For SCRIPT KILL / FUNCTION KILL: sent on side connections (a busy node's main connection is
   * queued behind the script), and `NOTBUSY` from idle primaries is not a failure as long as one
   * primary killed something.
   */
  kill?: boolean;
  /**
   * Also sent to replicas when the cluster reads from them: the script cache is per node and
   * SCRIPT LOAD/FLUSH do not replicate, yet EVALSHA_RO may run on a replica.
   */
  replicas?: boolean;
}

const first = (replies: RespValue[]): RespValue => replies[0];

/** KEYS on a cluster: each primary lists its own keys. */
const concatenated = (replies: RespValue[]): RespValue => (replies as RespValue[][]).flat();

/** Every primary must agree (SCRIPT LOAD answers the sha, FUNCTION LOAD the library name). */
const agreed = (replies: RespValue[]): RespValue => {
  for (const reply of replies) {
    if (String(reply) !== String(replies[0]))
      throw new Error(`primaries disagree: ${replies.map(String).join(', ')}`);
  }
  return replies[0];
};

/** SCRIPT EXISTS on a cluster: a script exists only if every primary has it. */
const everywhere = (replies: RespValue[]): RespValue => {
  const lists = replies as RespValue[][];
  return lists[0].map((_, index) =>
    lists.every((list) => list[index] === 1 || list[index] === true) ? 1 : 0,
  );
};

export const FAN_OUT: ReadonlyMap<string, FanOutPolicy> = new Map<string, FanOutPolicy>([
  ['SCRIPT LOAD', { merge: agreed, replicas: true }],
  ['SCRIPT FLUSH', { merge: first, replicas: true }],
  ['SCRIPT EXISTS', { merge: everywhere, replicas: true }],
  ['SCRIPT KILL', { merge: first, kill: true, replicas: true }],
  ['FUNCTION LOAD', { merge: agreed }],
  ['FUNCTION DELETE', { merge: first }],
  ['FUNCTION FLUSH', { merge: first }],
  ['FUNCTION RESTORE', { merge: first }],
  ['FUNCTION KILL', { merge: first, kill: true, replicas: true }],
  ['FLUSHALL', { merge: first }],
  ['FLUSHDB', { merge: first }],
  ['KEYS', { merge: concatenated }],
  ['DBSIZE', { merge: (replies) => replies.reduce<number>((sum, reply) => sum + Number(reply), 0) }],
]);

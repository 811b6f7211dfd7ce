import { ArgumentError } from '../../errors.js';
import type { RedisArg, RespValue } from '../../resp/types.js';
import { asNumber, asObject } from '../replies.js';
import { command, everyPrimary, FIRST_KEY, millisecondsAt, NO_KEYS } from '../spec.js';
import { optionsOf, shown } from './argument-checks.js';
import { flattenEntries } from './strings.js';

// `readOnly` here means "safe to repeat and to answer from any node holding the data". Commands
// that describe the node or the connection they run on (INFO, ROLE, CONFIG GET, CLIENT *,
// LASTSAVE) are not marked read-only: retried after a reconnect or sent to a replica, they would
// answer about another node or connection than the caller meant.
//
// SELECT is deliberately absent: it changes the database of a connection shared by every caller
// (and lost on reconnect). Choose the database with the client's `db` option (or the URL's path) instead.

/** Configuration parameters whose values are secrets (CONFIG SET parameter value ...). */
const SECRET_PARAMETERS = new Set([
  'requirepass',
  'masterauth',
  'tls-key-file-pass',
  'tls-client-key-file-pass',
]);

function secretConfigValues(args: readonly RedisArg[]): number[] {
  const secret: number[] = [];
  for (let i = 0; i + 1 < args.length; i += 2)
    if (SECRET_PARAMETERS.has(String(args[i]).toLowerCase())) secret.push(i + 1);
  return secret;
}

const sumOfReplies = (replies: RespValue[]): RespValue =>
  replies.reduce<number>((sum, reply) => sum + Number(reply), 0);
const firstOfReplies = (replies: RespValue[]): RespValue => replies[0];

/** How FLUSHDB/FLUSHALL free memory: in the background (ASYNC) or before replying (SYNC). */
export type FlushMode = 'ASYNC' | 'SYNC';

function flushArgs(commandName: string) {
  return (mode?: FlushMode): RedisArg[] => {
    if (mode === undefined) return [];
    if (mode !== 'ASYNC' && mode !== 'SYNC') {
      throw new ArgumentError(`${commandName}: mode must be 'ASYNC' or 'SYNC', got ${shown(mode)}`);
    }
    return [mode];
  };
}

function memoryUsageArgs(key: RedisArg, usageOptions?: { samples?: number }): RedisArg[] {
  const options = optionsOf('MEMORY USAGE', usageOptions);
  if (options?.samples === undefined) return [key];
  if (!Number.isInteger(options.samples) || options.samples < 0) {
    throw new ArgumentError(
      `MEMORY USAGE: samples must be a non-negative integer, got ${shown(options.samples)}`,
    );
  }
  return [key, 'SAMPLES', options.samples];
}

/** TIME: `[seconds, microseconds]` as strings in both protocols. */
function asTime(raw: RespValue): { seconds: number; microseconds: number } {
  const [seconds, microseconds] = raw as [RespValue, RespValue];
  return { seconds: Number(seconds), microseconds: Number(microseconds) };
}

const asText = (raw: RespValue): string => raw as string;
const asOk = (raw: RespValue): 'OK' => raw as 'OK';

export const serverCommands = {
  /** https://redis.io/commands/ping/ — `'PONG'`, or `message` when given. */
  ping: command({
    name: 'PING',
    keys: NO_KEYS,
    readOnly: true,
    args: (message?: RedisArg): RedisArg[] => (message === undefined ? [] : [message]),
    // PONG is a simple string (a string on a buffers view too); the echoed message a blob string.
    reply: (raw): 'PONG' | (string & {}) => raw as string,
  }),
  /** https://redis.io/commands/echo/ */
  echo: command({
    name: 'ECHO',
    keys: NO_KEYS,
    readOnly: true,
    args: (message: RedisArg) => [message],
    reply: asText,
  }),
  /** https://redis.io/commands/info/ — the raw text, of the default sections or of those named. */
  info: command({ name: 'INFO', keys: NO_KEYS, args: (...sections: string[]) => sections, reply: asText }),
  /** https://redis.io/commands/dbsize/ — the number of keys in the current database. */
  dbsize: command({
    name: 'DBSIZE',
    keys: NO_KEYS,
    readOnly: true,
    cluster: everyPrimary(sumOfReplies),
    args: () => [],
    reply: asNumber,
  }),
  /** https://redis.io/commands/flushdb/ — deletes every key of the current database. */
  flushdb: command({
    name: 'FLUSHDB',
    keys: NO_KEYS,
    cluster: everyPrimary(firstOfReplies),
    args: flushArgs('FLUSHDB'),
    reply: asOk,
  }),
  /** https://redis.io/commands/flushall/ — deletes every key of every database. */
  flushall: command({
    name: 'FLUSHALL',
    keys: NO_KEYS,
    cluster: everyPrimary(firstOfReplies),
    args: flushArgs('FLUSHALL'),
    reply: asOk,
  }),
  /** https://redis.io/commands/time/ — the server's clock. */
  time: command({ name: 'TIME', keys: NO_KEYS, readOnly: true, args: () => [], reply: asTime }),
  /** https://redis.io/commands/config-get/ — matching parameters as a plain object (null prototype). */
  configGet: command({
    name: 'CONFIG GET',
    keys: NO_KEYS,
    args: (pattern: string, ...patterns: string[]) => [pattern, ...patterns],
    reply: asObject,
  }),
  /** https://redis.io/commands/config-set/ — `configSet({ 'maxmemory-policy': 'allkeys-lru' })`; all or none apply. */
  configSet: command({
    name: 'CONFIG SET',
    keys: NO_KEYS,
    secretArgs: secretConfigValues,
    args: (parameters: Record<string, RedisArg> | Map<RedisArg, RedisArg> | Array<[RedisArg, RedisArg]>) =>
      flattenEntries('CONFIG SET', parameters),
    reply: asOk,
  }),
  /** https://redis.io/commands/config-resetstat/ */
  configResetstat: command({ name: 'CONFIG RESETSTAT', keys: NO_KEYS, args: () => [], reply: asOk }),
  /** https://redis.io/commands/client-id/ — the id of the connection this runs on. */
  clientId: command({ name: 'CLIENT ID', keys: NO_KEYS, args: () => [], reply: asNumber }),
  /** https://redis.io/commands/client-getname/ — `null` when the connection has no name. */
  clientGetname: command({
    name: 'CLIENT GETNAME',
    keys: NO_KEYS,
    args: () => [],
    reply: (raw): string | null => raw as string | null,
  }),
  /**
   * https://redis.io/commands/client-setname/ — names the connection this runs on; a reconnect
   * forgets it; set the client's `name` option to keep one.
   */
  clientSetname: command({
    name: 'CLIENT SETNAME',
    keys: NO_KEYS,
    args: (name: RedisArg) => [name],
    reply: asOk,
  }),
  /** https://redis.io/commands/client-list/ — the raw text, one line per connection. */
  clientList: command({
    name: 'CLIENT LIST',
    keys: NO_KEYS,
    args: (options?: { type?: 'normal' | 'master' | 'replica' | 'pubsub' }): RedisArg[] => {
      const type = optionsOf('CLIENT LIST', options)?.type;
      return type === undefined ? [] : ['TYPE', type];
    },
    reply: asText,
  }),
  /** https://redis.io/commands/command-count/ — the number of commands the server knows. */
  commandCount: command({
    name: 'COMMAND COUNT',
    keys: NO_KEYS,
    readOnly: true,
    args: () => [],
    reply: asNumber,
  }),
  /** https://redis.io/commands/lastsave/ — Unix time in seconds of the last successful save. */
  lastsave: command({ name: 'LASTSAVE', keys: NO_KEYS, args: () => [], reply: asNumber }),
  /** https://redis.io/commands/swapdb/ — swaps two databases for every connection. */
  swapdb: command({
    name: 'SWAPDB',
    keys: NO_KEYS,
    args: (index1: number, index2: number) => [index1, index2],
    reply: asOk,
  }),
  /**
   * https://redis.io/commands/wait/ — blocks until `numreplicas` replicas acknowledged this
   * connection's writes or `timeout` ms passed (0: forever); the number that did.
   *
   * Unlike the other blocking commands it stays on the shared connection: the server counts the
   * writes of the connection WAIT arrives on, and this client's writes are all on that one. On a
   * connection of its own, which wrote nothing, WAIT would answer at once with every replica —
   * a false promise of durability. So it delays the commands queued behind it (keep `timeout`
   * short, or call it inside `isolated()` to wait for that connection's writes); its timeout is
   * `timeout` plus `commandTimeout`.
   */
  wait: command({
    name: 'WAIT',
    blockTime: millisecondsAt(1),
    keys: NO_KEYS,
    args: (numreplicas: number, timeout: number) => {
      if (!Number.isInteger(timeout) || timeout < 0) {
        throw new ArgumentError(
          `WAIT: timeout must be a non-negative integer of milliseconds, got ${shown(timeout)}`,
        );
      }
      return [numreplicas, timeout];
    },
    reply: asNumber,
  }),
  /** https://redis.io/commands/role/ — the raw reply, e.g. `['master', offset, [[host, port, offset], ...]]`. */
  role: command({ name: 'ROLE', keys: NO_KEYS, args: () => [], reply: (raw): unknown[] => raw as unknown[] }),
  /** https://redis.io/commands/memory-usage/ — bytes used by the key and its value, `null` if no key. */
  memoryUsage: command({
    name: 'MEMORY USAGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: memoryUsageArgs,
    reply: (raw): number | null => (raw === null ? null : Number(raw)),
  }),
};

import { createCommand } from '../client/command-factory.js';
import { type ScanRequest, scanArgs } from '../client/iterators.js';
import { Command, type CommandOptions, encodedNameOf } from '../connection/command.js';
import { ClusterError, ConnectionError, ReplyError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import type { NodeHandle, NodePool } from './node-pool.js';
import { failoverDelay, RETRY_AFTER_REFRESH } from './retry.js';
import { SLOT_COUNT, slotOf } from './slots.js';
import { parseRedirect } from './topology.js';

/**
 * SCAN-family iterations on a cluster.
 *
 * The keyspace (`scanIterator`) is scanned primary by primary, each one's SCAN to completion.
 * A cursor belongs to one server process, so a primary is never continued elsewhere: a slot
 * counts as covered once a node that owned it when its scan began, and still owned it when its
 * scan ended (as the node itself says, CLUSTER NODES), returned cursor 0. Whatever is not covered
 * — the primary failed over mid-scan, its connection dropped, a slot moved — is scanned again,
 * from cursor 0, on whoever owns it in a freshly loaded slot map, until every slot is covered.
 *
 * The guarantee is then SCAN's own (see `client/iterators.ts`) over the whole cluster: every key
 * present for the whole iteration is returned at least once, and keys may be returned more than
 * once (a restarted primary's keys again; a key that migrated, from both nodes). Writes the old
 * primary acknowledged but had not replicated when it failed are lost by the cluster itself, and
 * so are not "present". Not covered: a slot whose migration is still in progress when both scans
 * end, whose keys may be half on each node (a key moved from the unscanned part of one to the
 * scanned part of the other is missed).
 *
 * A collection (`hscanIterator` and kin) lives in one slot: its pages go to the slot's primary;
 * after MOVED, ASK (followed, and kept, to the importing node), a failover or a lost connection
 * the iteration starts again from cursor 0 on the new owner.
 */

const ignore = () => undefined;

/** What a cluster scan needs: the nodes, and how many rounds without progress it tolerates. */
export interface RouteContext {
  readonly pool: NodePool;
  readonly maxRedirections: number;
}

/** The pages of `request` on the cluster behind `context`. */
export function clusterScanPages(
  context: RouteContext,
  commandTimeout: number,
  request: ScanRequest,
  options: CommandOptions | undefined,
): AsyncGenerator<RespValue[]> {
  const pages = new PageSender(commandTimeout, request, options);
  return request.key === undefined ? keyspacePages(context, pages) : collectionPages(context, pages, request);
}

/** Sends one page (or a CLUSTER NODES) to one node, with the iteration's options and timeout. */
class PageSender {
  readonly #timeout: number;
  readonly #request: ScanRequest;
  readonly #options: CommandOptions | undefined;

  constructor(timeout: number, request: ScanRequest, options: CommandOptions | undefined) {
    this.#timeout = timeout;
    this.#request = request;
    this.#options = options;
  }

  async page(handle: NodeHandle, cursor: string, asking: boolean): Promise<RespValue[]> {
    const { connection } = handle;
    const command = createCommand(
      this.#request.spec,
      scanArgs(this.#request, cursor),
      undefined,
      this.#options,
      this.#timeout,
      (aborted) => connection.abort(aborted),
    );
    if (!command.isDone) {
      await ready(handle);
      if (asking) connection.send(internal('ASKING', []));
      connection.send(command);
    }
    return (await command.promise) as RespValue[];
  }

  /** The slots `handle`'s node serves as a primary, by its own account; undefined if a replica. */
  async ownSlots(handle: NodeHandle): Promise<Uint8Array | undefined> {
    await ready(handle);
    const command = internal('CLUSTER', ['NODES']);
    if (this.#timeout > 0) command.deadline = performance.now() + this.#timeout;
    handle.connection.send(command);
    return mySlots(String(await command.promise));
  }
}

async function ready(handle: NodeHandle): Promise<void> {
  // A node connection has no offline queue: if it is not ready, the send fails as not sent.
  if (handle.connection.status !== 'ready') await handle.ready;
}

/** Every key of every primary; see the comment at the top. */
async function* keyspacePages(context: RouteContext, pages: PageSender): AsyncGenerator<RespValue[]> {
  const { pool } = context;
  // The background map may be 30 s old; start from what the cluster says now.
  await pool.refresh();
  const covered = new Uint8Array(SLOT_COUNT);
  let uncovered = SLOT_COUNT;
  let idleRounds = 0;
  let lastError: Error | undefined;
  while (uncovered > 0) {
    const before = uncovered;
    for (const shard of pool.topology?.shards ?? []) {
      if (!shard.ranges.some(([start, end]) => covered.subarray(start, end + 1).includes(0))) continue;
      const handle = pool.handle(shard.primary);
      try {
        const ownedAtStart = await pages.ownSlots(handle);
        if (ownedAtStart === undefined) continue; // the map is stale: this node is no primary now
        let cursor = '0';
        do {
          const reply = await pages.page(handle, cursor, false);
          cursor = String(reply[0]);
          yield reply[1] as RespValue[];
        } while (cursor !== '0');
        const ownedAtEnd = await pages.ownSlots(handle);
        if (ownedAtEnd === undefined) continue; // failed over during the scan: scan its successor
        for (let slot = 0; slot < SLOT_COUNT; slot++) {
          if (ownedAtStart[slot] === 1 && ownedAtEnd[slot] === 1 && covered[slot] === 0) {
            covered[slot] = 1;
            uncovered--;
          }
        }
      } catch (error) {
        if (!isTransient(error)) throw error;
        lastError = error as Error;
      }
    }
    if (uncovered === 0) return;
    if (uncovered === before && ++idleRounds > context.maxRedirections) {
      throw new ClusterError(
        `SCAN: ${uncovered} slots could not be scanned on a primary that kept them throughout: ${lastError?.message ?? 'no primary serves them'}`,
        'SCAN_INCOMPLETE',
        false,
        { cause: lastError },
      );
    }
    if (uncovered !== before) idleRounds = 0;
    await backoff(idleRounds);
    await pool.refresh().catch(ignore);
  }
}

/** Every element of one collection, from the primary of its slot; see the comment at the top. */
async function* collectionPages(
  context: RouteContext,
  pages: PageSender,
  request: ScanRequest,
): AsyncGenerator<RespValue[]> {
  const { pool } = context;
  const slot = slotOf(request.key as NonNullable<ScanRequest['key']>);
  let cursor = '0';
  let asking: NodeHandle | undefined;
  let failures = 0;
  for (;;) {
    const handle = asking ?? pool.nodeFor(slot, false);
    let failure: Error | undefined;
    if (handle === undefined) {
      failure = new ClusterError(`${request.spec.name}: no node serves slot ${slot}`, 'NO_NODE', false);
    } else {
      try {
        const reply = await pages.page(handle, cursor, asking !== undefined);
        failures = 0;
        cursor = String(reply[0]);
        yield reply[1] as RespValue[];
        if (cursor === '0') return;
        continue;
      } catch (error) {
        if (error instanceof ReplyError && (error.code === 'MOVED' || error.code === 'ASK')) {
          const redirect = parseRedirect(error.message, handle.node.host);
          if (redirect === undefined) throw error;
          if (error.code === 'MOVED') {
            pool.moved(redirect.slot, redirect.node);
            pool.refresh().catch(ignore);
            asking = undefined;
          } else {
            // The collection moved to the importing node: stay there until MOVED says otherwise.
            asking = pool.handle(redirect.node);
          }
        } else if (!isTransient(error)) {
          throw error;
        } else {
          asking = undefined;
          pool.refresh().catch(ignore);
        }
        failure = error as Error;
      }
    }
    // Another node, or maybe another process behind the same one: the cursor means nothing there.
    cursor = '0';
    if (++failures > context.maxRedirections) throw failure;
    await backoff(failures);
  }
}

/** A failure the cluster recovers from by itself: a node down or failing over, a stale map. */
function isTransient(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  return error instanceof ReplyError && (RETRY_AFTER_REFRESH.has(error.code) || error.code === 'MOVED');
}

/**
 * The slots the node answering CLUSTER NODES serves as a primary: its `myself` line reads
 * `<id> <address> myself,master <-> ... <link-state> 0-5460 5462 [5461->-<id>]`. Slots being
 * migrated (`[...]`) still count for the node that serves them. Undefined for a replica.
 */
export function mySlots(nodes: string): Uint8Array | undefined {
  for (const line of nodes.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const flags = fields[2].split(',');
    if (!flags.includes('myself')) continue;
    if (!flags.includes('master')) return undefined;
    const slots = new Uint8Array(SLOT_COUNT);
    for (let i = 8; i < fields.length; i++) {
      const range = fields[i];
      if (range.startsWith('[')) continue;
      const dash = range.indexOf('-');
      const start = Number(dash === -1 ? range : range.slice(0, dash));
      const end = dash === -1 ? start : Number(range.slice(dash + 1));
      if (Number.isInteger(start) && Number.isInteger(end)) slots.fill(1, start, end + 1);
    }
    return slots;
  }
  return undefined;
}

function internal(name: string, args: string[]): Command {
  const command = new Command(name, encodedNameOf(name), args);
  command.promise.catch(ignore);
  return command;
}

/** Waits `failoverDelay(step)`, as routing does; step 0 (no failure yet) goes on at once. */
function backoff(step: number): Promise<void> {
  if (step === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, failoverDelay(step)));
}

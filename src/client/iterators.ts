import type { CommandHook, CommandOptions } from '../connection/command.js';
import { ConnectionError } from '../errors.js';
import { argumentError, isRedisArg } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { COMMANDS } from './commands/index.js';
import { type KeyScanOptions, pushScanOptions, type ScanOptions } from './commands/keys.js';
import type { ScoredMember } from './commands/sorted-sets.js';
import { asDouble } from './replies.js';
import type { CommandSpec } from './spec.js';

/**
 * Iterators over SCAN, HSCAN, SSCAN and ZSCAN: every page fetched in turn until the cursor comes
 * back `'0'`, one element at a time.
 *
 * What SCAN guarantees (https://redis.io/commands/scan/#scan-guarantees), and so these: every
 * element present for the whole iteration is returned at least once; an element may be returned
 * more than once; elements added or removed meanwhile may or may not be. A cursor only means
 * something to the server process that made it, so when a page is lost with its connection (the
 * server may have restarted, or failed over) the iteration starts again from cursor 0 instead of
 * trusting the old cursor: the guarantee holds, with more duplicates. On a `Cluster`,
 * `scanIterator` covers every primary and follows failovers (see `cluster/scan.ts`).
 */

/** One SCAN-family iteration, as a client or cluster runs it. */
export interface ScanRequest {
  /** SCAN, HSCAN, SSCAN or ZSCAN, described for iteration (see `ITERATION_SPECS`). */
  readonly spec: CommandSpec;
  /** The collection's key; absent for SCAN. */
  readonly key: RedisArg | undefined;
  /** What follows the cursor: MATCH, COUNT, TYPE. */
  readonly options: readonly RedisArg[];
}

/** What the iterators need from a client, a cluster or a view of either. */
export interface ScanSource {
  /** The raw items of every page (flat field/value or member/score pairs for HSCAN, ZSCAN). */
  _scanPages(request: ScanRequest, options: CommandOptions | undefined): AsyncIterable<RespValue[]>;
}

/** What the standalone iteration needs: a command run with per-call options. */
interface Runner {
  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    script: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown>;
}

/**
 * The SCAN commands as iterations send them: not retried by the connection (a cursor sent again
 * to what may be another server process could silently skip elements; the iterator restarts
 * instead), and unshaped (the iterator reads `[cursor, items]` itself).
 */
function forIteration(spec: CommandSpec): CommandSpec {
  return { ...spec, retrySafe: false, reply: undefined };
}

export const ITERATION_SPECS = {
  scan: forIteration(COMMANDS.scan as unknown as CommandSpec),
  hscan: forIteration(COMMANDS.hscan as unknown as CommandSpec),
  sscan: forIteration(COMMANDS.sscan as unknown as CommandSpec),
  zscan: forIteration(COMMANDS.zscan as unknown as CommandSpec),
};

/** Restarts after lost connections, in a row, before the iteration gives up with the error. */
const MAX_RESTARTS = 5;

/** The arguments of one page. */
export function scanArgs(request: ScanRequest, cursor: string): RedisArg[] {
  return request.key === undefined ? [cursor, ...request.options] : [request.key, cursor, ...request.options];
}

/** The pages of an iteration on one server (a `Client`), restarting from 0 after a lost connection. */
export async function* standalonePages(
  runner: Runner,
  request: ScanRequest,
  options: CommandOptions | undefined,
): AsyncGenerator<RespValue[]> {
  let cursor = '0';
  let restarts = 0;
  for (;;) {
    let reply: RespValue[];
    try {
      reply = (await runner._executeWith(
        request.spec,
        scanArgs(request, cursor),
        undefined,
        options,
      )) as RespValue[];
    } catch (error) {
      // Written, then the connection dropped: the next page goes to the reconnected server, which
      // may be a restarted process for which the cursor means nothing.
      if (error instanceof ConnectionError && error.code === 'CONNECTION_LOST' && restarts++ < MAX_RESTARTS) {
        cursor = '0';
        continue;
      }
      throw error;
    }
    restarts = 0;
    cursor = String(reply[0]);
    yield reply[1] as RespValue[];
    if (cursor === '0') return;
  }
}

/** The iterator methods of `Client`, `Cluster` and their `withOptions` views. */
export interface Iterators {
  /**
   * Every key (matching `match`, of type `type`), one at a time; on a `Cluster`, of every
   * primary. `count` is how many keys the server looks at per page (a hint, default 10).
   * Guarantees: see `iterators.ts` — present throughout means returned at least once;
   * duplicates are possible.
   */
  scanIterator(options?: KeyScanOptions): AsyncIterableIterator<string>;
  /** Every `[field, value]` of the hash at `key` (HSCAN). */
  hscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<[string, string]>;
  /** Every member of the set at `key` (SSCAN). */
  sscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<string>;
  /** Every `{ member, score }` of the sorted set at `key` (ZSCAN). */
  zscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<ScoredMember>;
}

/** `Iterators` on a buffers view: keys, fields, values and members as Buffers. */
export interface BufferIterators {
  scanIterator(options?: KeyScanOptions): AsyncIterableIterator<Buffer>;
  hscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<[Buffer, Buffer]>;
  sscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<Buffer>;
  zscanIterator(
    key: RedisArg,
    options?: ScanOptions,
  ): AsyncIterableIterator<{ member: Buffer; score: number }>;
}

function keyRequest(spec: CommandSpec, key: RedisArg, options: ScanOptions | undefined): ScanRequest {
  if (!isRedisArg(key)) throw argumentError(spec.name, 0, key);
  return { spec, key, options: pushScanOptions(spec.name, [], options) };
}

async function* each(pages: AsyncIterable<RespValue[]>): AsyncGenerator<RespValue> {
  for await (const page of pages) yield* page;
}

async function* pairs(pages: AsyncIterable<RespValue[]>): AsyncGenerator<[RespValue, RespValue]> {
  for await (const page of pages) {
    for (let i = 0; i + 1 < page.length; i += 2) yield [page[i], page[i + 1]];
  }
}

async function* scored(
  pages: AsyncIterable<RespValue[]>,
): AsyncGenerator<{ member: RespValue; score: number }> {
  for await (const page of pages) {
    for (let i = 0; i + 1 < page.length; i += 2) yield { member: page[i], score: asDouble(page[i + 1]) };
  }
}

const methods = {
  scanIterator(this: ScanSource, options?: KeyScanOptions) {
    const args = pushScanOptions('SCAN', [], options);
    if (options?.type !== undefined) args.push('TYPE', options.type);
    return each(this._scanPages({ spec: ITERATION_SPECS.scan, key: undefined, options: args }, undefined));
  },
  hscanIterator(this: ScanSource, key: RedisArg, options?: ScanOptions) {
    return pairs(this._scanPages(keyRequest(ITERATION_SPECS.hscan, key, options), undefined));
  },
  sscanIterator(this: ScanSource, key: RedisArg, options?: ScanOptions) {
    return each(this._scanPages(keyRequest(ITERATION_SPECS.sscan, key, options), undefined));
  },
  zscanIterator(this: ScanSource, key: RedisArg, options?: ScanOptions) {
    return scored(this._scanPages(keyRequest(ITERATION_SPECS.zscan, key, options), undefined));
  },
};

type AbstractConstructor = abstract new (...args: any[]) => object;

/** A subclass of `Base` (a client, cluster or view: a `ScanSource`) with the iterator methods. */
export function withIterators<Base extends AbstractConstructor>(Base: Base) {
  abstract class WithIterators extends Base implements ScanSource, Iterators {
    abstract _scanPages(
      request: ScanRequest,
      options: CommandOptions | undefined,
    ): AsyncIterable<RespValue[]>;
    scanIterator(options?: KeyScanOptions): AsyncIterableIterator<string> {
      return methods.scanIterator.call(this, options) as AsyncIterableIterator<string>;
    }
    hscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<[string, string]> {
      return methods.hscanIterator.call(this, key, options) as AsyncIterableIterator<[string, string]>;
    }
    sscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<string> {
      return methods.sscanIterator.call(this, key, options) as AsyncIterableIterator<string>;
    }
    zscanIterator(key: RedisArg, options?: ScanOptions): AsyncIterableIterator<ScoredMember> {
      return methods.zscanIterator.call(this, key, options) as AsyncIterableIterator<ScoredMember>;
    }
  }
  return WithIterators;
}

import { ArgumentError } from '../../errors.js';
import type { RedisArg } from '../../resp/types.js';
import { flattenEntries } from './strings.js';

// The options of the stream commands and how they become arguments; the descriptions are in
// `streams.ts`. Values the server would refuse are refused here first, with an `ArgumentError`.

/**
 * How XADD and XTRIM trim a stream: keep at most `maxlen` entries (MAXLEN), or drop entries with
 * IDs below `minid` (MINID). https://redis.io/commands/xtrim/
 */
export type StreamTrim = ({ maxlen: number; minid?: never } | { minid: RedisArg; maxlen?: never }) & {
  /**
   * `true` sends `~`: trim only whole internal nodes, much cheaper, possibly keeping a few more
   * entries; `false` sends `=` (exact, the server's default).
   */
  approximate?: boolean;
  /** With `approximate`: evict at most this many entries per call (LIMIT); 0 means no limit. */
  limit?: number;
};

/** Options of XADD. https://redis.io/commands/xadd/ */
export interface XaddOptions {
  /** Do not create the stream when it does not exist (NOMKSTREAM): `xadd` then returns null. */
  nomkstream?: boolean;
  /** Trim the stream in the same call. */
  trim?: StreamTrim;
}

/** Options of XRANGE and XREVRANGE. */
export interface XrangeOptions {
  /** At most this many entries (COUNT). */
  count?: number;
}

/**
 * The streams XREAD/XREADGROUP read, each with the ID to read after: `{ jobs: '$' }`, a Map or
 * `[[key, id], ...]` (for Buffer keys). All keys must share one hash slot on a cluster.
 */
export type StreamOffsets = Record<string, RedisArg> | Map<RedisArg, RedisArg> | Array<[RedisArg, RedisArg]>;

/** Options of XREAD. https://redis.io/commands/xread/ */
export interface XreadOptions {
  /** At most this many entries per stream (COUNT). */
  count?: number;
  /**
   * Wait up to this many milliseconds for an entry (BLOCK); 0 waits forever. A blocked call holds
   * its connection: give it a client of its own, and a `timeout` longer than the block.
   */
  block?: number;
}

/** Options of XREADGROUP. https://redis.io/commands/xreadgroup/ */
export interface XreadgroupOptions extends XreadOptions {
  /** Do not add the entries to the pending list: they count as acknowledged (NOACK). */
  noack?: boolean;
}

/** Options of XGROUP CREATE. https://redis.io/commands/xgroup-create/ */
export interface XgroupCreateOptions {
  /** Create the stream, empty, if it does not exist (MKSTREAM). */
  mkstream?: boolean;
  /** How many entries the group has read already, so its `lag` is right (ENTRIESREAD, Redis 7). */
  entriesRead?: number;
}

/** Options of XPENDING's extended form. https://redis.io/commands/xpending/ */
export interface XpendingRangeOptions {
  /** Only entries idle at least this many milliseconds (IDLE). */
  idle?: number;
  /** Only entries pending for this consumer. */
  consumer?: RedisArg;
}

/** Options of XCLAIM. https://redis.io/commands/xclaim/ */
export interface XclaimOptions {
  /** Set the entries' idle time to this many milliseconds (IDLE). Excludes `time`. */
  idle?: number;
  /** Set the idle time as of this Unix time in milliseconds (TIME). Excludes `idle`. */
  time?: number;
  /** Set the delivery count (RETRYCOUNT). */
  retryCount?: number;
  /** Claim even IDs that are not pending, if they exist in the stream (FORCE). */
  force?: boolean;
}

/** Options of XAUTOCLAIM. https://redis.io/commands/xautoclaim/ */
export interface XautoclaimOptions {
  /** Examine at most this many pending entries (COUNT; server default 100). */
  count?: number;
}

function wholeNumber(commandName: string, name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ArgumentError(
      `${commandName}: ${name} must be ${minimum === 0 ? 'a non-negative' : 'a positive'} integer, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/** Appends IDs given one by one or as an array (`xack(key, group, entries.map((e) => e.id))`). */
export function withIds(
  commandName: string,
  args: RedisArg[],
  ids: RedisArg | readonly RedisArg[],
  more: readonly RedisArg[],
): RedisArg[] {
  if (Array.isArray(ids)) args.push(...ids);
  else args.push(ids as RedisArg);
  args.push(...more);
  if (Array.isArray(ids) && ids.length === 0 && more.length === 0) {
    throw new ArgumentError(`${commandName}: needs at least one ID`);
  }
  return args;
}

export function pushTrim(commandName: string, args: RedisArg[], trim: StreamTrim): RedisArg[] {
  if (trim === null || typeof trim !== 'object') {
    throw new ArgumentError(`${commandName}: trim must be { maxlen } or { minid }`);
  }
  const byLength = trim.maxlen !== undefined;
  if (byLength === (trim.minid !== undefined)) {
    throw new ArgumentError(`${commandName}: trim takes exactly one of maxlen and minid`);
  }
  args.push(byLength ? 'MAXLEN' : 'MINID');
  if (trim.approximate !== undefined) args.push(trim.approximate ? '~' : '=');
  args.push(byLength ? wholeNumber(commandName, 'maxlen', trim.maxlen, 0) : (trim.minid as RedisArg));
  if (trim.limit !== undefined) {
    // The server refuses LIMIT without `~` (exact trimming has no partial form).
    if (trim.approximate !== true) throw new ArgumentError(`${commandName}: limit needs approximate: true`);
    args.push('LIMIT', wholeNumber(commandName, 'limit', trim.limit, 0));
  }
  return args;
}

export function xaddArgs(
  key: RedisArg,
  id: RedisArg,
  fields: Record<string, RedisArg> | Map<RedisArg, RedisArg> | Array<[RedisArg, RedisArg]>,
  options?: XaddOptions,
): RedisArg[] {
  const args: RedisArg[] = [key];
  if (options?.nomkstream) args.push('NOMKSTREAM');
  if (options?.trim !== undefined) pushTrim('XADD', args, options.trim);
  args.push(id, ...flattenEntries('XADD', fields));
  return args;
}

export function rangeArgs(commandName: string) {
  return (key: RedisArg, from: RedisArg, to: RedisArg, options?: XrangeOptions): RedisArg[] => {
    const args: RedisArg[] = [key, from, to];
    if (options?.count !== undefined) args.push('COUNT', wholeNumber(commandName, 'count', options.count, 1));
    return args;
  };
}

function pushStreams(commandName: string, args: RedisArg[], streams: StreamOffsets): RedisArg[] {
  const keys: RedisArg[] = [];
  const ids: RedisArg[] = [];
  if (streams instanceof Map || Array.isArray(streams)) {
    for (const pair of streams) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ArgumentError(`${commandName}: streams must be [key, id] pairs`);
      }
      keys.push(pair[0]);
      ids.push(pair[1]);
    }
  } else if (streams !== null && typeof streams === 'object') {
    for (const key of Object.keys(streams)) {
      keys.push(key);
      ids.push(streams[key]);
    }
  } else {
    throw new ArgumentError(`${commandName}: streams must be an object, Map or array of [key, id] pairs`);
  }
  if (keys.length === 0) throw new ArgumentError(`${commandName}: needs at least one stream`);
  args.push('STREAMS', ...keys, ...ids);
  return args;
}

function pushReadOptions(commandName: string, args: RedisArg[], options: XreadOptions | undefined): void {
  if (options?.count !== undefined) args.push('COUNT', wholeNumber(commandName, 'count', options.count, 1));
  if (options?.block !== undefined) args.push('BLOCK', wholeNumber(commandName, 'block', options.block, 0));
}

export function xreadArgs(streams: StreamOffsets, options?: XreadOptions): RedisArg[] {
  const args: RedisArg[] = [];
  pushReadOptions('XREAD', args, options);
  return pushStreams('XREAD', args, streams);
}

export function xreadgroupArgs(
  group: RedisArg,
  consumer: RedisArg,
  streams: StreamOffsets,
  options?: XreadgroupOptions,
): RedisArg[] {
  const args: RedisArg[] = ['GROUP', group, consumer];
  pushReadOptions('XREADGROUP', args, options);
  if (options?.noack) args.push('NOACK');
  return pushStreams('XREADGROUP', args, streams);
}

export function xgroupCreateArgs(
  key: RedisArg,
  group: RedisArg,
  id: RedisArg,
  options?: XgroupCreateOptions,
): RedisArg[] {
  const args: RedisArg[] = [key, group, id];
  if (options?.mkstream) args.push('MKSTREAM');
  if (options?.entriesRead !== undefined) {
    args.push('ENTRIESREAD', wholeNumber('XGROUP CREATE', 'entriesRead', options.entriesRead, 0));
  }
  return args;
}

export function xgroupSetidArgs(
  key: RedisArg,
  group: RedisArg,
  id: RedisArg,
  options?: { entriesRead?: number },
): RedisArg[] {
  const args: RedisArg[] = [key, group, id];
  if (options?.entriesRead !== undefined) {
    args.push('ENTRIESREAD', wholeNumber('XGROUP SETID', 'entriesRead', options.entriesRead, 0));
  }
  return args;
}

export function xpendingRangeArgs(
  key: RedisArg,
  group: RedisArg,
  start: RedisArg,
  end: RedisArg,
  count: number,
  options?: XpendingRangeOptions,
): RedisArg[] {
  const args: RedisArg[] = [key, group];
  if (options?.idle !== undefined) args.push('IDLE', wholeNumber('XPENDING', 'idle', options.idle, 0));
  args.push(start, end, wholeNumber('XPENDING', 'count', count, 1));
  if (options?.consumer !== undefined) args.push(options.consumer);
  return args;
}

export function xclaimArgs(justId: boolean) {
  return (
    key: RedisArg,
    group: RedisArg,
    consumer: RedisArg,
    minIdleTime: number,
    ids: RedisArg | readonly RedisArg[],
    options?: XclaimOptions,
  ): RedisArg[] => {
    const list = Array.isArray(ids) ? ids : [ids as RedisArg];
    if (list.length === 0) throw new ArgumentError('XCLAIM: needs at least one ID');
    const args: RedisArg[] = [
      key,
      group,
      consumer,
      wholeNumber('XCLAIM', 'minIdleTime', minIdleTime, 0),
      ...list,
    ];
    if (options !== undefined) {
      if (options.idle !== undefined && options.time !== undefined) {
        throw new ArgumentError('XCLAIM: idle and time cannot be used together');
      }
      if (options.idle !== undefined) args.push('IDLE', wholeNumber('XCLAIM', 'idle', options.idle, 0));
      if (options.time !== undefined) args.push('TIME', wholeNumber('XCLAIM', 'time', options.time, 0));
      if (options.retryCount !== undefined) {
        args.push('RETRYCOUNT', wholeNumber('XCLAIM', 'retryCount', options.retryCount, 0));
      }
      if (options.force) args.push('FORCE');
    }
    if (justId) args.push('JUSTID');
    return args;
  };
}

export function xautoclaimArgs(justId: boolean) {
  return (
    key: RedisArg,
    group: RedisArg,
    consumer: RedisArg,
    minIdleTime: number,
    start: RedisArg,
    options?: XautoclaimOptions,
  ): RedisArg[] => {
    const args: RedisArg[] = [
      key,
      group,
      consumer,
      wholeNumber('XAUTOCLAIM', 'minIdleTime', minIdleTime, 0),
      start,
    ];
    if (options?.count !== undefined)
      args.push('COUNT', wholeNumber('XAUTOCLAIM', 'count', options.count, 1));
    if (justId) args.push('JUSTID');
    return args;
  };
}

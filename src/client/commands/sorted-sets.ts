import { ArgumentError } from '../../errors.js';
import type { RedisArg, RespValue } from '../../resp/types.js';
import { asDouble, asNullableDouble, asNumber } from '../replies.js';
import { type ByProtocol, command, FIRST_KEY, secondsAt, type Unbuffered } from '../spec.js';
import { optionsOf, shown } from './argument-checks.js';
import { pushScanOptions, type ScanOptions, scanCursor } from './keys.js';
import { ALL_KEYS_BUT_LAST } from './lists.js';

/**
 * A member and its score, the shape of every WITHSCORES-like reply. A type alias, not an
 * interface, so `Bufferize` maps `member` to `Buffer` for `withOptions({ buffers: true })`.
 */
export type ScoredMember = {
  member: string;
  score: number;
};

/**
 * A score bound: a number (`Infinity` is sent as `+inf`), or Redis's own spelling such as
 * `'(1.5'` (exclusive), `'-inf'` or `'+inf'`. https://redis.io/commands/zrangebyscore/
 */
export type ScoreBound = number | string;

/** Options of ZADD. https://redis.io/commands/zadd/ */
export interface ZaddOptions {
  /** Only add new members (NX) or only update existing ones (XX). */
  condition?: 'NX' | 'XX';
  /** Only update a score if the new one is greater (GT) or less (LT); excludes `condition: 'NX'`. */
  comparison?: 'GT' | 'LT';
  /** Count changed members too, not only added ones (CH). */
  ch?: boolean;
}

/** OFFSET and COUNT of a range by score or lex; a negative `count` means all. */
export interface RangeLimit {
  offset: number;
  count: number;
}

/** Options of ZRANGE. https://redis.io/commands/zrange/ */
export interface ZrangeOptions {
  /** `start`/`stop` are scores (BYSCORE) or lex bounds like `'[a'` (BYLEX) instead of ranks. */
  by?: 'SCORE' | 'LEX';
  /** Highest first (REV); with `by`, `start` is then the upper bound and `stop` the lower. */
  rev?: boolean;
  /** Needs `by`. */
  limit?: RangeLimit;
}

/** Options of ZUNIONSTORE and ZINTERSTORE. https://redis.io/commands/zunionstore/ */
export interface ZstoreOptions {
  /** One multiplication factor per source key (WEIGHTS). */
  weights?: number[];
  /** How scores of the same member combine (AGGREGATE); SUM by default. */
  aggregate?: 'SUM' | 'MIN' | 'MAX';
}

/** `[m1, '1', m2, '2']` (scores as strings or doubles) as `{ member, score }[]`. */
export function scoredFromFlat(raw: RespValue): ScoredMember[] {
  const flat = raw as RespValue[];
  const members: ScoredMember[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2)
    members.push({ member: flat[i] as string, score: asDouble(flat[i + 1]) });
  return members;
}

/** `[[m1, 1], [m2, 2]]` as `{ member, score }[]`. */
export function scoredFromPairs(raw: RespValue): ScoredMember[] {
  return (raw as RespValue[][]).map((pair) => ({ member: pair[0] as string, score: asDouble(pair[1]) }));
}

/**
 * Member/score replies (ZRANGE WITHSCORES, ZPOPMIN, ...): RESP2 sends a flat `[m1, '1', m2, '2']`
 * with scores as strings, RESP3 pairs `[[m1, 1], [m2, 2]]` with doubles — except a single pair
 * (ZPOPMIN without count), which RESP3 also sends flat.
 */
export const asScoredMembers: ByProtocol<ScoredMember[]> = {
  resp2: scoredFromFlat,
  resp3: (raw: RespValue[]) =>
    raw.length > 0 && !Array.isArray(raw[0]) ? scoredFromFlat(raw) : scoredFromPairs(raw),
};

function pushZaddOptions(args: RedisArg[], zaddOptions: ZaddOptions | undefined): void {
  const options = optionsOf('ZADD', zaddOptions);
  if (options === undefined) return;
  const { condition, comparison } = options;
  if (condition !== undefined && condition !== 'NX' && condition !== 'XX') {
    throw new ArgumentError(`ZADD: condition must be 'NX' or 'XX', got ${shown(condition)}`);
  }
  if (comparison !== undefined && comparison !== 'GT' && comparison !== 'LT') {
    throw new ArgumentError(`ZADD: comparison must be 'GT' or 'LT', got ${shown(comparison)}`);
  }
  if (condition === 'NX' && comparison !== undefined) {
    throw new ArgumentError(`ZADD: condition 'NX' cannot be combined with comparison '${comparison}'`);
  }
  if (condition !== undefined) args.push(condition);
  if (comparison !== undefined) args.push(comparison);
  if (options.ch) args.push('CH');
}

function zaddArgs(
  key: RedisArg,
  members: Array<{ score: number; member: RedisArg }> | Record<string, number> | Map<RedisArg, number>,
  options?: ZaddOptions,
): RedisArg[] {
  const args: RedisArg[] = [key];
  pushZaddOptions(args, options);
  const optionCount = args.length;
  if (Array.isArray(members)) {
    for (const entry of members) {
      if (entry === null || typeof entry !== 'object') {
        throw new ArgumentError(`ZADD: expected { score, member } entries, got ${shown(entry)}`);
      }
      args.push(entry.score, entry.member);
    }
  } else if (members instanceof Map) {
    for (const [member, score] of members) args.push(score, member);
  } else if (members !== null && typeof members === 'object') {
    for (const member of Object.keys(members)) args.push(members[member], member);
  } else {
    throw new ArgumentError(
      'ZADD: expected an array of { score, member }, an object or a Map of member to score',
    );
  }
  if (args.length === optionCount) throw new ArgumentError('ZADD: needs at least one member');
  return args;
}

function zaddIncrArgs(
  key: RedisArg,
  increment: number,
  member: RedisArg,
  options?: Omit<ZaddOptions, 'ch'>,
): RedisArg[] {
  const args: RedisArg[] = [key];
  pushZaddOptions(args, options);
  args.push('INCR', increment, member);
  return args;
}

function pushLimit(commandName: string, args: RedisArg[], range: RangeLimit | undefined): void {
  const limit = optionsOf(`${commandName} limit`, range);
  if (limit === undefined) return;
  if (!Number.isInteger(limit.offset) || !Number.isInteger(limit.count)) {
    throw new ArgumentError(`${commandName}: limit offset and count must be integers`);
  }
  args.push('LIMIT', limit.offset, limit.count);
}

function zrangeArgs(withScores: boolean) {
  return (key: RedisArg, start: ScoreBound, stop: ScoreBound, rangeOptions?: ZrangeOptions): RedisArg[] => {
    const args: RedisArg[] = [key, start, stop];
    const options = optionsOf('ZRANGE', rangeOptions);
    if (options !== undefined) {
      const { by } = options;
      if (by !== undefined && by !== 'SCORE' && by !== 'LEX') {
        throw new ArgumentError(`ZRANGE: by must be 'SCORE' or 'LEX', got ${shown(by)}`);
      }
      if (by !== undefined) args.push(by === 'SCORE' ? 'BYSCORE' : 'BYLEX');
      if (options.rev) args.push('REV');
      if (options.limit !== undefined && by === undefined) {
        throw new ArgumentError("ZRANGE: limit needs by: 'SCORE' or 'LEX'");
      }
      pushLimit('ZRANGE', args, options.limit);
      if (withScores && by === 'LEX')
        throw new ArgumentError("ZRANGE: scores cannot be returned with by: 'LEX'");
    }
    if (withScores) args.push('WITHSCORES');
    return args;
  };
}

function zrangebyscoreArgs(withScores: boolean) {
  return (key: RedisArg, min: ScoreBound, max: ScoreBound, options?: { limit?: RangeLimit }): RedisArg[] => {
    const args: RedisArg[] = [key, min, max];
    if (withScores) args.push('WITHSCORES');
    pushLimit('ZRANGEBYSCORE', args, optionsOf('ZRANGEBYSCORE', options)?.limit);
    return args;
  };
}

function popCountArgs(commandName: string) {
  return (key: RedisArg, count?: number): RedisArg[] => {
    if (count === undefined) return [key];
    if (!Number.isInteger(count) || count < 0) {
      throw new ArgumentError(`${commandName}: count must be a non-negative integer, got ${shown(count)}`);
    }
    return [key, count];
  };
}

function zstoreArgs(commandName: string) {
  return (destination: RedisArg, keys: RedisArg[], storeOptions?: ZstoreOptions): RedisArg[] => {
    const options = optionsOf(commandName, storeOptions);
    if (!Array.isArray(keys) || keys.length === 0)
      throw new ArgumentError(`${commandName}: needs at least one key`);
    const args: RedisArg[] = [destination, keys.length, ...keys];
    if (options === undefined) return args;
    if (options.weights !== undefined) {
      if (!Array.isArray(options.weights)) {
        throw new ArgumentError(`${commandName}: weights must be an array, got ${shown(options.weights)}`);
      }
      if (options.weights.length !== keys.length) {
        throw new ArgumentError(
          `${commandName}: weights needs one weight per key (${keys.length}), got ${options.weights.length}`,
        );
      }
      args.push('WEIGHTS', ...options.weights);
    }
    const { aggregate } = options;
    if (aggregate !== undefined) {
      if (aggregate !== 'SUM' && aggregate !== 'MIN' && aggregate !== 'MAX') {
        throw new ArgumentError(
          `${commandName}: aggregate must be 'SUM', 'MIN' or 'MAX', got ${shown(aggregate)}`,
        );
      }
      args.push('AGGREGATE', aggregate);
    }
    return args;
  };
}

function zmpopArgs(keys: RedisArg[], where: 'MIN' | 'MAX', count?: number): RedisArg[] {
  return mpopArgs('ZMPOP', keys, where, count);
}

function mpopArgs(commandName: string, keys: RedisArg[], where: 'MIN' | 'MAX', count?: number): RedisArg[] {
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ArgumentError(`${commandName}: needs at least one key`);
  if (where !== 'MIN' && where !== 'MAX') {
    throw new ArgumentError(`${commandName}: where must be 'MIN' or 'MAX', got ${shown(where)}`);
  }
  const args: RedisArg[] = [keys.length, ...keys, where];
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 1) {
      throw new ArgumentError(`${commandName}: count must be a positive integer, got ${shown(count)}`);
    }
    args.push('COUNT', count);
  }
  return args;
}

function bzmpopArgs(timeout: number, keys: RedisArg[], where: 'MIN' | 'MAX', count?: number): RedisArg[] {
  if (typeof timeout !== 'number' || !(timeout >= 0) || timeout === Number.POSITIVE_INFINITY) {
    throw new ArgumentError(
      `BZMPOP: timeout must be a non-negative number of seconds, got ${shown(timeout)}`,
    );
  }
  return [timeout, ...mpopArgs('BZMPOP', keys, where, count)];
}

function bzpopArgs(commandName: string) {
  return (keys: RedisArg | RedisArg[], timeout: number): RedisArg[] => {
    const list = Array.isArray(keys) ? keys : [keys];
    if (list.length === 0) throw new ArgumentError(`${commandName}: needs at least one key`);
    if (typeof timeout !== 'number' || !(timeout >= 0) || timeout === Number.POSITIVE_INFINITY) {
      throw new ArgumentError(
        `${commandName}: timeout must be a non-negative number of seconds, got ${shown(timeout)}`,
      );
    }
    return [...list, timeout];
  };
}

/** BZPOPMIN/BZPOPMAX: `[key, member, score]` (score a string in RESP2, a double in RESP3) or nil. */
function asKeyedScoredMember(raw: RespValue): { key: string; member: string; score: number } | null {
  if (raw === null) return null;
  const [key, member, score] = raw as [string, string, RespValue];
  return { key, member, score: asDouble(score) };
}

const asRank = (raw: RespValue): number | null => (raw === null ? null : Number(raw));
const asMembers = (raw: RespValue): string[] => raw as string[];

export const sortedSetCommands = {
  /**
   * https://redis.io/commands/zadd/ — `zadd(key, [{ score: 1, member: 'a' }])`, `{ a: 1 }` or a Map
   * of member to score; the number of members added (also changed ones with `ch`).
   */
  zadd: command({ name: 'ZADD', keys: FIRST_KEY, args: zaddArgs, reply: asNumber }),
  /** https://redis.io/commands/zadd/ — ZADD INCR: the new score, `null` if a condition stopped it. */
  zaddIncr: command({ name: 'ZADD', keys: FIRST_KEY, args: zaddIncrArgs, reply: asNullableDouble }),
  /** https://redis.io/commands/zincrby/ — the new score. */
  zincrby: command({
    name: 'ZINCRBY',
    keys: FIRST_KEY,
    args: (key: RedisArg, increment: number, member: RedisArg) => [key, increment, member],
    reply: asDouble,
  }),
  /** https://redis.io/commands/zscore/ — `null` if the member or key does not exist. */
  zscore: command({
    name: 'ZSCORE',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, member: RedisArg) => [key, member],
    reply: asNullableDouble,
  }),
  /** https://redis.io/commands/zmscore/ — one score per member, `null` where absent. */
  zmscore: command({
    name: 'ZMSCORE',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, member: RedisArg, ...members: RedisArg[]) => [key, member, ...members],
    reply: (raw): Array<number | null> => (raw as RespValue[]).map(asNullableDouble),
  }),
  /** https://redis.io/commands/zrem/ — the number of members removed. */
  zrem: command({
    name: 'ZREM',
    keys: FIRST_KEY,
    args: (key: RedisArg, member: RedisArg, ...members: RedisArg[]) => [key, member, ...members],
    reply: asNumber,
  }),
  /** https://redis.io/commands/zcard/ — the number of members. */
  zcard: command({
    name: 'ZCARD',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/zcount/ — the number of members with a score within the bounds. */
  zcount: command({
    name: 'ZCOUNT',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, min: ScoreBound, max: ScoreBound) => [key, min, max],
    reply: asNumber,
  }),
  /** https://redis.io/commands/zrank/ — 0-based rank by ascending score, `null` if absent. */
  zrank: command({
    name: 'ZRANK',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, member: RedisArg) => [key, member],
    reply: asRank,
  }),
  /** https://redis.io/commands/zrevrank/ — 0-based rank by descending score, `null` if absent. */
  zrevrank: command({
    name: 'ZREVRANK',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, member: RedisArg) => [key, member],
    reply: asRank,
  }),
  /** https://redis.io/commands/zrange/ — members by rank, or by score/lex with `by`. */
  zrange: command({
    name: 'ZRANGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: zrangeArgs(false),
    reply: asMembers,
  }),
  /** https://redis.io/commands/zrange/ — ZRANGE WITHSCORES as `{ member, score }[]`; not with `by: 'LEX'`. */
  zrangeWithScores: command({
    name: 'ZRANGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: zrangeArgs(true),
    reply: asScoredMembers,
  }),
  /** https://redis.io/commands/zrangebyscore/ — members with a score within the bounds, lowest first. */
  zrangebyscore: command({
    name: 'ZRANGEBYSCORE',
    keys: FIRST_KEY,
    readOnly: true,
    args: zrangebyscoreArgs(false),
    reply: asMembers,
  }),
  /** https://redis.io/commands/zrangebyscore/ — WITHSCORES as `{ member, score }[]`. */
  zrangebyscoreWithScores: command({
    name: 'ZRANGEBYSCORE',
    keys: FIRST_KEY,
    readOnly: true,
    args: zrangebyscoreArgs(true),
    reply: asScoredMembers,
  }),
  /** https://redis.io/commands/zpopmin/ — the `count` (default 1) lowest, removed, as `{ member, score }[]`. */
  zpopmin: command({
    name: 'ZPOPMIN',
    keys: FIRST_KEY,
    args: popCountArgs('ZPOPMIN'),
    reply: asScoredMembers,
  }),
  /** https://redis.io/commands/zpopmax/ — the `count` (default 1) highest, removed, as `{ member, score }[]`. */
  zpopmax: command({
    name: 'ZPOPMAX',
    keys: FIRST_KEY,
    args: popCountArgs('ZPOPMAX'),
    reply: asScoredMembers,
  }),
  /** https://redis.io/commands/zmpop/ — from the first non-empty key; `null` if all are empty. */
  zmpop: command({
    name: 'ZMPOP',
    keys: { kind: 'numkeys', index: 0 },
    args: zmpopArgs,
    reply: (raw): { key: string; members: ScoredMember[] } | null =>
      raw === null ? null : { key: raw[0] as string, members: scoredFromPairs(raw[1]) },
  }),
  /**
   * https://redis.io/commands/bzmpop/ — like `zmpop`, waiting up to `timeout` seconds (0 waits
   * forever), on a connection of its own.
   */
  bzmpop: command({
    name: 'BZMPOP',
    connection: 'blocking',
    blockTime: secondsAt(0),
    keys: { kind: 'numkeys', index: 1 },
    args: bzmpopArgs,
    reply: (raw): { key: string; members: ScoredMember[] } | null =>
      raw === null ? null : { key: raw[0] as string, members: scoredFromPairs(raw[1]) },
  }),
  /**
   * https://redis.io/commands/bzpopmin/ — `{ key, member, score }`, or `null` after `timeout`
   * seconds (0 waits forever). Runs on a connection of its own (see `dedicatedConnections`).
   */
  bzpopmin: command({
    name: 'BZPOPMIN',
    connection: 'blocking',
    blockTime: secondsAt(-1),
    keys: ALL_KEYS_BUT_LAST,
    args: bzpopArgs('BZPOPMIN'),
    reply: asKeyedScoredMember,
  }),
  /** https://redis.io/commands/bzpopmax/ — like `bzpopmin`, the highest, on a connection of its own. */
  bzpopmax: command({
    name: 'BZPOPMAX',
    connection: 'blocking',
    blockTime: secondsAt(-1),
    keys: ALL_KEYS_BUT_LAST,
    args: bzpopArgs('BZPOPMAX'),
    reply: asKeyedScoredMember,
  }),
  /** https://redis.io/commands/zremrangebyscore/ — the number of members removed. */
  zremrangebyscore: command({
    name: 'ZREMRANGEBYSCORE',
    keys: FIRST_KEY,
    args: (key: RedisArg, min: ScoreBound, max: ScoreBound) => [key, min, max],
    reply: asNumber,
  }),
  /** https://redis.io/commands/zremrangebyrank/ — the number of members removed. */
  zremrangebyrank: command({
    name: 'ZREMRANGEBYRANK',
    keys: FIRST_KEY,
    args: (key: RedisArg, start: number, stop: number) => [key, start, stop],
    reply: asNumber,
  }),
  /**
   * https://redis.io/commands/zunionstore/ — the size of the stored result. `destination` is a key
   * too: on a cluster it must share the sources' slot.
   */
  zunionstore: command({
    name: 'ZUNIONSTORE',
    keys: { kind: 'numkeys', index: 1, destination: 0 },
    args: zstoreArgs('ZUNIONSTORE'),
    reply: asNumber,
  }),
  /** https://redis.io/commands/zinterstore/ — the size of the stored result; key spec as `zunionstore`. */
  zinterstore: command({
    name: 'ZINTERSTORE',
    keys: { kind: 'numkeys', index: 1, destination: 0 },
    args: zstoreArgs('ZINTERSTORE'),
    reply: asNumber,
  }),
  /** https://redis.io/commands/zscan/ — one page of `{ member, score }`; done when `cursor` is `'0'`. */
  zscan: command({
    name: 'ZSCAN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, cursor: RedisArg, options?: ScanOptions) =>
      pushScanOptions('ZSCAN', [key, cursor], options),
    reply: (raw): { cursor: string & Unbuffered; members: ScoredMember[] } => ({
      cursor: scanCursor(raw),
      members: scoredFromFlat(raw[1]),
    }),
  }),
};

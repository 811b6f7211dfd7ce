import { ArgumentError } from '../../errors.js';
import type { RedisArg, RespValue } from '../../resp/types.js';
import { asNumber } from '../replies.js';
import { command, FIRST_KEY, type KeySpec, secondsAt } from '../spec.js';
import { optionsOf, shown } from './argument-checks.js';
import { FIRST_TWO_KEYS } from './keys.js';

/** BLPOP/BRPOP/BZPOPMIN: `key... timeout`, every argument but the last is a key. */
export const ALL_KEYS_BUT_LAST: KeySpec = { kind: 'range', first: 0, last: -2, step: 1 };

/** The end of a list to pop from or push to. */
export type ListEnd = 'LEFT' | 'RIGHT';

/** Options of LPOS. https://redis.io/commands/lpos/ */
export interface LposOptions {
  /** Which match to return: 1 the first, 2 the second, -1 the last, ...; never 0 (RANK). */
  rank?: number;
  /** Compare at most this many elements, 0 for all (MAXLEN). */
  maxlen?: number;
}

function checkEnd(commandName: string, option: string, end: ListEnd): ListEnd {
  if (end !== 'LEFT' && end !== 'RIGHT') {
    throw new ArgumentError(`${commandName}: ${option} must be 'LEFT' or 'RIGHT', got ${shown(end)}`);
  }
  return end;
}

function checkCount(commandName: string, count: number): number {
  if (!Number.isInteger(count) || count < 0) {
    throw new ArgumentError(`${commandName}: count must be a non-negative integer, got ${shown(count)}`);
  }
  return count;
}

/** Blocking timeouts are seconds, fractions allowed, 0 to wait forever. */
function checkTimeout(commandName: string, timeout: number): number {
  if (typeof timeout !== 'number' || !(timeout >= 0) || timeout === Number.POSITIVE_INFINITY) {
    throw new ArgumentError(
      `${commandName}: timeout must be a non-negative number of seconds, got ${shown(timeout)}`,
    );
  }
  return timeout;
}

function keyList(commandName: string, keys: RedisArg | RedisArg[]): RedisArg[] {
  const list = Array.isArray(keys) ? keys : [keys];
  if (list.length === 0) throw new ArgumentError(`${commandName}: needs at least one key`);
  return list;
}

function lposArgs(
  commandName: string,
  key: RedisArg,
  element: RedisArg,
  lposOptions?: LposOptions,
): RedisArg[] {
  const options = optionsOf(commandName, lposOptions);
  const args: RedisArg[] = [key, element];
  if (options === undefined) return args;
  if (options.rank !== undefined) {
    if (!Number.isInteger(options.rank) || options.rank === 0) {
      throw new ArgumentError(`${commandName}: rank must be a non-zero integer, got ${shown(options.rank)}`);
    }
    args.push('RANK', options.rank);
  }
  if (options.maxlen !== undefined) {
    if (!Number.isInteger(options.maxlen) || options.maxlen < 0) {
      throw new ArgumentError(
        `${commandName}: maxlen must be a non-negative integer, got ${shown(options.maxlen)}`,
      );
    }
    args.push('MAXLEN', options.maxlen);
  }
  return args;
}

function mpopArgs(
  commandName: string,
  keys: RedisArg[],
  where: ListEnd,
  count: number | undefined,
): RedisArg[] {
  const list = keyList(commandName, keys);
  const args: RedisArg[] = [list.length, ...list, checkEnd(commandName, 'where', where)];
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 1) {
      throw new ArgumentError(`${commandName}: count must be a positive integer, got ${shown(count)}`);
    }
    args.push('COUNT', count);
  }
  return args;
}

/** LMPOP/BLMPOP: `[key, [element...]]` or nil, the same in RESP2 and RESP3. */
function asKeyedElements(raw: RespValue): { key: string; elements: string[] } | null {
  if (raw === null) return null;
  const [key, elements] = raw as [string, string[]];
  return { key, elements };
}

const asStringOrNull = (raw: RespValue): string | null => raw as string | null;
const asStrings = (raw: RespValue): string[] => raw as string[];
const asKeyValueOrNull = (raw: RespValue): [string, string] | null => raw as [string, string] | null;

const variadicPush = (key: RedisArg, element: RedisArg, ...elements: RedisArg[]): RedisArg[] => [
  key,
  element,
  ...elements,
];

export const listCommands = {
  /** https://redis.io/commands/lpush/ — the list's length after the push. */
  lpush: command({ name: 'LPUSH', keys: FIRST_KEY, args: variadicPush, reply: asNumber }),
  /** https://redis.io/commands/rpush/ — the list's length after the push. */
  rpush: command({ name: 'RPUSH', keys: FIRST_KEY, args: variadicPush, reply: asNumber }),
  /** https://redis.io/commands/lpushx/ — the list's length; 0 (nothing pushed) if the key does not exist. */
  lpushx: command({ name: 'LPUSHX', keys: FIRST_KEY, args: variadicPush, reply: asNumber }),
  /** https://redis.io/commands/rpushx/ — the list's length; 0 (nothing pushed) if the key does not exist. */
  rpushx: command({ name: 'RPUSHX', keys: FIRST_KEY, args: variadicPush, reply: asNumber }),
  /** https://redis.io/commands/lpop/ — the first element, `null` if the key does not exist. */
  lpop: command({ name: 'LPOP', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asStringOrNull }),
  /** https://redis.io/commands/lpop/ — up to `count` elements from the head, `null` if the key does not exist. */
  lpopCount: command({
    name: 'LPOP',
    keys: FIRST_KEY,
    args: (key: RedisArg, count: number) => [key, checkCount('LPOP', count)],
    reply: (raw): string[] | null => raw as string[] | null,
  }),
  /** https://redis.io/commands/rpop/ — the last element, `null` if the key does not exist. */
  rpop: command({ name: 'RPOP', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asStringOrNull }),
  /** https://redis.io/commands/rpop/ — up to `count` elements from the tail, `null` if the key does not exist. */
  rpopCount: command({
    name: 'RPOP',
    keys: FIRST_KEY,
    args: (key: RedisArg, count: number) => [key, checkCount('RPOP', count)],
    reply: (raw): string[] | null => raw as string[] | null,
  }),
  /** https://redis.io/commands/llen/ */
  llen: command({
    name: 'LLEN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/lrange/ — `start` and `stop` inclusive, negative from the end. */
  lrange: command({
    name: 'LRANGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, start: number, stop: number) => [key, start, stop],
    reply: asStrings,
  }),
  /** https://redis.io/commands/lindex/ — `null` when out of range. */
  lindex: command({
    name: 'LINDEX',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, index: number) => [key, index],
    reply: asStringOrNull,
  }),
  /** https://redis.io/commands/lset/ */
  lset: command({
    name: 'LSET',
    keys: FIRST_KEY,
    args: (key: RedisArg, index: number, element: RedisArg) => [key, index, element],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/linsert/ — the new length; -1 if `pivot` was not found, 0 if no key. */
  linsert: command({
    name: 'LINSERT',
    keys: FIRST_KEY,
    args: (key: RedisArg, position: 'BEFORE' | 'AFTER', pivot: RedisArg, element: RedisArg) => {
      if (position !== 'BEFORE' && position !== 'AFTER') {
        throw new ArgumentError(`LINSERT: position must be 'BEFORE' or 'AFTER', got ${shown(position)}`);
      }
      return [key, position, pivot, element];
    },
    reply: asNumber,
  }),
  /** https://redis.io/commands/lrem/ — the number removed; `count` > 0 from the head, < 0 from the tail, 0 all. */
  lrem: command({
    name: 'LREM',
    keys: FIRST_KEY,
    args: (key: RedisArg, count: number, element: RedisArg) => [key, count, element],
    reply: asNumber,
  }),
  /** https://redis.io/commands/ltrim/ */
  ltrim: command({
    name: 'LTRIM',
    keys: FIRST_KEY,
    args: (key: RedisArg, start: number, stop: number) => [key, start, stop],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/lpos/ — the index of a match, `null` if none. */
  lpos: command({
    name: 'LPOS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, element: RedisArg, options?: LposOptions) =>
      lposArgs('LPOS', key, element, options),
    reply: (raw): number | null => (raw === null ? null : Number(raw)),
  }),
  /** https://redis.io/commands/lpos/ — the indexes of up to `count` matches (0 for all). */
  lposCount: command({
    name: 'LPOS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, element: RedisArg, count: number, options?: LposOptions) => {
      const args = lposArgs('LPOS', key, element, options);
      args.push('COUNT', checkCount('LPOS', count));
      return args;
    },
    reply: (raw): number[] => (raw as RespValue[]).map(Number),
  }),
  /** https://redis.io/commands/lmove/ — the moved element, `null` if `source` is empty. */
  lmove: command({
    name: 'LMOVE',
    keys: FIRST_TWO_KEYS,
    args: (source: RedisArg, destination: RedisArg, from: ListEnd, to: ListEnd) => [
      source,
      destination,
      checkEnd('LMOVE', 'from', from),
      checkEnd('LMOVE', 'to', to),
    ],
    reply: asStringOrNull,
  }),
  /** https://redis.io/commands/lmpop/ — up to `count` (default 1) elements from the first non-empty list. */
  lmpop: command({
    name: 'LMPOP',
    keys: { kind: 'numkeys', index: 0 },
    args: (keys: RedisArg[], where: ListEnd, count?: number) => mpopArgs('LMPOP', keys, where, count),
    reply: asKeyedElements,
  }),
  /**
   * https://redis.io/commands/blpop/ — `[key, element]`, or `null` after `timeout` seconds (0 waits
   * forever). Runs on a connection of its own (see `dedicatedConnections`), so it never delays the
   * client's other commands; its timeout is `timeout` plus `commandTimeout`.
   */
  blpop: command({
    name: 'BLPOP',
    connection: 'blocking',
    blockTime: secondsAt(-1),
    keys: ALL_KEYS_BUT_LAST,
    args: (keys: RedisArg | RedisArg[], timeout: number) => [
      ...keyList('BLPOP', keys),
      checkTimeout('BLPOP', timeout),
    ],
    reply: asKeyValueOrNull,
  }),
  /** https://redis.io/commands/brpop/ — like `blpop`, from the tail, on a connection of its own. */
  brpop: command({
    name: 'BRPOP',
    connection: 'blocking',
    blockTime: secondsAt(-1),
    keys: ALL_KEYS_BUT_LAST,
    args: (keys: RedisArg | RedisArg[], timeout: number) => [
      ...keyList('BRPOP', keys),
      checkTimeout('BRPOP', timeout),
    ],
    reply: asKeyValueOrNull,
  }),
  /** https://redis.io/commands/blmove/ — like `lmove`, waiting up to `timeout` seconds, on a connection of its own. */
  blmove: command({
    name: 'BLMOVE',
    connection: 'blocking',
    blockTime: secondsAt(-1),
    keys: FIRST_TWO_KEYS,
    args: (source: RedisArg, destination: RedisArg, from: ListEnd, to: ListEnd, timeout: number) => [
      source,
      destination,
      checkEnd('BLMOVE', 'from', from),
      checkEnd('BLMOVE', 'to', to),
      checkTimeout('BLMOVE', timeout),
    ],
    reply: asStringOrNull,
  }),
  /**
   * https://redis.io/commands/brpoplpush/ — like `rpoplpush`, waiting up to `timeout` seconds, on a
   * connection of its own (deprecated by Redis in favour of `blmove(src, dst, 'RIGHT', 'LEFT', t)`).
   */
  brpoplpush: command({
    name: 'BRPOPLPUSH',
    connection: 'blocking',
    blockTime: secondsAt(-1),
    keys: FIRST_TWO_KEYS,
    args: (source: RedisArg, destination: RedisArg, timeout: number) => [
      source,
      destination,
      checkTimeout('BRPOPLPUSH', timeout),
    ],
    reply: asStringOrNull,
  }),
  /** https://redis.io/commands/blmpop/ — like `lmpop`, waiting up to `timeout` seconds, on a connection of its own. */
  blmpop: command({
    name: 'BLMPOP',
    connection: 'blocking',
    blockTime: secondsAt(0),
    keys: { kind: 'numkeys', index: 1 },
    args: (timeout: number, keys: RedisArg[], where: ListEnd, count?: number) => [
      checkTimeout('BLMPOP', timeout),
      ...mpopArgs('BLMPOP', keys, where, count),
    ],
    reply: asKeyedElements,
  }),
};

import { ArgumentError } from '../../errors.js';
import type { RedisArg } from '../../resp/types.js';
import { asBoolean, asDouble, asInteger, asNullable, asNumber } from '../replies.js';
import { ALL_KEYS, command, EVERY_OTHER_KEY, FIRST_KEY } from '../spec.js';
import { optionsOf, shown } from './argument-checks.js';

/** Options of SET. https://redis.io/commands/set/ */
export interface SetOptions {
  /** Expire after this many seconds (EX). */
  ex?: number;
  /** Expire after this many milliseconds (PX). */
  px?: number;
  /** Expire at this Unix time in seconds (EXAT). */
  exat?: number;
  /** Expire at this Unix time in milliseconds (PXAT). */
  pxat?: number;
  /** Keep the existing TTL (KEEPTTL). */
  keepTtl?: boolean;
  /** Only set if the key does not exist (NX) or only if it exists (XX). */
  condition?: 'NX' | 'XX';
  /** Return the old value (GET). */
  get?: boolean;
}

function setArgs(key: RedisArg, value: RedisArg, setOptions?: SetOptions): RedisArg[] {
  const args: RedisArg[] = [key, value];
  const options = optionsOf('SET', setOptions);
  if (options === undefined) return args;
  if (options.ex !== undefined) args.push('EX', options.ex);
  if (options.px !== undefined) args.push('PX', options.px);
  if (options.exat !== undefined) args.push('EXAT', options.exat);
  if (options.pxat !== undefined) args.push('PXAT', options.pxat);
  if (options.keepTtl) args.push('KEEPTTL');
  if (options.condition !== undefined) {
    if (options.condition !== 'NX' && options.condition !== 'XX') {
      throw new ArgumentError(`SET: condition must be 'NX' or 'XX', got ${shown(options.condition)}`);
    }
    args.push(options.condition);
  }
  if (options.get) args.push('GET');
  return args;
}

export const stringCommands = {
  /** https://redis.io/commands/get/ */
  get: command({
    name: 'GET',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNullable,
  }),
  /**
   * https://redis.io/commands/set/ — resolves `'OK'`, or `null` when a condition was not met;
   * with `get: true`, the previous value (or `null`).
   */
  set: command({
    name: 'SET',
    keys: FIRST_KEY,
    args: setArgs,
    // 'OK' is a simple string (a string on a buffers view too); an old value is a blob string.
    reply: (raw): 'OK' | (string & {}) | null => raw as string | null,
  }),
  /** https://redis.io/commands/setnx/ */
  setnx: command({
    name: 'SETNX',
    keys: FIRST_KEY,
    args: (key: RedisArg, value: RedisArg) => [key, value],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/getdel/ */
  getdel: command({ name: 'GETDEL', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asNullable }),
  /** https://redis.io/commands/getset/ */
  getset: command({
    name: 'GETSET',
    keys: FIRST_KEY,
    args: (key: RedisArg, value: RedisArg) => [key, value],
    reply: asNullable,
  }),
  /** https://redis.io/commands/mget/ */
  mget: command({
    name: 'MGET',
    keys: ALL_KEYS,
    readOnly: true,
    args: (...keys: RedisArg[]) => keys,
    reply: (raw): Array<string | null> => raw as Array<string | null>,
  }),
  /** https://redis.io/commands/mset/ — `mset({ a: '1', b: '2' })` or `mset([['a', '1'], ['b', '2']])`. */
  mset: command({
    name: 'MSET',
    keys: EVERY_OTHER_KEY,
    args: (entries: Record<string, RedisArg> | Array<[RedisArg, RedisArg]>) =>
      flattenEntries('MSET', entries),
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/incr/ */
  incr: command({ name: 'INCR', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asInteger }),
  /** https://redis.io/commands/incrby/ */
  incrby: command({
    name: 'INCRBY',
    keys: FIRST_KEY,
    args: (key: RedisArg, increment: number | bigint) => [key, increment],
    reply: asInteger,
  }),
  /** https://redis.io/commands/incrbyfloat/ */
  incrbyfloat: command({
    name: 'INCRBYFLOAT',
    keys: FIRST_KEY,
    args: (key: RedisArg, increment: number) => [key, increment],
    reply: asDouble,
  }),
  /** https://redis.io/commands/decr/ */
  decr: command({ name: 'DECR', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asInteger }),
  /** https://redis.io/commands/decrby/ */
  decrby: command({
    name: 'DECRBY',
    keys: FIRST_KEY,
    args: (key: RedisArg, decrement: number | bigint) => [key, decrement],
    reply: asInteger,
  }),
  /** https://redis.io/commands/append/ */
  append: command({
    name: 'APPEND',
    keys: FIRST_KEY,
    args: (key: RedisArg, value: RedisArg) => [key, value],
    reply: asNumber,
  }),
  /** https://redis.io/commands/strlen/ */
  strlen: command({
    name: 'STRLEN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/getrange/ */
  getrange: command({
    name: 'GETRANGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, start: number, end: number) => [key, start, end],
    reply: (raw): string => raw as string,
  }),
  /** https://redis.io/commands/setrange/ */
  setrange: command({
    name: 'SETRANGE',
    keys: FIRST_KEY,
    args: (key: RedisArg, offset: number, value: RedisArg) => [key, offset, value],
    reply: asNumber,
  }),
};

/**
 * `{ a: 1 }`, a Map or `[['a', 1]]` → `['a', 1]`, refusing an empty set of entries (Redis would).
 * A flat array (`['a', 1]`) is refused rather than read as pairs of characters, and so is an
 * entry that is not exactly two items, or an object that is not a plain one (a Buffer, a Set).
 */
export function flattenEntries(
  commandName: string,
  entries: Record<string, RedisArg> | Array<[RedisArg, RedisArg]> | Map<RedisArg, RedisArg>,
): RedisArg[] {
  const args: RedisArg[] = [];
  if (entries instanceof Map) {
    for (const [key, value] of entries) args.push(key, value);
  } else if (Array.isArray(entries)) {
    for (let i = 0; i < entries.length; i++) {
      const entry: unknown = entries[i];
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new ArgumentError(
          `${commandName}: entry ${i + 1} is ${shown(entry)}; expected [key, value] pairs ` +
            `such as [['k1', 'v1'], ['k2', 'v2']], or an object or Map`,
        );
      }
      args.push(entry[0], entry[1]);
    }
  } else if (isPlainObject(entries)) {
    for (const key of Object.keys(entries)) args.push(key, entries[key]);
  } else {
    throw new ArgumentError(
      `${commandName}: expected an object, Map or array of [field, value] pairs, got ${shown(entries)}`,
    );
  }
  if (args.length === 0) throw new ArgumentError(`${commandName}: needs at least one field and value`);
  return args;
}

function isPlainObject(value: unknown): value is Record<string, RedisArg> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

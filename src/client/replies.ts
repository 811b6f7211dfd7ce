import { ReplyError } from '../errors.js';
import type { RespValue } from '../resp/types.js';

/**
 * Reply shapers shared by command descriptions. Each accepts the RESP2 and the RESP3 form of
 * the same reply and returns one shape, so callers never see which protocol is in use.
 */

/** An integer reply: `number`, or `bigint` outside the safe range. */
export const asInteger = (raw: RespValue): number | bigint => raw as number | bigint;

/** An integer reply known to be small (counts, lengths, TTLs). */
export const asNumber = (raw: RespValue): number => Number(raw);

/** `1`/`0` (RESP2) or `true`/`false` (RESP3) as a boolean. */
export const asBoolean = (raw: RespValue): boolean => raw === 1 || raw === true;

/** A bulk string or nil. */
export const asNullable = <T extends string | Buffer = string>(raw: RespValue): T | null => raw as T | null;

/** A double: RESP3 sends a number, RESP2 a bulk string (`'3.5'`, `'inf'`); nil stays null. */
export function asDouble(raw: RespValue): number {
  if (typeof raw === 'number') return raw;
  return parseDouble(raw);
}

export function asNullableDouble(raw: RespValue): number | null {
  return raw === null ? null : asDouble(raw);
}

function parseDouble(raw: RespValue): number {
  const text = String(raw);
  switch (text) {
    case 'inf':
    case '+inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return Number(text);
  }
}

/** An array reply (RESP3 sets arrive as arrays too). */
export const asArray = <T = string>(raw: RespValue): T[] => raw as T[];

/**
 * A field/value reply as a plain object: RESP2 sends a flat array `[k1, v1, k2, v2]`, RESP3 a map.
 * Keys are strings (Buffer keys are decoded as UTF-8); values keep their type.
 */
export function asObject<V = string>(raw: RespValue): Record<string, V> {
  const object: Record<string, V> = Object.create(null);
  if (raw instanceof Map) {
    for (const [key, value] of raw) object[String(key)] = value as V;
  } else if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) object[String(raw[i])] = raw[i + 1] as V;
  }
  return object;
}

/** A list of pairs: flat RESP2 array or RESP3 map/array-of-pairs, as `[key, value][]`. */
export function asPairs<K = string, V = string>(raw: RespValue): Array<[K, V]> {
  const pairs: Array<[K, V]> = [];
  if (raw instanceof Map) {
    for (const [key, value] of raw) pairs.push([key as K, value as V]);
  } else if (Array.isArray(raw)) {
    if (raw.length > 0 && Array.isArray(raw[0])) {
      for (const pair of raw as RespValue[][]) pairs.push([pair[0] as K, pair[1] as V]);
    } else {
      for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as K, raw[i + 1] as V]);
    }
  }
  return pairs;
}

/** Throws a nested error reply (used where an array may carry per-item errors). */
export function throwIfError<T>(value: T | ReplyError): T {
  if (value instanceof ReplyError) throw value;
  return value;
}

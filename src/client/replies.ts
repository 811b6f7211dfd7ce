import { ReplyError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import type { ByProtocol } from './spec.js';

/**
 * Reply shapers shared by command descriptions. Where RESP2 and RESP3 send a reply in different
 * forms, there is one shaper per protocol (`ByProtocol`), and the connection picks the one for the
 * protocol it negotiated; so callers never see which protocol is in use, and no shaper guesses.
 */

/** An integer reply: `number`, or `bigint` outside the safe range. */
export const asInteger = (raw: RespValue): number | bigint => raw as number | bigint;

/** An integer reply known to be small (counts, lengths, TTLs). */
export const asNumber = (raw: RespValue): number => Number(raw);

/** `1`/`0` (RESP2) or `true`/`false` (RESP3) as a boolean. */
export const asBoolean = (raw: RespValue): boolean => raw === 1 || raw === true;

/** A bulk string or nil. */
export const asNullable = (raw: RespValue): string | null => raw as string | null;

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
export function objectFromFlat<V = string>(raw: RespValue): Record<string, V> {
  const object: Record<string, V> = Object.create(null);
  const flat = raw as RespValue[];
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1] as V;
  return object;
}

export function objectFromMap<V = string>(raw: RespValue): Record<string, V> {
  const object: Record<string, V> = Object.create(null);
  for (const [key, value] of raw as Map<RespValue, RespValue>) object[String(key)] = value as V;
  return object;
}

/** A flat `[k1, v1, k2, v2]` array as `[key, value][]`. */
export function pairsFromFlat<K = string, V = string>(raw: RespValue): Array<[K, V]> {
  const flat = raw as RespValue[];
  const pairs: Array<[K, V]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as K, flat[i + 1] as V]);
  return pairs;
}

/** An array of `[key, value]` arrays (RESP3's form of HRANDFIELD WITHVALUES and kin). */
export function pairsFromPairs<K = string, V = string>(raw: RespValue): Array<[K, V]> {
  return (raw as RespValue[][]).map((pair) => [pair[0] as K, pair[1] as V]);
}

/**
 * How structured replies look on each protocol. Shapers of nested replies (FUNCTION LIST's
 * libraries of functions) are written once against this and built for each protocol by `shaped`.
 */
export interface ProtocolShapes {
  /** A map reply (RESP3) or its flat RESP2 form, as a null-prototype object. */
  object<V = RespValue>(raw: RespValue): Record<string, V>;
}

const RESP2_SHAPES: ProtocolShapes = { object: objectFromFlat };
const RESP3_SHAPES: ProtocolShapes = { object: objectFromMap };

/** One shaper per protocol from one function of the protocol's shapes, built once. */
export function shaped<Reply>(build: (shapes: ProtocolShapes) => (raw: any) => Reply): ByProtocol<Reply> {
  return { resp2: build(RESP2_SHAPES), resp3: build(RESP3_SHAPES) };
}

/** A map reply as a plain object (HGETALL, CONFIG GET). */
export const asObject: ByProtocol<Record<string, string>> = {
  resp2: objectFromFlat<string>,
  resp3: objectFromMap<string>,
};

/** `[key, value][]` from RESP2's flat array or RESP3's array of pairs (HRANDFIELD WITHVALUES). */
export const asPairs: ByProtocol<Array<[string, string]>> = {
  resp2: pairsFromFlat<string, string>,
  resp3: pairsFromPairs<string, string>,
};

/** Throws a nested error reply (used where an array may carry per-item errors). */
export function throwIfError<T>(value: T | ReplyError): T {
  if (value instanceof ReplyError) throw value;
  return value;
}

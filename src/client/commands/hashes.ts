import { ArgumentError } from '../../errors.js';
import type { RedisArg } from '../../resp/types.js';
import { asBoolean, asDouble, asInteger, asNumber, asObject, asPairs, pairsFromFlat } from '../replies.js';
import { command, FIRST_KEY, type Unbuffered } from '../spec.js';
import { shown } from './argument-checks.js';
import { pushScanOptions, type ScanOptions, scanCursor } from './keys.js';
import { flattenEntries } from './strings.js';

function hrandfieldCountArgs(commandName: string, withValues: boolean) {
  return (key: RedisArg, count: number): RedisArg[] => {
    // A negative count is valid: it allows the same field more than once.
    if (!Number.isInteger(count)) {
      throw new ArgumentError(`${commandName}: count must be an integer, got ${shown(count)}`);
    }
    return withValues ? [key, count, 'WITHVALUES'] : [key, count];
  };
}

export const hashCommands = {
  /**
   * https://redis.io/commands/hset/ — `hset(key, { a: '1' })`, a Map or `[[field, value], ...]`;
   * the number of fields added (not those updated).
   */
  hset: command({
    name: 'HSET',
    keys: FIRST_KEY,
    args: (
      key: RedisArg,
      entries: Record<string, RedisArg> | Map<RedisArg, RedisArg> | Array<[RedisArg, RedisArg]>,
    ) => [key, ...flattenEntries('HSET', entries)],
    reply: asNumber,
  }),
  /** https://redis.io/commands/hsetnx/ — `true` if the field was set, `false` if it existed. */
  hsetnx: command({
    name: 'HSETNX',
    keys: FIRST_KEY,
    args: (key: RedisArg, field: RedisArg, value: RedisArg) => [key, field, value],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/hget/ — `null` if the field or key does not exist. */
  hget: command({
    name: 'HGET',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, field: RedisArg) => [key, field],
    reply: (raw): string | null => raw as string | null,
  }),
  /** https://redis.io/commands/hmget/ — one value per field, `null` where absent. */
  hmget: command({
    name: 'HMGET',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, field: RedisArg, ...fields: RedisArg[]) => [key, field, ...fields],
    reply: (raw): Array<string | null> => raw as Array<string | null>,
  }),
  /** https://redis.io/commands/hgetall/ — a plain object (null prototype); `{}` if the key does not exist. */
  hgetall: command({
    name: 'HGETALL',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asObject,
  }),
  /** https://redis.io/commands/hdel/ — the number of fields removed. */
  hdel: command({
    name: 'HDEL',
    keys: FIRST_KEY,
    args: (key: RedisArg, field: RedisArg, ...fields: RedisArg[]) => [key, field, ...fields],
    reply: asNumber,
  }),
  /** https://redis.io/commands/hexists/ */
  hexists: command({
    name: 'HEXISTS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, field: RedisArg) => [key, field],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/hincrby/ — the new value (`bigint` outside the safe integer range). */
  hincrby: command({
    name: 'HINCRBY',
    keys: FIRST_KEY,
    args: (key: RedisArg, field: RedisArg, increment: number | bigint) => [key, field, increment],
    reply: asInteger,
  }),
  /** https://redis.io/commands/hincrbyfloat/ — the new value. */
  hincrbyfloat: command({
    name: 'HINCRBYFLOAT',
    keys: FIRST_KEY,
    args: (key: RedisArg, field: RedisArg, increment: number) => [key, field, increment],
    reply: asDouble,
  }),
  /** https://redis.io/commands/hkeys/ */
  hkeys: command({
    name: 'HKEYS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: (raw): string[] => raw as string[],
  }),
  /** https://redis.io/commands/hvals/ */
  hvals: command({
    name: 'HVALS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: (raw): string[] => raw as string[],
  }),
  /** https://redis.io/commands/hlen/ — the number of fields. */
  hlen: command({
    name: 'HLEN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/hstrlen/ — the value's length in bytes, 0 if absent. */
  hstrlen: command({
    name: 'HSTRLEN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, field: RedisArg) => [key, field],
    reply: asNumber,
  }),
  /** https://redis.io/commands/hrandfield/ — one random field, `null` if the key does not exist. */
  hrandfield: command({
    name: 'HRANDFIELD',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: (raw): string | null => raw as string | null,
  }),
  /** https://redis.io/commands/hrandfield/ — up to `count` distinct fields; negative `count` may repeat. */
  hrandfieldCount: command({
    name: 'HRANDFIELD',
    keys: FIRST_KEY,
    readOnly: true,
    args: hrandfieldCountArgs('HRANDFIELD', false),
    reply: (raw): string[] => raw as string[],
  }),
  /** https://redis.io/commands/hrandfield/ — WITHVALUES, as `[field, value]` pairs. */
  hrandfieldWithValues: command({
    name: 'HRANDFIELD',
    keys: FIRST_KEY,
    readOnly: true,
    args: hrandfieldCountArgs('HRANDFIELD', true),
    reply: asPairs,
  }),
  /** https://redis.io/commands/hscan/ — one page of `[field, value]` pairs; done when `cursor` is `'0'`. */
  hscan: command({
    name: 'HSCAN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, cursor: RedisArg, options?: ScanOptions) =>
      pushScanOptions('HSCAN', [key, cursor], options),
    reply: (raw): { cursor: string & Unbuffered; entries: Array<[string, string]> } => ({
      cursor: scanCursor(raw),
      entries: pairsFromFlat<string, string>(raw[1]),
    }),
  }),
};

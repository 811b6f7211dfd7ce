import { ArgumentError } from '../../errors.js';
import type { RedisArg, RespValue } from '../../resp/types.js';
import { asBoolean, asNumber } from '../replies.js';
import { ALL_KEYS, command, FIRST_KEY, type Unbuffered } from '../spec.js';
import { optionsOf, shown } from './argument-checks.js';
import { FIRST_TWO_KEYS, pushScanOptions, type ScanOptions, scanCursor } from './keys.js';

// Set replies are arrays in both protocols: the decoder turns RESP3 sets into arrays (DESIGN §2).
const asMembers = (raw: RespValue): string[] => raw as string[];
const asMemberOrNull = (raw: RespValue): string | null => raw as string | null;

const keyAndMembers = (key: RedisArg, member: RedisArg, ...members: RedisArg[]): RedisArg[] => [
  key,
  member,
  ...members,
];
const oneOrMoreKeys = (key: RedisArg, ...keys: RedisArg[]): RedisArg[] => [key, ...keys];
const destinationAndKeys = (destination: RedisArg, key: RedisArg, ...keys: RedisArg[]): RedisArg[] => [
  destination,
  key,
  ...keys,
];

function sintercardArgs(keys: RedisArg[], cardOptions?: { limit?: number }): RedisArg[] {
  const options = optionsOf('SINTERCARD', cardOptions);
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ArgumentError('SINTERCARD: needs at least one key');
  const args: RedisArg[] = [keys.length, ...keys];
  if (options?.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new ArgumentError(
        `SINTERCARD: limit must be a non-negative integer, got ${shown(options.limit)}`,
      );
    }
    args.push('LIMIT', options.limit);
  }
  return args;
}

export const setCommands = {
  /** https://redis.io/commands/sadd/ — the number of members added (not those already present). */
  sadd: command({ name: 'SADD', keys: FIRST_KEY, args: keyAndMembers, reply: asNumber }),
  /** https://redis.io/commands/srem/ — the number of members removed. */
  srem: command({ name: 'SREM', keys: FIRST_KEY, args: keyAndMembers, reply: asNumber }),
  /** https://redis.io/commands/smembers/ — in no particular order. */
  smembers: command({
    name: 'SMEMBERS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asMembers,
  }),
  /** https://redis.io/commands/sismember/ */
  sismember: command({
    name: 'SISMEMBER',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, member: RedisArg) => [key, member],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/smismember/ — one boolean per member, in order. */
  smismember: command({
    name: 'SMISMEMBER',
    keys: FIRST_KEY,
    readOnly: true,
    args: keyAndMembers,
    reply: (raw): boolean[] => (raw as RespValue[]).map(asBoolean),
  }),
  /** https://redis.io/commands/scard/ — the number of members. */
  scard: command({
    name: 'SCARD',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/spop/ — a removed random member, `null` if the key does not exist. */
  spop: command({ name: 'SPOP', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asMemberOrNull }),
  /** https://redis.io/commands/spop/ — up to `count` removed random members (`[]` if no key). */
  spopCount: command({
    name: 'SPOP',
    keys: FIRST_KEY,
    args: (key: RedisArg, count: number) => {
      if (!Number.isInteger(count) || count < 0) {
        throw new ArgumentError(`SPOP: count must be a non-negative integer, got ${shown(count)}`);
      }
      return [key, count];
    },
    reply: asMembers,
  }),
  /** https://redis.io/commands/srandmember/ — a random member, `null` if the key does not exist. */
  srandmember: command({
    name: 'SRANDMEMBER',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asMemberOrNull,
  }),
  /** https://redis.io/commands/srandmember/ — up to `count` distinct members; negative `count` may repeat. */
  srandmemberCount: command({
    name: 'SRANDMEMBER',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, count: number) => {
      if (!Number.isInteger(count)) {
        throw new ArgumentError(`SRANDMEMBER: count must be an integer, got ${shown(count)}`);
      }
      return [key, count];
    },
    reply: asMembers,
  }),
  /** https://redis.io/commands/sinter/ */
  sinter: command({ name: 'SINTER', keys: ALL_KEYS, readOnly: true, args: oneOrMoreKeys, reply: asMembers }),
  /** https://redis.io/commands/sunion/ */
  sunion: command({ name: 'SUNION', keys: ALL_KEYS, readOnly: true, args: oneOrMoreKeys, reply: asMembers }),
  /** https://redis.io/commands/sdiff/ — members of the first set that are in none of the others. */
  sdiff: command({ name: 'SDIFF', keys: ALL_KEYS, readOnly: true, args: oneOrMoreKeys, reply: asMembers }),
  /** https://redis.io/commands/sinterstore/ — the size of the stored result. */
  sinterstore: command({ name: 'SINTERSTORE', keys: ALL_KEYS, args: destinationAndKeys, reply: asNumber }),
  /** https://redis.io/commands/sunionstore/ — the size of the stored result. */
  sunionstore: command({ name: 'SUNIONSTORE', keys: ALL_KEYS, args: destinationAndKeys, reply: asNumber }),
  /** https://redis.io/commands/sdiffstore/ — the size of the stored result. */
  sdiffstore: command({ name: 'SDIFFSTORE', keys: ALL_KEYS, args: destinationAndKeys, reply: asNumber }),
  /** https://redis.io/commands/smove/ — `true` if the member was moved, `false` if it was not in `source`. */
  smove: command({
    name: 'SMOVE',
    keys: FIRST_TWO_KEYS,
    args: (source: RedisArg, destination: RedisArg, member: RedisArg) => [source, destination, member],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/sintercard/ — the intersection's size, counting stops at `limit` (0: no limit). */
  sintercard: command({
    name: 'SINTERCARD',
    keys: { kind: 'numkeys', index: 0 },
    readOnly: true,
    args: sintercardArgs,
    reply: asNumber,
  }),
  /** https://redis.io/commands/sscan/ — one page of members; done when `cursor` is `'0'`. */
  sscan: command({
    name: 'SSCAN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, cursor: RedisArg, options?: ScanOptions) =>
      pushScanOptions('SSCAN', [key, cursor], options),
    reply: (raw): { cursor: string & Unbuffered; members: string[] } => ({
      cursor: scanCursor(raw),
      members: raw[1] as string[],
    }),
  }),
};

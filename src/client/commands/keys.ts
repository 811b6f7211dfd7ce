import { ArgumentError } from '../../errors.js';
import type { RedisArg, RespValue } from '../../resp/types.js';
import { asBoolean, asNumber } from '../replies.js';
import {
  ALL_KEYS,
  command,
  everyPrimary,
  FIRST_KEY,
  type KeySpec,
  NO_KEYS,
  type Unbuffered,
} from '../spec.js';
import { optionsOf, shown } from './argument-checks.js';

/** SOURCE and DESTINATION (RENAME, COPY, SMOVE, LMOVE): the first two arguments are keys. */
export const FIRST_TWO_KEYS: KeySpec = { kind: 'range', first: 0, last: 1, step: 1 };

/** When an expiry may be set. https://redis.io/commands/expire/ */
export type ExpireCondition = 'NX' | 'XX' | 'GT' | 'LT';

/** Options shared by SCAN, HSCAN, SSCAN and ZSCAN. https://redis.io/commands/scan/ */
export interface ScanOptions {
  /** Only return elements matching this glob-style pattern (MATCH). */
  match?: RedisArg;
  /** How much work the server does per call (COUNT), a hint; a positive integer. */
  count?: number;
}

/** Options of SCAN. https://redis.io/commands/scan/ */
export interface KeyScanOptions extends ScanOptions {
  /** Only return keys of this type (`'string'`, `'hash'`, `'zset'`, ...) (TYPE). */
  type?: string;
}

/** Options of COPY. https://redis.io/commands/copy/ */
export interface CopyOptions {
  /** Copy into this logical database instead of the current one (DB). */
  db?: number;
  /** Overwrite the destination if it exists (REPLACE). */
  replace?: boolean;
}

/** Options of RESTORE. https://redis.io/commands/restore/ */
export interface RestoreOptions {
  /** Overwrite the key if it exists (REPLACE). */
  replace?: boolean;
  /** `ttl` is an absolute Unix time in milliseconds rather than a duration (ABSTTL). */
  absttl?: boolean;
  /** The key's idle time in seconds, for LRU eviction (IDLETIME). Excludes `freq`. */
  idletime?: number;
  /** The key's access frequency, for LFU eviction (FREQ). Excludes `idletime`. */
  freq?: number;
}

/** Appends MATCH and COUNT to a *SCAN call's arguments, refusing a count Redis would reject. */
export function pushScanOptions(
  commandName: string,
  args: RedisArg[],
  scanOptions: ScanOptions | undefined,
): RedisArg[] {
  const options = optionsOf(commandName, scanOptions);
  if (options === undefined) return args;
  if (options.match !== undefined) args.push('MATCH', options.match);
  if (options.count !== undefined) {
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new ArgumentError(
        `${commandName}: count must be a positive integer, got ${shown(options.count)}`,
      );
    }
    args.push('COUNT', options.count);
  }
  return args;
}

/**
 * The cursor of a *SCAN reply (`[cursor, items]` in RESP2 and RESP3). A string because it is an
 * unsigned 64-bit number; the scan is complete when it is `'0'`. A string even with
 * `withOptions({ buffers: true })`, so the same loop ends for both.
 */
export function scanCursor(raw: RespValue): string & Unbuffered {
  return String((raw as RespValue[])[0]) as string & Unbuffered;
}

function expireArgs(commandName: string) {
  return (key: RedisArg, time: number, condition?: ExpireCondition): RedisArg[] => {
    if (condition === undefined) return [key, time];
    if (condition !== 'NX' && condition !== 'XX' && condition !== 'GT' && condition !== 'LT') {
      throw new ArgumentError(
        `${commandName}: condition must be 'NX', 'XX', 'GT' or 'LT', got ${shown(condition)}`,
      );
    }
    return [key, time, condition];
  };
}

function copyArgs(source: RedisArg, destination: RedisArg, copyOptions?: CopyOptions): RedisArg[] {
  const args: RedisArg[] = [source, destination];
  const options = optionsOf('COPY', copyOptions);
  if (options === undefined) return args;
  if (options.db !== undefined) {
    if (!Number.isInteger(options.db) || options.db < 0) {
      throw new ArgumentError(`COPY: db must be a non-negative integer, got ${shown(options.db)}`);
    }
    args.push('DB', options.db);
  }
  if (options.replace) args.push('REPLACE');
  return args;
}

function restoreArgs(
  key: RedisArg,
  ttl: number,
  serializedValue: RedisArg,
  restoreOptions?: RestoreOptions,
): RedisArg[] {
  const args: RedisArg[] = [key, ttl, serializedValue];
  const options = optionsOf('RESTORE', restoreOptions);
  if (options === undefined) return args;
  if (options.replace) args.push('REPLACE');
  if (options.absttl) args.push('ABSTTL');
  if (options.idletime !== undefined && options.freq !== undefined) {
    throw new ArgumentError('RESTORE: idletime and freq cannot be used together');
  }
  if (options.idletime !== undefined) {
    if (!Number.isInteger(options.idletime) || options.idletime < 0) {
      throw new ArgumentError(
        `RESTORE: idletime must be a non-negative integer, got ${shown(options.idletime)}`,
      );
    }
    args.push('IDLETIME', options.idletime);
  }
  if (options.freq !== undefined) {
    if (!Number.isInteger(options.freq) || options.freq < 0 || options.freq > 255) {
      throw new ArgumentError(`RESTORE: freq must be an integer from 0 to 255, got ${shown(options.freq)}`);
    }
    args.push('FREQ', options.freq);
  }
  return args;
}

function scanArgs(cursor: RedisArg, options?: KeyScanOptions): RedisArg[] {
  const args = pushScanOptions('SCAN', [cursor], options);
  if (options !== undefined && options.type !== undefined) args.push('TYPE', options.type);
  return args;
}

const asNullableNumber = (raw: RespValue): number | null => (raw === null ? null : Number(raw));

export const keyCommands = {
  /** https://redis.io/commands/del/ — the number of keys removed. */
  del: command({
    name: 'DEL',
    keys: ALL_KEYS,
    args: (key: RedisArg, ...keys: RedisArg[]) => [key, ...keys],
    reply: asNumber,
  }),
  /** https://redis.io/commands/unlink/ — the number of keys removed (memory is freed in the background). */
  unlink: command({
    name: 'UNLINK',
    keys: ALL_KEYS,
    args: (key: RedisArg, ...keys: RedisArg[]) => [key, ...keys],
    reply: asNumber,
  }),
  /** https://redis.io/commands/exists/ — how many of the keys exist (a key named twice counts twice). */
  exists: command({
    name: 'EXISTS',
    keys: ALL_KEYS,
    readOnly: true,
    args: (key: RedisArg, ...keys: RedisArg[]) => [key, ...keys],
    reply: asNumber,
  }),
  /** https://redis.io/commands/expire/ — `true` if the timeout was set. */
  expire: command({ name: 'EXPIRE', keys: FIRST_KEY, args: expireArgs('EXPIRE'), reply: asBoolean }),
  /** https://redis.io/commands/pexpire/ — `true` if the timeout was set. */
  pexpire: command({ name: 'PEXPIRE', keys: FIRST_KEY, args: expireArgs('PEXPIRE'), reply: asBoolean }),
  /** https://redis.io/commands/expireat/ — `true` if the timeout was set. */
  expireat: command({ name: 'EXPIREAT', keys: FIRST_KEY, args: expireArgs('EXPIREAT'), reply: asBoolean }),
  /** https://redis.io/commands/pexpireat/ — `true` if the timeout was set. */
  pexpireat: command({ name: 'PEXPIREAT', keys: FIRST_KEY, args: expireArgs('PEXPIREAT'), reply: asBoolean }),
  /** https://redis.io/commands/ttl/ — seconds left; -1 without a timeout, -2 if the key does not exist. */
  ttl: command({
    name: 'TTL',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/pttl/ — milliseconds left; -1 without a timeout, -2 if the key does not exist. */
  pttl: command({
    name: 'PTTL',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/expiretime/ — Unix time in seconds; -1 without a timeout, -2 if no key. */
  expiretime: command({
    name: 'EXPIRETIME',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/pexpiretime/ — Unix time in milliseconds; -1 without a timeout, -2 if no key. */
  pexpiretime: command({
    name: 'PEXPIRETIME',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/persist/ — `true` if a timeout was removed. */
  persist: command({ name: 'PERSIST', keys: FIRST_KEY, args: (key: RedisArg) => [key], reply: asBoolean }),
  /** https://redis.io/commands/type/ — `'string'`, `'list'`, `'set'`, `'zset'`, `'hash'`, `'stream'` or `'none'`. */
  type: command({
    name: 'TYPE',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: (raw): string & Unbuffered => raw as string & Unbuffered,
  }),
  /** https://redis.io/commands/rename/ */
  rename: command({
    name: 'RENAME',
    keys: FIRST_TWO_KEYS,
    args: (key: RedisArg, newKey: RedisArg) => [key, newKey],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/renamenx/ — `false` if `newKey` already existed. */
  renamenx: command({
    name: 'RENAMENX',
    keys: FIRST_TWO_KEYS,
    args: (key: RedisArg, newKey: RedisArg) => [key, newKey],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/touch/ — the number of keys that exist (their access time is updated). */
  touch: command({
    name: 'TOUCH',
    keys: ALL_KEYS,
    readOnly: true,
    args: (key: RedisArg, ...keys: RedisArg[]) => [key, ...keys],
    reply: asNumber,
  }),
  /** https://redis.io/commands/copy/ — `true` if copied (`false` if the destination exists without `replace`). */
  copy: command({ name: 'COPY', keys: FIRST_TWO_KEYS, args: copyArgs, reply: asBoolean }),
  /** https://redis.io/commands/randomkey/ — `null` when the database is empty. */
  randomkey: command({
    name: 'RANDOMKEY',
    keys: NO_KEYS,
    readOnly: true,
    args: () => [],
    reply: (raw): string | null => raw as string | null,
  }),
  /**
   * https://redis.io/commands/keys/ — blocks the server while it walks every key; prefer `scan`.
   * On a cluster, every primary's keys together.
   */
  keys: command({
    name: 'KEYS',
    keys: NO_KEYS,
    readOnly: true,
    cluster: everyPrimary((replies) => (replies as RespValue[][]).flat()),
    args: (pattern: RedisArg) => [pattern],
    reply: (raw): string[] => raw as string[],
  }),
  /** https://redis.io/commands/scan/ — one page; call again with `cursor` until it is `'0'`. */
  scan: command({
    name: 'SCAN',
    keys: NO_KEYS,
    readOnly: true,
    cluster: {
      kind: 'refused',
      reason:
        'a page covers one primary only; use cluster.scanIterator() to scan every primary (or a Client on one node)',
    },
    args: scanArgs,
    reply: (raw): { cursor: string & Unbuffered; keys: string[] } => ({
      cursor: scanCursor(raw),
      keys: raw[1] as string[],
    }),
  }),
  /**
   * https://redis.io/commands/dump/ — the serialized value as a Buffer (binary by nature, so
   * always decoded as bytes, whatever the view), or `null` if the key does not exist.
   */
  dump: command({
    name: 'DUMP',
    keys: FIRST_KEY,
    readOnly: true,
    buffers: true,
    args: (key: RedisArg) => [key],
    reply: (raw): Buffer | null => raw as Buffer | null,
  }),
  /** https://redis.io/commands/restore/ — `ttl` in milliseconds, 0 for none; `serializedValue` from `dump`. */
  restore: command({
    name: 'RESTORE',
    keys: FIRST_KEY,
    args: restoreArgs,
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/object-encoding/ — `'listpack'`, `'hashtable'`, ...; `null` if no key. */
  objectEncoding: command({
    name: 'OBJECT ENCODING',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: (raw): string | null => raw as string | null,
  }),
  /** https://redis.io/commands/object-freq/ — needs an LFU `maxmemory-policy`; `null` if no key. */
  objectFreq: command({
    name: 'OBJECT FREQ',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNullableNumber,
  }),
  /** https://redis.io/commands/object-idletime/ — seconds since last access; `null` if no key. */
  objectIdletime: command({
    name: 'OBJECT IDLETIME',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNullableNumber,
  }),
  /** https://redis.io/commands/object-refcount/ — `null` if no key. */
  objectRefcount: command({
    name: 'OBJECT REFCOUNT',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNullableNumber,
  }),
  /**
   * https://redis.io/commands/watch/ — watches are per connection: only meaningful on a connection
   * the caller holds alone for the following MULTI/EXEC (a reconnect drops them).
   */
  watch: command({
    name: 'WATCH',
    keys: ALL_KEYS,
    args: (key: RedisArg, ...keys: RedisArg[]) => [key, ...keys],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/unwatch/ */
  unwatch: command({ name: 'UNWATCH', keys: NO_KEYS, args: () => [], reply: (raw): 'OK' => raw as 'OK' }),
};

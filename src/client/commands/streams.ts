import type { RedisArg } from '../../resp/types.js';
import { asBoolean, asNumber } from '../replies.js';
import { command, FIRST_KEY, type KeySpec, millisecondsAfter } from '../spec.js';
import {
  pushTrim,
  rangeArgs,
  type StreamTrim,
  withIds,
  xaddArgs,
  xautoclaimArgs,
  xclaimArgs,
  xgroupCreateArgs,
  xgroupSetidArgs,
  xpendingRangeArgs,
  xreadArgs,
  xreadgroupArgs,
} from './stream-args.js';
import {
  asAutoclaim,
  asAutoclaimIds,
  asConsumerInfos,
  asGroupInfos,
  asPendingEntries,
  asPendingSummary,
  asStreamEntries,
  asStreamGroupReads,
  asStreamIds,
  asStreamInfo,
  asStreamReads,
  type StreamId,
} from './stream-replies.js';

/** Keys after STREAMS (XREAD [COUNT n] [BLOCK ms] STREAMS k1 k2 id1 id2). */
const XREAD_KEYS: KeySpec = { kind: 'keyword', keyword: 'STREAMS', startFrom: 0 };
/** XREADGROUP GROUP group consumer ... STREAMS: the search starts past the group and consumer. */
const XREADGROUP_KEYS: KeySpec = { kind: 'keyword', keyword: 'STREAMS', startFrom: 3 };

/**
 * Stream commands. Entries are `{ id, fields }` (see `StreamEntry`), XREAD/XREADGROUP answer one
 * `{ stream, entries }` per stream that had entries, and nil replies are `null`, on RESP2 and
 * RESP3 alike. https://redis.io/docs/latest/develop/data-types/streams/
 */
export const streamCommands = {
  /**
   * https://redis.io/commands/xadd/ — `xadd(key, '*', { job: 'mail' })`; the new entry's ID, or
   * `null` with `nomkstream` when the stream does not exist. `id` is `'*'` for a server-made ID.
   */
  xadd: command({
    name: 'XADD',
    keys: FIRST_KEY,
    args: xaddArgs,
    reply: (raw): StreamId | null => (raw === null ? null : String(raw)),
  }),
  /** https://redis.io/commands/xrange/ — entries from `start` to `end` (`'-'`, `'+'`, `'(id'` excludes). */
  xrange: command({
    name: 'XRANGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: rangeArgs('XRANGE'),
    reply: asStreamEntries,
  }),
  /** https://redis.io/commands/xrevrange/ — as `xrange`, newest first: `xrevrange(key, '+', '-')`. */
  xrevrange: command({
    name: 'XREVRANGE',
    keys: FIRST_KEY,
    readOnly: true,
    args: rangeArgs('XREVRANGE'),
    reply: asStreamEntries,
  }),
  /** https://redis.io/commands/xlen/ — the number of entries; 0 if the stream does not exist. */
  xlen: command({
    name: 'XLEN',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asNumber,
  }),
  /** https://redis.io/commands/xdel/ — `xdel(key, id, ...)` or an array of IDs; the number deleted. */
  xdel: command({
    name: 'XDEL',
    keys: FIRST_KEY,
    args: (key: RedisArg, ids: RedisArg | readonly RedisArg[], ...more: RedisArg[]) =>
      withIds('XDEL', [key], ids, more),
    reply: asNumber,
  }),
  /** https://redis.io/commands/xtrim/ — `xtrim(key, { maxlen: 1000, approximate: true })`; entries removed. */
  xtrim: command({
    name: 'XTRIM',
    keys: FIRST_KEY,
    args: (key: RedisArg, trim: StreamTrim) => pushTrim('XTRIM', [key], trim),
    reply: asNumber,
  }),
  /**
   * https://redis.io/commands/xread/ — `xread({ events: '$' }, { block: 5000 })`: the entries per
   * stream that had any, or `null` when none had (or the block timed out). With `block` the call
   * blocks its connection.
   */
  xread: command({
    name: 'XREAD',
    keys: XREAD_KEYS,
    readOnly: true,
    connection: 'blocking',
    blockTime: millisecondsAfter('BLOCK', 'STREAMS'),
    args: xreadArgs,
    reply: asStreamReads,
  }),
  /**
   * https://redis.io/commands/xreadgroup/ — `xreadgroup('workers', 'w1', { jobs: '>' })`: new
   * entries (`'>'`) or this consumer's pending ones (an ID), per stream; `null` when nothing was
   * read. Adds what it reads to the group's pending list (unless `noack`), so it is a write. With
   * `block` the call blocks its connection.
   */
  xreadgroup: command({
    name: 'XREADGROUP',
    keys: XREADGROUP_KEYS,
    connection: 'blocking',
    blockTime: millisecondsAfter('BLOCK', 'STREAMS'),
    args: xreadgroupArgs,
    reply: asStreamGroupReads,
  }),
  /** https://redis.io/commands/xack/ — `xack(key, group, id, ...)` or an array of IDs; how many of the IDs were pending and are now acknowledged. */
  xack: command({
    name: 'XACK',
    keys: FIRST_KEY,
    args: (key: RedisArg, group: RedisArg, ids: RedisArg | readonly RedisArg[], ...more: RedisArg[]) =>
      withIds('XACK', [key, group], ids, more),
    reply: asNumber,
  }),
  /** https://redis.io/commands/xgroup-create/ — `id` is `'$'` (only new entries) or `'0'` (all). */
  xgroupCreate: command({
    name: 'XGROUP CREATE',
    keys: FIRST_KEY,
    args: xgroupCreateArgs,
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/xgroup-destroy/ — `true` if the group existed. */
  xgroupDestroy: command({
    name: 'XGROUP DESTROY',
    keys: FIRST_KEY,
    args: (key: RedisArg, group: RedisArg) => [key, group],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/xgroup-setid/ — moves the group's last delivered ID. */
  xgroupSetid: command({
    name: 'XGROUP SETID',
    keys: FIRST_KEY,
    args: xgroupSetidArgs,
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/xgroup-createconsumer/ — `true` if created, `false` if it existed. */
  xgroupCreateconsumer: command({
    name: 'XGROUP CREATECONSUMER',
    keys: FIRST_KEY,
    args: (key: RedisArg, group: RedisArg, consumer: RedisArg) => [key, group, consumer],
    reply: asBoolean,
  }),
  /** https://redis.io/commands/xgroup-delconsumer/ — the number of entries the consumer had pending (now dropped). */
  xgroupDelconsumer: command({
    name: 'XGROUP DELCONSUMER',
    keys: FIRST_KEY,
    args: (key: RedisArg, group: RedisArg, consumer: RedisArg) => [key, group, consumer],
    reply: asNumber,
  }),
  /** https://redis.io/commands/xpending/ — the summary: how many are pending, the ID range, per consumer. */
  xpending: command({
    name: 'XPENDING',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, group: RedisArg) => [key, group],
    reply: asPendingSummary,
  }),
  /**
   * https://redis.io/commands/xpending/ — the extended form: up to `count` pending entries from
   * `start` to `end` (`'-'`, `'+'`), optionally only those idle `idle` ms or of one `consumer`.
   */
  xpendingRange: command({
    name: 'XPENDING',
    keys: FIRST_KEY,
    readOnly: true,
    args: xpendingRangeArgs,
    reply: asPendingEntries,
  }),
  /**
   * https://redis.io/commands/xclaim/ — takes over pending entries idle at least `minIdleTime` ms;
   * the entries claimed (deleted ones are dropped from the pending list and not returned).
   */
  xclaim: command({ name: 'XCLAIM', keys: FIRST_KEY, args: xclaimArgs(false), reply: asStreamEntries }),
  /** https://redis.io/commands/xclaim/ — as `xclaim` with JUSTID: the IDs claimed; the delivery count is not incremented. */
  xclaimJustId: command({ name: 'XCLAIM', keys: FIRST_KEY, args: xclaimArgs(true), reply: asStreamIds }),
  /**
   * https://redis.io/commands/xautoclaim/ — claims pending entries idle at least `minIdleTime` ms,
   * scanning from `start` (`'0-0'`); call again with `next` until it is `'0-0'`.
   */
  xautoclaim: command({
    name: 'XAUTOCLAIM',
    keys: FIRST_KEY,
    args: xautoclaimArgs(false),
    reply: asAutoclaim,
  }),
  /** https://redis.io/commands/xautoclaim/ — as `xautoclaim` with JUSTID: IDs only. */
  xautoclaimJustId: command({
    name: 'XAUTOCLAIM',
    keys: FIRST_KEY,
    args: xautoclaimArgs(true),
    reply: asAutoclaimIds,
  }),
  /** https://redis.io/commands/xinfo-stream/ — length, IDs, first and last entries (see `StreamInfo`). */
  xinfoStream: command({
    name: 'XINFO STREAM',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asStreamInfo,
  }),
  /** https://redis.io/commands/xinfo-groups/ — one `StreamGroupInfo` per consumer group. */
  xinfoGroups: command({
    name: 'XINFO GROUPS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg) => [key],
    reply: asGroupInfos,
  }),
  /** https://redis.io/commands/xinfo-consumers/ — one `StreamConsumerInfo` per consumer of `group`. */
  xinfoConsumers: command({
    name: 'XINFO CONSUMERS',
    keys: FIRST_KEY,
    readOnly: true,
    args: (key: RedisArg, group: RedisArg) => [key, group],
    reply: asConsumerInfos,
  }),
};

import type { RespValue } from '../../resp/types.js';
import { objectFromFlat, type ProtocolShapes, shaped } from '../replies.js';
import type { TextReply } from '../spec.js';

/**
 * The reply shapes of the stream commands, one per command whatever the protocol: RESP3 answers
 * XREAD with a map and XINFO with maps where RESP2 sends flat arrays; both come out as below.
 * Type aliases rather than interfaces, so `Bufferize` maps them for `withOptions({ buffers: true })`:
 * there field values, stream names and consumer names become Buffers, IDs stay strings.
 */

/**
 * A stream entry ID, `<milliseconds>-<sequence>`. A string even on a buffers view: it is ASCII by
 * nature and is sent back as it is (XACK, XCLAIM, XRANGE, the next XREAD).
 */
export type StreamId = TextReply;

/**
 * One stream entry. `fields` is a plain object with a null prototype: field names as UTF-8
 * strings, values as strings (Buffers on a buffers view). Redis lets one entry repeat a field
 * name; the last value wins here.
 */
export type StreamEntry = { id: StreamId; fields: Record<string, string> };

/**
 * An entry read by a consumer group (XREADGROUP). `fields` is `null` for an entry deleted (XDEL,
 * XTRIM) after it was delivered, when re-reading the pending history (an ID other than `'>'`):
 * it is still pending and should be acknowledged.
 */
export type StreamGroupEntry = { id: StreamId; fields: Record<string, string> | null };

/** The entries read from one stream by XREAD/XREADGROUP; `stream` is its key. */
export type StreamRead<Entry = StreamEntry> = { stream: string; entries: Entry[] };

/** XPENDING's summary form. `smallestId`/`greatestId` are null when nothing is pending. */
export type StreamPendingSummary = {
  count: number;
  smallestId: StreamId | null;
  greatestId: StreamId | null;
  /** Consumers with at least one pending entry, and how many each has. */
  consumers: Array<{ name: string; pending: number }>;
};

/** One entry of XPENDING's extended form. */
export type StreamPendingEntry = {
  id: StreamId;
  consumer: string;
  /** Milliseconds since it was last delivered. */
  idle: number;
  /** How many times it was delivered. */
  deliveries: number;
};

/** XAUTOCLAIM: the claimed entries, the cursor for the next call, IDs that no longer exist. */
export type StreamAutoclaim = {
  /** Pass as `start` to continue; `'0-0'` once the whole pending list was scanned. */
  next: StreamId;
  entries: StreamEntry[];
  /** Pending IDs whose entries were deleted; the server removed them from the pending list. */
  deleted: StreamId[];
};

/** XAUTOCLAIM with JUSTID: as `StreamAutoclaim`, with IDs only. */
export type StreamAutoclaimIds = { next: StreamId; ids: StreamId[]; deleted: StreamId[] };

/**
 * XINFO STREAM. Fields added in Redis 7.0 (`maxDeletedEntryId`, `entriesAdded`,
 * `recordedFirstEntryId`) are null on older servers.
 */
export type StreamInfo = {
  length: number;
  radixTreeKeys: number;
  radixTreeNodes: number;
  lastGeneratedId: StreamId;
  maxDeletedEntryId: StreamId | null;
  entriesAdded: number | null;
  recordedFirstEntryId: StreamId | null;
  /** The number of consumer groups. */
  groups: number;
  firstEntry: StreamEntry | null;
  lastEntry: StreamEntry | null;
};

/** One consumer group of XINFO GROUPS; `entriesRead` and `lag` are null when unknown. */
export type StreamGroupInfo = {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: StreamId;
  entriesRead: number | null;
  lag: number | null;
};

/**
 * One consumer of XINFO CONSUMERS. `idle`: milliseconds since its last attempted interaction;
 * `inactive`: since its last successful one (Redis 7.2+, null before).
 */
export type StreamConsumerInfo = { name: string; pending: number; idle: number; inactive: number | null };

export function asStreamEntry(raw: RespValue): StreamEntry {
  const pair = raw as RespValue[];
  return { id: String(pair[0]), fields: objectFromFlat<string>(pair[1]) };
}

function asGroupEntry(raw: RespValue): StreamGroupEntry {
  const pair = raw as RespValue[];
  return { id: String(pair[0]), fields: pair[1] === null ? null : objectFromFlat<string>(pair[1]) };
}

export const asStreamEntries = (raw: RespValue): StreamEntry[] => (raw as RespValue[]).map(asStreamEntry);

const asNullableEntry = (raw: RespValue): StreamEntry | null => (raw === null ? null : asStreamEntry(raw));
const asIds = (raw: RespValue): StreamId[] => (raw === null ? [] : (raw as RespValue[]).map(String));
const asNullableId = (raw: RespValue): StreamId | null =>
  raw === null || raw === undefined ? null : String(raw);
const asNullableCount = (raw: RespValue): number | null =>
  raw === null || raw === undefined ? null : Number(raw);

/** XREAD/XREADGROUP: a RESP3 map or RESP2 `[[stream, entries], ...]`; nil (nothing read) is null. */
function readsOf<Entry>(raw: RespValue, entry: (raw: RespValue) => Entry): Array<StreamRead<Entry>> | null {
  if (raw === null) return null;
  const reads: Array<StreamRead<Entry>> = [];
  if (raw instanceof Map) {
    for (const [stream, entries] of raw) {
      reads.push({ stream: stream as string, entries: (entries as RespValue[]).map(entry) });
    }
  } else {
    for (const pair of raw as RespValue[][]) {
      reads.push({ stream: pair[0] as string, entries: (pair[1] as RespValue[]).map(entry) });
    }
  }
  return reads;
}

export const asStreamReads = (raw: RespValue): StreamRead[] | null => readsOf(raw, asStreamEntry);

export const asStreamGroupReads = (raw: RespValue): Array<StreamRead<StreamGroupEntry>> | null =>
  readsOf(raw, asGroupEntry);

export function asPendingSummary(raw: RespValue): StreamPendingSummary {
  const [count, smallest, greatest, consumers] = raw as RespValue[];
  return {
    count: Number(count),
    smallestId: asNullableId(smallest),
    greatestId: asNullableId(greatest),
    consumers:
      consumers === null
        ? []
        : (consumers as RespValue[][]).map(([name, pending]) => ({
            name: name as string,
            pending: Number(pending),
          })),
  };
}

export function asPendingEntries(raw: RespValue): StreamPendingEntry[] {
  return (raw as RespValue[][]).map(([id, consumer, idle, deliveries]) => ({
    id: String(id),
    consumer: consumer as string,
    idle: Number(idle),
    deliveries: Number(deliveries),
  }));
}

export function asAutoclaim(raw: RespValue): StreamAutoclaim {
  const reply = raw as RespValue[];
  // Redis 6.2 sends two elements; 7.0 added the deleted IDs.
  return { next: String(reply[0]), entries: asStreamEntries(reply[1]), deleted: asIds(reply[2] ?? null) };
}

export function asAutoclaimIds(raw: RespValue): StreamAutoclaimIds {
  const reply = raw as RespValue[];
  return { next: String(reply[0]), ids: asIds(reply[1]), deleted: asIds(reply[2] ?? null) };
}

export const asStreamIds = (raw: RespValue): StreamId[] => asIds(raw);

/** XINFO replies are maps on RESP3, flat arrays on RESP2. */
export const asStreamInfo = shaped((shapes: ProtocolShapes) => (raw: RespValue): StreamInfo => {
  const info = shapes.object(raw);
  return {
    length: Number(info.length),
    radixTreeKeys: Number(info['radix-tree-keys']),
    radixTreeNodes: Number(info['radix-tree-nodes']),
    lastGeneratedId: String(info['last-generated-id']),
    maxDeletedEntryId: asNullableId(info['max-deleted-entry-id']),
    entriesAdded: asNullableCount(info['entries-added']),
    recordedFirstEntryId: asNullableId(info['recorded-first-entry-id']),
    groups: Number(info.groups),
    firstEntry: asNullableEntry(info['first-entry']),
    lastEntry: asNullableEntry(info['last-entry']),
  };
});

export const asGroupInfos = shaped(
  (shapes: ProtocolShapes) =>
    (raw: RespValue): StreamGroupInfo[] =>
      (raw as RespValue[]).map((item) => {
        const info = shapes.object(item);
        return {
          name: info.name as string,
          consumers: Number(info.consumers),
          pending: Number(info.pending),
          lastDeliveredId: String(info['last-delivered-id']),
          entriesRead: asNullableCount(info['entries-read']),
          lag: asNullableCount(info.lag),
        };
      }),
);

export const asConsumerInfos = shaped(
  (shapes: ProtocolShapes) =>
    (raw: RespValue): StreamConsumerInfo[] =>
      (raw as RespValue[]).map((item) => {
        const info = shapes.object(item);
        return {
          name: info.name as string,
          pending: Number(info.pending),
          idle: Number(info.idle),
          inactive: asNullableCount(info.inactive),
        };
      }),
);

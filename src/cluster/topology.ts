import type { RespValue } from '../resp/types.js';
import { SLOT_COUNT } from './slots.js';

/** A node as the cluster describes it: `host:port` is its address and identity here. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

/** A primary, its replicas and the slot ranges it serves. */
export interface Shard {
  readonly primary: NodeAddress;
  readonly replicas: readonly NodeAddress[];
  readonly ranges: ReadonlyArray<readonly [number, number]>;
}

/**
 * Who serves which slot, decided once per refresh: routing a command is one typed-array read
 * (`slotShard[slot]`) and one array index.
 */
export interface Topology {
  readonly shards: readonly Shard[];
  /** Index into `shards` per slot; -1 where no shard serves the slot. */
  readonly slotShard: Int16Array;
}

export function nodeAddress(host: string, port: number): NodeAddress {
  return { host, port, address: `${host}:${port}` };
}

/**
 * Builds a topology from a `CLUSTER SLOTS` reply (same shape on RESP2 and RESP3):
 * `[[start, end, [host, port, id, ...], [replica host, port, id, ...]...], ...]`.
 * https://redis.io/commands/cluster-slots/ — an empty host means "the address you asked".
 */
export function parseClusterSlots(reply: RespValue, seedHost: string): Topology {
  if (!Array.isArray(reply)) throw new TypeError('CLUSTER SLOTS did not answer with an array');
  const byPrimary = new Map<
    string,
    { primary: NodeAddress; replicas: Map<string, NodeAddress>; ranges: Array<[number, number]> }
  >();
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 3) continue;
    const start = Number(entry[0]);
    const end = Number(entry[1]);
    const primary = readNode(entry[2], seedHost);
    if (primary === undefined) continue;
    let shard = byPrimary.get(primary.address);
    if (shard === undefined) {
      shard = { primary, replicas: new Map(), ranges: [] };
      byPrimary.set(primary.address, shard);
    }
    shard.ranges.push([start, end]);
    for (let i = 3; i < entry.length; i++) {
      const replica = readNode(entry[i], seedHost);
      if (replica !== undefined) shard.replicas.set(replica.address, replica);
    }
  }
  const shards: Shard[] = [];
  const slotShard = new Int16Array(SLOT_COUNT).fill(-1);
  for (const shard of byPrimary.values()) {
    const index = shards.length;
    shards.push({ primary: shard.primary, replicas: [...shard.replicas.values()], ranges: shard.ranges });
    for (const [start, end] of shard.ranges) slotShard.fill(index, start, end + 1);
  }
  return { shards, slotShard };
}

function readNode(value: RespValue, seedHost: string): NodeAddress | undefined {
  if (!Array.isArray(value) || value.length < 2) return undefined;
  const host =
    value[0] === null || String(value[0]) === '' || String(value[0]) === '?' ? seedHost : String(value[0]);
  const port = Number(value[1]);
  if (!Number.isInteger(port) || port <= 0) return undefined;
  return nodeAddress(host, port);
}

/** Parses the target of `MOVED 3999 127.0.0.1:6381` / `ASK 3999 127.0.0.1:6381`. */
export function parseRedirect(
  message: string,
  seedHost: string,
): { slot: number; node: NodeAddress } | undefined {
  const parts = message.split(' ');
  if (parts.length < 3) return undefined;
  const slot = Number(parts[1]);
  const target = parts[2];
  const colon = target.lastIndexOf(':');
  if (colon === -1 || !Number.isInteger(slot)) return undefined;
  const host = target.slice(0, colon) || seedHost;
  const port = Number(target.slice(colon + 1));
  if (!Number.isInteger(port)) return undefined;
  return { slot, node: nodeAddress(host, port) };
}

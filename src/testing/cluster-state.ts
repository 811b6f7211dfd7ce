// Reading a cluster's own account of itself, to decide when a freshly created cluster is usable.
// Creation only hands out slots and introduces nodes; gossip then spreads that to every node over
// the next few hundred milliseconds, and until each node agrees a client sees MOVED loops,
// CLUSTERDOWN or replicas that do not know their primary yet.

import { type Endpoint, sendCommand } from './probe.js';
import type { Reply } from './wire.js';

/** Redis Cluster always has exactly this many hash slots. */
export const SLOT_COUNT = 16_384;

/** One line of CLUSTER NODES, reduced to what the harness needs. */
export interface NodeEntry {
  id: string;
  port: number;
  flags: string[];
  /** The primary's id for a replica, '-' for a primary. */
  primaryId: string;
  linkState: string;
  /** The first slot a primary serves; Infinity when it serves none. */
  firstSlot: number;
}

/** The shape a converged cluster must have. */
export interface ExpectedShape {
  primaries: number;
  replicasPerPrimary: number;
}

const COMMAND_TIMEOUT_MS = 2_000;

/**
 * Checks one node's view of the cluster against `expected`. Resolves with undefined when the node
 * agrees, or a sentence saying what it does not agree on yet.
 */
export async function disagreement(node: Endpoint, expected: ExpectedShape): Promise<string | undefined> {
  const nodeCount = expected.primaries * (1 + expected.replicasPerPrimary);
  const [info, nodes, slots] = await Promise.all([
    command(node, ['CLUSTER', 'INFO']),
    command(node, ['CLUSTER', 'NODES']),
    command(node, ['CLUSTER', 'SLOTS']),
  ]);
  const fields = parseInfo(String(info));
  if (fields.get('cluster_state') !== 'ok') return `cluster_state is ${fields.get('cluster_state')}`;
  if (fields.get('cluster_known_nodes') !== String(nodeCount)) {
    return `knows ${fields.get('cluster_known_nodes')} of ${nodeCount} nodes`;
  }

  const entries = parseNodes(String(nodes));
  const unsettled = entries.find(
    (entry) =>
      entry.linkState !== 'connected' ||
      entry.flags.some((flag) => flag === 'handshake' || flag === 'noaddr' || flag.startsWith('fail')),
  );
  if (unsettled !== undefined)
    return `sees node ${unsettled.port} as ${unsettled.flags.join(',')}/${unsettled.linkState}`;
  const replicas = entries.filter((entry) => entry.flags.includes('slave') && entry.primaryId !== '-');
  if (replicas.length !== expected.primaries * expected.replicasPerPrimary) {
    return `sees ${replicas.length} replicas attached to a primary`;
  }

  const covered = slotsCovered(slots, 1 + expected.replicasPerPrimary);
  if (covered !== SLOT_COUNT)
    return `CLUSTER SLOTS covers ${covered} of ${SLOT_COUNT} slots with a full set of nodes`;

  const self = entries.find((entry) => entry.flags.includes('myself'));
  if (self?.flags.includes('slave')) {
    const replication = parseInfo(String(await command(node, ['INFO', 'replication'])));
    if (replication.get('master_link_status') !== 'up') return 'replica link to its primary is not up';
  }
  return undefined;
}

/** Parses CLUSTER NODES (https://redis.io/commands/cluster-nodes/). */
export function parseNodes(text: string): NodeEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, primaryId, , , , linkState, ...slotRanges] = line.trim().split(' ');
      // address is ip:port@busport, optionally followed by ,hostname.
      const port = Number(
        address.slice(address.lastIndexOf(':', address.indexOf('@')) + 1, address.indexOf('@')),
      );
      const firstSlot = Math.min(
        ...slotRanges.filter((range) => !range.startsWith('[')).map((range) => Number(range.split('-')[0])),
      );
      return { id, port, flags: flags.split(','), primaryId, linkState, firstSlot };
    });
}

/** Counts the slots CLUSTER SLOTS maps to a primary plus `nodesPerRange - 1` replicas. */
function slotsCovered(reply: Reply, nodesPerRange: number): number {
  if (!Array.isArray(reply)) return 0;
  let covered = 0;
  for (const range of reply) {
    // Each range is [start, end, primary, ...replicas]; a node is [ip, port, id, ...].
    if (!Array.isArray(range) || range.length - 2 !== nodesPerRange) continue;
    covered += Number(range[1]) - Number(range[0]) + 1;
  }
  return covered;
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

async function command(node: Endpoint, args: string[]): Promise<Reply> {
  const reply = await sendCommand(node, args, COMMAND_TIMEOUT_MS);
  if (typeof reply === 'object' && reply !== null && !Array.isArray(reply)) {
    throw new Error(`${args.join(' ')} failed: ${reply.message}`);
  }
  return reply;
}

import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { disagreement, type NodeEntry, parseNodes } from './cluster-state.js';
import { LOOPBACK } from './ports.js';
import { type Endpoint, sendCommand } from './probe.js';
import { configValue, type RedisConfig } from './redis-config.js';
import { type RedisServer, startRedis } from './redis-server.js';

const run = promisify(execFile);

/** How {@link startCluster} shapes the cluster; every field is optional. */
export interface StartClusterOptions {
  /** Number of primaries; at least 3, because `redis-cli --cluster create` refuses fewer. Default 3. */
  primaries?: number;
  /** Replicas attached to each primary. Default 0. */
  replicasPerPrimary?: number;
  /** Extra redis.conf directives for every node; they replace the cluster defaults of the same name. */
  config?: RedisConfig;
  /** Nodes listen on basePort, basePort + 1, ...; their bus ports are those + 10000. Default: free ports. */
  basePort?: number;
}

/** A running Redis Cluster whose nodes all agree on the topology. */
export interface RedisCluster {
  /** Every node, in start order. */
  readonly nodes: RedisServer[];
  /** Primaries as the cluster assigned them, ordered by the slots they serve (primaries[0] has slot 0). */
  readonly primaries: RedisServer[];
  /** Replicas grouped in the order of their primaries. */
  readonly replicas: RedisServer[];
  /** The url of every node, in the order of `nodes`. */
  readonly urls: string[];
  /** Stops every node and removes their dirs. */
  stop(): Promise<void>;
}

const CONVERGE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

/**
 * Starts `primaries * (1 + replicasPerPrimary)` redis-servers in cluster mode, joins them with
 * `redis-cli --cluster create`, and resolves once every node reports the same, complete topology.
 * Needs `redis-cli` on PATH.
 */
export function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  return launchCluster(options, undefined);
}

/**
 * How a fault proxy puts itself in front of every node (not public: a cluster whose nodes
 * announce ports nobody forwards is unusable). Node `i` announces `announcedPorts[i]` in CLUSTER
 * SLOTS, CLUSTER NODES, MOVED and ASK; `onNodesStarted` runs once the nodes listen and before
 * `redis-cli --cluster create` connects to the announced ports.
 */
export interface ClusterFronting {
  announcedPorts: readonly number[];
  onNodesStarted(nodes: readonly RedisServer[]): void;
}

/** How many nodes `options` asks for; throws RangeError for a shape the harness cannot start. */
export function nodeCountOf(options: StartClusterOptions): number {
  const primaryCount = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 0;
  if (!Number.isInteger(primaryCount) || primaryCount < 3) {
    throw new RangeError(
      `primaries must be an integer >= 3 (redis-cli --cluster create needs 3), got ${primaryCount}`,
    );
  }
  if (!Number.isInteger(replicasPerPrimary) || replicasPerPrimary < 0) {
    throw new RangeError(`replicasPerPrimary must be a non-negative integer, got ${replicasPerPrimary}`);
  }
  return primaryCount * (1 + replicasPerPrimary);
}

export async function launchCluster(
  options: StartClusterOptions,
  fronting: ClusterFronting | undefined,
): Promise<RedisCluster> {
  const nodeCount = nodeCountOf(options);
  const primaryCount = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 0;

  const config: RedisConfig = {
    'cluster-enabled': 'yes',
    'cluster-config-file': 'nodes.conf',
    // Short enough that failover tests finish quickly, long enough not to flap on a busy CI box.
    'cluster-node-timeout': 2000,
    // Redis 7 leaves a replica out of CLUSTER SLOTS until its replication offset is non-zero, and
    // a fresh primary's offset only moves with its first ping to replicas: 10 s by default.
    'repl-ping-replica-period': 1,
    ...options.config,
  };
  const password = configValue(config, 'requirepass');
  // Replicas authenticate to their primary with masterauth; without it they never sync.
  if (password !== undefined && configValue(config, 'masterauth') === undefined) config.masterauth = password;

  const configOf = (index: number): RedisConfig =>
    fronting === undefined
      ? config
      : {
          ...config,
          'cluster-announce-ip': LOOPBACK,
          'cluster-announce-port': fronting.announcedPorts[index],
        };
  const started = await Promise.allSettled(
    Array.from({ length: nodeCount }, (_, index) =>
      startRedis(
        options.basePort === undefined
          ? { config: configOf(index) }
          : { config: configOf(index), port: options.basePort + index },
      ),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  try {
    if (failure !== undefined) throw failure.reason;
    fronting?.onNodesStarted(nodes);
    const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
    await create(nodes, replicasPerPrimary, password, deadline);
    const endpoints = nodes.map((node): Endpoint => ({ host: node.host, port: node.port, password }));
    await waitForAgreement(endpoints, { primaries: primaryCount, replicasPerPrimary }, deadline);
    const entries = parseNodes(String(await sendCommand(endpoints[0], ['CLUSTER', 'NODES'], 2000)));
    return new StartedCluster(nodes, entries, fronting?.announcedPorts);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
}

class StartedCluster implements RedisCluster {
  readonly nodes: RedisServer[];
  readonly primaries: RedisServer[];
  readonly replicas: RedisServer[];
  readonly urls: string[];

  constructor(nodes: RedisServer[], entries: NodeEntry[], announcedPorts: readonly number[] | undefined) {
    this.nodes = nodes;
    this.urls = nodes.map((node) => node.url);
    // CLUSTER NODES names each node by the port it announces.
    const byPort = new Map(nodes.map((node, index) => [announcedPorts?.[index] ?? node.port, node]));
    const primaryEntries = entries
      .filter((entry) => entry.flags.includes('master'))
      .sort((a, b) => a.firstSlot - b.firstSlot);
    const replicaEntries = primaryEntries.flatMap((primary) =>
      entries.filter((entry) => entry.primaryId === primary.id).sort((a, b) => a.port - b.port),
    );
    this.primaries = primaryEntries.map((entry) => byPort.get(entry.port)!);
    this.replicas = replicaEntries.map((entry) => byPort.get(entry.port)!);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}

async function create(
  nodes: RedisServer[],
  replicasPerPrimary: number,
  password: string | undefined,
  deadline: number,
): Promise<void> {
  const args = ['--cluster', 'create', ...nodes.map((node) => `${node.host}:${node.port}`)];
  args.push('--cluster-replicas', String(replicasPerPrimary), '--cluster-yes');
  if (password !== undefined) args.push('-a', password, '--no-auth-warning');
  try {
    await run('redis-cli', args, { timeout: Math.max(1, deadline - Date.now()) });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `redis-cli --cluster create failed: ${(error as Error).message}\n${stdout ?? ''}${stderr ?? ''}`,
    );
  }
}

async function waitForAgreement(
  endpoints: Endpoint[],
  expected: Parameters<typeof disagreement>[1],
  deadline: number,
): Promise<void> {
  for (;;) {
    const problems = await Promise.all(
      endpoints.map(async (endpoint) => {
        const problem = await disagreement(endpoint, expected).catch((error: Error) => error.message);
        return problem === undefined ? undefined : `node ${endpoint.port}: ${problem}`;
      }),
    );
    const remaining = problems.filter((problem) => problem !== undefined);
    if (remaining.length === 0) return;
    if (Date.now() + POLL_INTERVAL_MS > deadline) {
      throw new Error(`cluster did not converge within ${CONVERGE_TIMEOUT_MS} ms:\n${remaining.join('\n')}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

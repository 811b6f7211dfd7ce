import { Client } from '../client/client.js';
import { Cluster } from '../cluster/cluster.js';
import { UsageError } from './args.js';

/**
 * Where a command runs: `--url` (one server) or `--cluster` (a seed; every primary is used), or
 * REDIS_URL / REDIS_CLUSTER_URL from the environment. Credentials come only from the URL, and
 * nodes are shown as host:port — a URL is never printed, so neither is its password.
 */

/** A command-line run fails fast rather than waiting for a server to come back. */
const NODE_OPTIONS = { reconnect: false, connectTimeout: 5000, offlineQueue: false } as const;

export interface PrimaryNode {
  /** `host:port`, safe to print. */
  address: string;
  client: Client;
}

export interface Target {
  /** `server host:port` or `cluster (3 primaries)`, safe to print. */
  description: string;
  primaries: PrimaryNode[];
  close(): Promise<void>;
}

/** Where to connect, from the options or the environment; a UsageError when nowhere or both. */
export function resolveTarget(
  values: { url?: string; cluster?: string },
  usage: string,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; cluster: boolean } {
  if (values.url !== undefined && values.cluster !== undefined)
    throw new UsageError('give --url or --cluster, not both', usage);
  if (values.cluster !== undefined) return { url: values.cluster, cluster: true };
  if (values.url !== undefined) return { url: values.url, cluster: false };
  if (env.REDIS_CLUSTER_URL) return { url: env.REDIS_CLUSTER_URL, cluster: true };
  if (env.REDIS_URL) return { url: env.REDIS_URL, cluster: false };
  throw new UsageError('say where Redis is: --url, --cluster, REDIS_URL or REDIS_CLUSTER_URL', usage);
}

export async function connectTarget(
  values: { url?: string; cluster?: string },
  usage: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  const resolved = resolveTarget(values, usage, env);
  const clusterUrl = resolved.cluster ? resolved.url : undefined;
  const url = resolved.url;
  if (clusterUrl === undefined) {
    const client = new Client({ url, ...NODE_OPTIONS });
    await client.connect();
    const address = addressOf(url);
    return {
      description: `server ${address}`,
      primaries: [{ address, client }],
      close: () => client.quit().catch(() => client.disconnect()),
    };
  }

  // The cluster client finds the primaries; each is then asked on its own connection, so every
  // answer is known to come from that node.
  const cluster = new Cluster({ nodes: [clusterUrl], connectTimeout: NODE_OPTIONS.connectTimeout });
  await cluster.connect();
  const addresses = [...cluster.primaries].sort();
  await cluster.quit();
  const primaries: PrimaryNode[] = [];
  try {
    for (const address of addresses) {
      const client = new Client({ url: nodeUrl(clusterUrl, address), ...NODE_OPTIONS });
      primaries.push({ address, client });
      await client.connect();
    }
  } catch (error) {
    for (const node of primaries) node.client.disconnect();
    throw error;
  }
  return {
    description: `cluster (${primaries.length} primaries)`,
    primaries,
    close: async () => {
      await Promise.all(primaries.map((node) => node.client.quit().catch(() => node.client.disconnect())));
    },
  };
}

/** The seed URL's scheme, credentials and database, pointed at `host:port`. */
function nodeUrl(seed: string, address: string): string {
  const url = new URL(seed);
  const colon = address.lastIndexOf(':');
  url.hostname = address.slice(0, colon);
  url.port = address.slice(colon + 1);
  return url.toString();
}

function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'the server';
  }
}

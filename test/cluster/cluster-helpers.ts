import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { Client, Cluster, type ClusterOptions, slotOf } from '../../src/index.js';
import {
  type RedisCluster,
  type RedisServer,
  type StartClusterOptions,
  startCluster,
} from '../../src/testing/index.js';
import { uniqueKey } from '../helpers.js';

export { eventually } from '../helpers.js';

// One real cluster per test file (starting one takes seconds), shared by a RESP2 and a RESP3
// suite. Everything the tests check about where a command went is asked of the nodes directly
// (CLUSTER KEYSLOT, CLUSTER SLOTS, CLUSTER GETKEYSINSLOT, INFO commandstats), never of the
// cluster client under test, so a routing bug cannot confirm itself.

/** Both protocol versions: integration bodies are written once and run on each. */
export const PROTOCOLS = [2, 3] as const;

/** Options of a `Cluster` client, without the seed nodes (the shared cluster supplies them). */
export type ClusterClientOptions = Omit<ClusterOptions, 'nodes'>;

/** The default shape for these tests: the 3 primaries with a replica each. */
export const THREE_BY_ONE: StartClusterOptions = { primaries: 3, replicasPerPrimary: 1 };

/** A real cluster shared by the tests of one file, and ways to look at its nodes directly. */
export interface SharedCluster {
  /** The harness handle: nodes, primaries (primaries[0] serves slot 0), replicas, urls. */
  readonly cluster: RedisCluster;
  /** A connected client to one node alone (cached per node; closed after the file). */
  direct(node: RedisServer): Promise<Client>;
  /** A further connected Cluster client over every node (closed after the file). */
  newCluster(options?: ClusterClientOptions): Promise<Cluster>;
  /** The slot of `key` as the server computes it (CLUSTER KEYSLOT). */
  keyslot(key: string | Buffer | number | bigint): Promise<number>;
  /** The primary the cluster says serves `slot` (CLUSTER SLOTS, asked directly). */
  ownerOf(slot: number): Promise<RedisServer>;
  /** The slot ranges each primary serves, by port (CLUSTER SLOTS, asked directly). */
  slotRanges(): Promise<Map<number, Array<[number, number]>>>;
  /** The primaries that hold `key` in their own keyspace (CLUSTER GETKEYSINSLOT on each). */
  holdersOf(key: string): Promise<RedisServer[]>;
  /** `calls` of `command` (e.g. `get`, `script|load`) per node of `nodes`, from INFO commandstats. */
  callsOn(nodes: readonly RedisServer[], command: string): Promise<number[]>;
  /** `rejected_calls` (e.g. MOVED, CROSSSLOT from the server) of `command` per node of `nodes`. */
  rejectedOn(nodes: readonly RedisServer[], command: string): Promise<number[]>;
}

/**
 * Starts one cluster before the tests of the file (the enclosing suite) and stops it after them,
 * with every client made through the returned handle. Read `shared.cluster` inside tests only.
 * `early` starts it at once, while the suites declared before this one run: a fresh cluster
 * spends its first two seconds waiting (a new primary stays unwritable that long), not computing.
 */
export function useCluster(
  options: StartClusterOptions = THREE_BY_ONE,
  { early = false }: { early?: boolean } = {},
): SharedCluster {
  let cluster: RedisCluster | undefined;
  const directs = new Map<number, Promise<Client>>();
  const clusters: Cluster[] = [];
  let starting: Promise<RedisCluster> | undefined;
  const start = () => {
    starting ??= startCluster(options);
    return starting;
  };
  // A failure is reported by the hook below, where the tests can see it.
  if (early) start().catch(() => undefined);

  before(async () => {
    cluster = await start();
  });
  after(async () => {
    await Promise.all(clusters.map((client) => closeWithin(client, 5000)));
    for (const pending of directs.values()) (await pending.catch(() => undefined))?.disconnect();
    // Also a cluster started early whose tests never ran.
    await (cluster ?? (await starting?.catch(() => undefined)))?.stop();
  });

  const started = (): RedisCluster => {
    if (cluster === undefined) throw new Error('the cluster is not started yet (use it inside a test)');
    return cluster;
  };

  const shared: SharedCluster = {
    get cluster() {
      return started();
    },
    direct(node) {
      let client = directs.get(node.port);
      if (client === undefined) {
        const created = new Client({ url: node.url, resp: 2 });
        client = created.connect().then(() => created);
        directs.set(node.port, client);
      }
      return client;
    },
    async newCluster(clientOptions = {}) {
      const client = new Cluster({ ...clientOptions, nodes: started().urls });
      clusters.push(client);
      await client.connect();
      return client;
    },
    async keyslot(key) {
      const node = await shared.direct(started().primaries[0]);
      return Number(await node.call('CLUSTER', 'KEYSLOT', key));
    },
    async slotRanges() {
      const node = await shared.direct(started().primaries[0]);
      const reply = (await node.call('CLUSTER', 'SLOTS')) as unknown[][];
      const ranges = new Map<number, Array<[number, number]>>();
      for (const entry of reply) {
        const port = Number((entry[2] as unknown[])[1]);
        const list = ranges.get(port) ?? [];
        list.push([Number(entry[0]), Number(entry[1])]);
        ranges.set(port, list);
      }
      return ranges;
    },
    async ownerOf(slot) {
      for (const [port, ranges] of await shared.slotRanges()) {
        if (ranges.some(([start, end]) => slot >= start && slot <= end)) {
          const owner = started().primaries.find((node) => node.port === port);
          if (owner !== undefined) return owner;
        }
      }
      throw new Error(`no primary serves slot ${slot}`);
    },
    async holdersOf(key) {
      const slot = await shared.keyslot(key);
      const holders: RedisServer[] = [];
      for (const node of started().primaries) {
        const client = await shared.direct(node);
        const keys = (await client.call('CLUSTER', 'GETKEYSINSLOT', slot, 100_000)) as string[];
        if (keys.includes(key)) holders.push(node);
      }
      return holders;
    },
    callsOn(nodes, command) {
      return Promise.all(nodes.map(async (node) => commandStat(await shared.direct(node), command, 'calls')));
    },
    rejectedOn(nodes, command) {
      return Promise.all(
        nodes.map(async (node) => commandStat(await shared.direct(node), command, 'rejected_calls')),
      );
    },
  };
  return shared;
}

/**
 * `quit()`, then `disconnect()` if it is not done within `ms`: quit waits for every node to answer
 * QUIT, and a node a failed test left stopped (SIGSTOP) or busy would hold up the file's end.
 */
async function closeWithin(client: Cluster, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([client.quit().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** What a protocol suite's tests see: the shared cluster plus a Cluster client on that protocol. */
export interface ClusterContext extends SharedCluster {
  readonly resp: 2 | 3;
  /** A connected Cluster client on `resp`, with the suite's options. */
  readonly client: Cluster;
}

/**
 * Registers `describe('RESP2')` and `describe('RESP3')` over one shared cluster, each with its own
 * connected Cluster client (`clientOptions` may depend on the protocol). Read `context.client`
 * inside tests (do not destructure the context).
 */
export function forEachProtocol(
  shared: SharedCluster,
  body: (context: ClusterContext) => void,
  clientOptions: ClusterClientOptions | ((resp: 2 | 3) => ClusterClientOptions) = {},
): void {
  for (const resp of PROTOCOLS) {
    describe(`RESP${resp}`, () => {
      let client: Cluster | undefined;
      before(async () => {
        const options = typeof clientOptions === 'function' ? clientOptions(resp) : clientOptions;
        client = await shared.newCluster({ ...options, resp });
      });
      const context: ClusterContext = Object.create(shared, {
        resp: { value: resp, enumerable: true },
        client: {
          enumerable: true,
          get() {
            if (client === undefined) throw new Error('the cluster client is not connected yet');
            return client;
          },
        },
      });
      body(context);
    });
  }
}

/** `calls=` or `rejected_calls=` of `cmdstat_<command>` in INFO commandstats; 0 when never called. */
export async function commandStat(
  client: Client,
  command: string,
  field: 'calls' | 'rejected_calls' | 'failed_calls',
): Promise<number> {
  const text = await client.info('commandstats');
  const prefix = `cmdstat_${command.toLowerCase()}:`;
  for (const line of text.split('\r\n')) {
    if (!line.startsWith(prefix)) continue;
    for (const pair of line.slice(prefix.length).split(',')) {
      const [name, value] = pair.split('=');
      if (name === field) return Number(value);
    }
  }
  return 0;
}

/** Element-wise `after - before`. */
export function delta(before: readonly number[], after: readonly number[]): number[] {
  return after.map((value, index) => value - before[index]);
}

/** The settled outcome of `promise`, or `'pending'` if it has not settled within `ms`. */
export async function settledWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh key (unique to this run) owned by `node`. */
export async function keyOwnedBy(redis: SharedCluster, node: RedisServer, prefix: string): Promise<string> {
  const ranges = (await redis.slotRanges()).get(node.port);
  assert.ok(ranges !== undefined && ranges.length > 0);
  const [start, end] = ranges[0];
  const base = uniqueKey(prefix);
  for (let n = 0; ; n++) {
    const key = `${base}:${n}`;
    const slot = slotOf(key);
    if (slot >= start && slot <= end) return key;
  }
}

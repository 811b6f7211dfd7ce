import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import { Client, type ClientOptions, type Cluster, slotOf } from '../src/index.js';
import { type RedisServer, startRedis } from '../src/testing/index.js';
import { type SharedCluster, useCluster } from './cluster/cluster-helpers.js';
import { PROTOCOLS, uniqueKey } from './helpers.js';

// Integration bodies are written once and run on {RESP2, RESP3} x {standalone, cluster}
// (STYLE.md §9). A fresh cluster takes over two seconds to accept writes, far more than a suite's
// tests, so `forEachTarget` starts one standalone server and one 3-primary cluster per file (the
// cluster at once, booting while the standalone runs go on) and each protocol connects its own
// client to them. Put many bodies under one `forEachTarget` (test/client/commands.test.ts) rather
// than one per file: each file boots its own cluster, and the suite runs only a few files at once
// (scripts/test.mjs). The bodies share the servers with each other and with the other protocol's
// run, so they use fresh keys (`uniqueKey`, `sameSlot`).

/** Where a body runs. */
export type TargetKind = 'standalone' | 'cluster';

/** What a body sees: a client of either kind with the same command surface, and its keys. */
export interface Target {
  readonly kind: TargetKind;
  readonly resp: 2 | 3;
  /** The client under test: a `Client` on a standalone server, a `Cluster` on the cluster. */
  readonly client: Client | Cluster;
  /**
   * A further connected client of the same kind and protocol, closed after the file; for
   * blocking commands and connection state (WATCH, CLIENT SETNAME). A cluster has only db 0:
   * `db` is refused there, so a body asks for it on standalone only.
   */
  newClient(options?: ClientOptions): Promise<Client | Cluster>;
  /** A key unique to this run. */
  uniqueKey(prefix?: string): string;
  /** `count` fresh keys with one hash tag, so a multi-key command stays in one cluster slot. */
  sameSlot(count: number, prefix?: string): string[];
  /**
   * `count` fresh keys `<prefix>:...` (one pattern matches them all) that a cluster spreads over
   * its primaries in turn, so each primary holds some; plain fresh keys on standalone.
   */
  spread(count: number, prefix?: string): Promise<string[]>;
  /**
   * Each node that holds data, asked directly: the standalone server, or every primary of the
   * cluster in slot order. For checking what a command did without trusting the client under test.
   */
  eachNode(): Promise<Client[]>;
  /** The shared cluster's handle (owners, slots, commandstats); throws on standalone. */
  readonly cluster: SharedCluster;
}

/**
 * Registers `describe('standalone')` and `describe('cluster')`, each with a `RESP2` and a `RESP3`
 * suite running `body`. Read the target's `client` inside tests, not while declaring them.
 */
export function forEachTarget(body: (target: Target) => void): void {
  describe('standalone', () => {
    const server = useStandalone();
    for (const resp of PROTOCOLS) describe(`RESP${resp}`, () => body(standaloneTarget(server, resp)));
  });
  describe('cluster', () => {
    const shared = useCluster({ primaries: 3 }, { early: true });
    for (const resp of PROTOCOLS) describe(`RESP${resp}`, () => body(clusterTarget(shared, resp)));
  });
}

/** One standalone server for the enclosing suite, with a direct client to it. */
interface Standalone {
  readonly direct: Client;
  /** Connects a client and closes it after the suite. */
  connect(options: ClientOptions): Promise<Client>;
}

function useStandalone(): Standalone {
  let server: RedisServer | undefined;
  let direct: Client | undefined;
  const clients: Client[] = [];
  before(async () => {
    server = await startRedis();
    direct = new Client({ url: server.url, resp: 2 });
    await direct.connect();
  });
  after(async () => {
    for (const client of [direct, ...clients]) client?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the server is not started yet (use it inside a test)');
    return value;
  };
  return {
    get direct() {
      return started(direct);
    },
    async connect(options) {
      const client = new Client({ url: started(server).url, ...options });
      clients.push(client);
      await client.connect();
      return client;
    },
  };
}

/** The parts of a target that do not depend on its kind. */
const keys = {
  uniqueKey,
  sameSlot(count: number, prefix = 'tag'): string[] {
    const tag = uniqueKey(prefix);
    return Array.from({ length: count }, (_, index) => `{${tag}}:${index}`);
  },
};

const plainKeys = async (count: number, prefix = 'key'): Promise<string[]> => {
  const base = uniqueKey(prefix);
  return Array.from({ length: count }, (_, index) => `${base}:${index}`);
};

/** Keys `<prefix>:<run>:<n>` owned by each primary in turn (slot ranges asked of the nodes). */
async function spreadKeys(shared: SharedCluster, count: number, prefix = 'key'): Promise<string[]> {
  const ranges = await shared.slotRanges();
  const owners = shared.cluster.primaries.map((node) => ranges.get(node.port) ?? []);
  const base = uniqueKey(prefix);
  const found: string[] = [];
  for (let n = 0; found.length < count; n++) {
    const key = `${base}:${n}`;
    const slot = slotOf(key);
    if (owners[found.length % owners.length].some(([start, end]) => slot >= start && slot <= end)) {
      found.push(key);
    }
  }
  return found;
}

function standaloneTarget(standalone: Standalone, resp: 2 | 3): Target {
  let client: Client | undefined;
  before(async () => {
    client = await standalone.connect({ resp });
  });
  return {
    kind: 'standalone',
    resp,
    ...keys,
    get client() {
      if (client === undefined) throw new Error('the client is not connected yet (use it inside a test)');
      return client;
    },
    spread: plainKeys,
    newClient: (options = {}) => standalone.connect({ resp, ...options }),
    eachNode: async () => [standalone.direct],
    get cluster(): SharedCluster {
      throw new Error('a standalone target has no cluster');
    },
  };
}

function clusterTarget(shared: SharedCluster, resp: 2 | 3): Target {
  let client: Cluster | undefined;
  before(async () => {
    client = await shared.newCluster({ resp });
  });
  // Every command must go straight to the node that serves its keys. A wrong key description or
  // route shows as a MOVED, ASK or CROSSSLOT error some node sent (INFO errorstats), checked
  // around each test so that the test that caused it fails.
  let redirectsBefore = new Map<string, number>();
  beforeEach(async () => {
    redirectsBefore = await redirectErrors(shared);
  });
  afterEach(async () => {
    const grown = [...(await redirectErrors(shared))].filter(
      ([error, count]) => count > (redirectsBefore.get(error) ?? 0),
    );
    assert.deepEqual(grown, [], 'commands a node sent back with MOVED, ASK or CROSSSLOT');
  });
  return {
    kind: 'cluster',
    resp,
    ...keys,
    get client() {
      if (client === undefined) throw new Error('the cluster client is not connected yet');
      return client;
    },
    spread: (count, prefix) => spreadKeys(shared, count, prefix),
    newClient(options = {}) {
      const { db, url, host, port, ...rest } = options;
      if (db !== undefined || url !== undefined || host !== undefined || port !== undefined) {
        throw new Error('a cluster target has no databases or addresses to choose');
      }
      return shared.newCluster({ resp, ...rest });
    },
    eachNode: () => Promise.all(shared.cluster.primaries.map((node) => shared.direct(node))),
    cluster: shared,
  };
}

/** Counts of the routing errors each primary has sent (`<port> MOVED`), from INFO errorstats. */
async function redirectErrors(shared: SharedCluster): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const node of shared.cluster.primaries) {
    const text = await (await shared.direct(node)).info('errorstats');
    for (const match of text.matchAll(/^errorstat_(MOVED|ASK|CROSSSLOT):count=(\d+)/gm)) {
      counts.set(`${node.port} ${match[1]}`, Number(match[2]));
    }
  }
  return counts;
}

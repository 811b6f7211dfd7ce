import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { launchCluster, nodeCountOf, type RedisCluster, type StartClusterOptions } from './cluster.js';
import { type ChunkAction, type ChunkPolicy, type FaultDirection, FaultLink } from './fault-link.js';
import { LOOPBACK } from './ports.js';

// A TCP proxy that injects network faults between a client and real redis-servers, so that code
// can be tested under resets, truncated replies, stalls and slow links, and the test can then
// check what the server really applied. See docs/fault-proxy.md.

export type { FaultDirection } from './fault-link.js';

/**
 * What a fault does to the chunk that triggers it (a chunk is what one socket read delivered):
 * - `reset`: both sides get a TCP RST; the chunk is dropped.
 * - `close-mid-reply`: a strict prefix of the reply chunk reaches the client, then a clean end
 *   of stream; the server side is dropped. (Replies only.)
 * - `cut-request`: a strict prefix of the request chunk reaches the server, then both sides are
 *   reset, so the server sees a command cut mid-frame. (Requests only.)
 * - `delay`: the chunk is forwarded `ms` after it arrived (default 10), and so is all after it.
 * - `chunk`: the chunk is forwarded one byte per write.
 * - `stall`: nothing more goes this way for `ms` (default 200), then everything held is sent.
 * - `stall-then-reset`: nothing for `ms` (default 200), then both sides are reset.
 * - `blackhole`: from then on nothing goes through either way, and nothing is closed.
 */
export type FaultKind =
  | 'reset'
  | 'close-mid-reply'
  | 'cut-request'
  | 'delay'
  | 'chunk'
  | 'stall'
  | 'stall-then-reset'
  | 'blackhole';

export const FAULT_KINDS: readonly FaultKind[] = [
  'reset',
  'close-mid-reply',
  'cut-request',
  'delay',
  'chunk',
  'stall',
  'stall-then-reset',
  'blackhole',
];

/** When and where a fault fires. Every chunk passing its way is a chance for it. */
export interface FaultRule {
  kind: FaultKind;
  /** Chance, from 0 to 1, that a chunk triggers it. Default 1: every chunk. */
  probability?: number;
  /**
   * Which chunks: `request` (client → server), `reply` (server → client) or `both`. Default:
   * `reply` for close-mid-reply, `request` for cut-request, `both` for the rest.
   */
  direction?: FaultDirection | 'both';
  /** Milliseconds, for delay (default 10), stall and stall-then-reset (default 200). */
  ms?: number;
  /** Fires at most this many times, then stays inert. Default: no limit. */
  times?: number;
  /** Only on connections to these upstreams (indexes into `urls`). Default: every one. */
  nodes?: readonly number[];
  /**
   * Chunks of each connection, in the rule's direction, let through before it may fire (e.g. 1
   * spares the handshake a client sends first). Default 0.
   */
  spareFirst?: number;
}

/** A rule added to a proxy. */
export interface FaultHandle {
  readonly rule: Readonly<FaultRule>;
  /** How many times it fired. */
  readonly fired: number;
  /** Stops it firing; chunks it already acted on stay as they are. */
  remove(): void;
}

/** What a proxy did so far. */
export interface FaultCounters {
  /** Client connections accepted. */
  connections: number;
  /** Bytes forwarded each way. */
  bytesToServer: number;
  bytesToClient: number;
  /** Faults injected, by kind (a delay or chunk rule counts once per chunk it acted on). */
  injected: Record<FaultKind, number>;
}

export type FaultProxyOptions = {
  /** Seed of the proxy's random choices (which chunk, where to cut). Default: random; see `seed`. */
  seed?: number;
} & (
  | {
      /** Redis servers to front, one proxy port each (a `RedisServer` will do). */
      target: { host: string; port: number } | ReadonlyArray<{ host: string; port: number }>;
      cluster?: never;
    }
  | {
      /**
       * Starts a Redis Cluster whose every node is fronted by the proxy: the nodes announce the
       * proxy's ports (`cluster-announce-port`), so CLUSTER SLOTS, MOVED and ASK lead clients
       * through it too. `stop()` stops the cluster as well.
       */
      cluster: StartClusterOptions;
      target?: never;
    }
);

/** A running proxy. */
export interface FaultProxy {
  /** `redis://127.0.0.1:PORT` per upstream, in the order given (for a cluster: `cluster.nodes`). */
  readonly urls: string[];
  /** `urls[0]`. */
  readonly url: string;
  readonly ports: number[];
  /** The cluster it started, in cluster mode. */
  readonly cluster: RedisCluster | undefined;
  /** The seed of its random choices, to replay a run. */
  readonly seed: number;
  /** Client connections open right now. */
  readonly openConnections: number;
  /** A snapshot of what it did so far. */
  readonly counters: FaultCounters;
  /** Adds a fault rule; rules are tried in the order added, on every chunk. */
  addFault(rule: FaultRule): FaultHandle;
  /** Removes every rule. Connections already stalled or blackholed stay so. */
  clearFaults(): void;
  /** Resets every open connection now (to `nodes` only, when given); counts as `reset`. */
  resetConnections(nodes?: readonly number[]): number;
  /** Closes every connection and the listeners (and, in cluster mode, stops the cluster). */
  stop(): Promise<void>;
}

/** Starts a fault-injecting proxy in front of `target`, or a cluster behind one. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('startFaultProxy needs { target } or { cluster }');
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
  if (options.cluster !== undefined) {
    const count = nodeCountOf(options.cluster);
    const proxy = await ProxyImpl.listen(count, seed);
    try {
      const cluster = await launchCluster(options.cluster, {
        announcedPorts: proxy.ports,
        onNodesStarted: (nodes) => proxy.setTargets(nodes),
      });
      proxy.ownCluster(cluster);
      return proxy;
    } catch (error) {
      await proxy.stop();
      throw error;
    }
  }
  const targets = Array.isArray(options.target) ? options.target : [options.target];
  if (targets.length === 0 || targets.some((target) => !isEndpoint(target))) {
    throw new TypeError('target must be a { host, port } (e.g. a RedisServer) or a non-empty array of them');
  }
  const proxy = await ProxyImpl.listen(targets.length, seed);
  proxy.setTargets(targets);
  return proxy;
}

function isEndpoint(value: unknown): value is { host: string; port: number } {
  if (value === null || typeof value !== 'object') return false;
  const { host, port } = value as { host?: unknown; port?: unknown };
  return typeof host === 'string' && Number.isInteger(port);
}

interface ActiveRule {
  readonly rule: Readonly<FaultRule>;
  readonly directions: readonly FaultDirection[];
  readonly ms: number;
  fired: number;
  removed: boolean;
}

class ProxyImpl implements FaultProxy {
  readonly ports: number[];
  readonly urls: string[];
  readonly seed: number;
  #cluster: RedisCluster | undefined;
  readonly #servers: Server[];
  /** Upstream of each port; connections arriving before it is known wait for it. */
  readonly #targets: Array<Promise<{ host: string; port: number }>>;
  readonly #resolveTargets: Array<(target: { host: string; port: number }) => void> = [];
  readonly #links = new Set<FaultLink>();
  #rules: ActiveRule[] = [];
  #random: () => number;
  #stopping: Promise<void> | undefined;
  readonly #counters: FaultCounters = {
    connections: 0,
    bytesToServer: 0,
    bytesToClient: 0,
    injected: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>,
  };

  static async listen(count: number, seed: number): Promise<ProxyImpl> {
    const servers = await Promise.all(Array.from({ length: count }, () => listenOnFreePort()));
    return new ProxyImpl(servers, seed);
  }

  private constructor(servers: Server[], seed: number) {
    this.#servers = servers;
    this.seed = seed;
    this.#random = mulberry32(seed);
    this.ports = servers.map((server) => (server.address() as { port: number }).port);
    this.urls = this.ports.map((port) => `redis://${LOOPBACK}:${port}`);
    this.#targets = servers.map(
      (_, index) => new Promise((resolve) => (this.#resolveTargets[index] = resolve)),
    );
    servers.forEach((server, index) => {
      server.on('connection', (client) => this.#accept(index, client));
    });
  }

  get url(): string {
    return this.urls[0];
  }

  get cluster(): RedisCluster | undefined {
    return this.#cluster;
  }

  get openConnections(): number {
    return this.#links.size;
  }

  get counters(): FaultCounters {
    const counters = this.#counters;
    return { ...counters, injected: { ...counters.injected } };
  }

  setTargets(targets: ReadonlyArray<{ host: string; port: number }>): void {
    for (let index = 0; index < targets.length; index++) {
      this.#resolveTargets[index]({ host: targets[index].host, port: targets[index].port });
    }
  }

  ownCluster(cluster: RedisCluster): void {
    this.#cluster = cluster;
  }

  addFault(rule: FaultRule): FaultHandle {
    const active = checkRule(rule);
    this.#rules = [...this.#rules, active];
    return {
      rule: active.rule,
      get fired() {
        return active.fired;
      },
      remove: () => {
        active.removed = true;
        this.#rules = this.#rules.filter((other) => other !== active);
      },
    };
  }

  clearFaults(): void {
    for (const rule of this.#rules) rule.removed = true;
    this.#rules = [];
  }

  resetConnections(nodes?: readonly number[]): number {
    let count = 0;
    for (const link of [...this.#links]) {
      if (nodes !== undefined && !nodes.includes(link.node)) continue;
      link.reset();
      count++;
    }
    this.#counters.injected.reset += count;
    return count;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.clearFaults();
      for (const link of [...this.#links]) link.destroy();
      await Promise.all(this.#servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await this.#cluster?.stop();
    })();
    return this.#stopping;
  }

  #accept(node: number, client: Socket): void {
    if (this.#stopping !== undefined) {
      client.destroy();
      return;
    }
    this.#counters.connections++;
    client.setNoDelay(true);
    client.unref();
    // Held until the upstream is known and connected: 'data' is only listened to by the link.
    client.pause();
    void this.#targets[node].then((target) => {
      if (this.#stopping !== undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const server = tcpConnect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
      server.unref();
      const link = new FaultLink(
        node,
        client,
        server,
        this.#policy,
        (direction, bytes) => {
          if (direction === 'request') this.#counters.bytesToServer += bytes;
          else this.#counters.bytesToClient += bytes;
        },
        () => this.#links.delete(link),
      );
      this.#links.add(link);
      client.resume();
    });
  }

  readonly #policy: ChunkPolicy = (link, direction, chunk) => {
    const rules = this.#rules;
    if (rules.length === 0) return NO_ACTIONS;
    const actions: ChunkAction[] = [];
    for (const active of rules) {
      const { rule } = active;
      if (active.removed || !active.directions.includes(direction)) continue;
      if (rule.times !== undefined && active.fired >= rule.times) continue;
      if (rule.nodes !== undefined && !rule.nodes.includes(link.node)) continue;
      if (link.arrived(direction) <= (rule.spareFirst ?? 0)) continue;
      if (this.#random() >= (rule.probability ?? 1)) continue;
      active.fired++;
      this.#counters.injected[rule.kind]++;
      const action = this.#action(active, chunk);
      actions.push(action);
      // These end what happens to the chunk; later rules have nothing left to act on.
      if (action.kind !== 'delay' && action.kind !== 'stall' && action.kind !== 'chunk') break;
    }
    return actions;
  };

  #action(active: ActiveRule, chunk: Buffer): ChunkAction {
    switch (active.rule.kind) {
      case 'delay':
        return { kind: 'delay', until: performance.now() + active.ms };
      case 'stall':
        return { kind: 'stall', ms: active.ms };
      case 'stall-then-reset':
        return { kind: 'stall-then-reset', ms: active.ms };
      case 'chunk':
        return { kind: 'chunk' };
      case 'reset':
        return { kind: 'reset' };
      case 'blackhole':
        return { kind: 'blackhole' };
      case 'close-mid-reply':
      case 'cut-request':
        // A strict prefix, possibly empty: the bytes of a frame that never completes.
        return { kind: 'cut', keep: Math.floor(this.#random() * chunk.length) };
    }
  }
}

const NO_ACTIONS: ChunkAction[] = [];

function checkRule(rule: FaultRule): ActiveRule {
  if (rule === null || typeof rule !== 'object' || !FAULT_KINDS.includes(rule.kind)) {
    throw new TypeError(`a fault rule needs a kind, one of ${FAULT_KINDS.join(', ')}`);
  }
  const { kind, probability, ms, times, spareFirst } = rule;
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
    throw new RangeError(`probability must be from 0 to 1, got ${String(probability)}`);
  }
  for (const [name, value] of [
    ['ms', ms],
    ['times', times],
    ['spareFirst', spareFirst],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  const fixed = kind === 'close-mid-reply' ? 'reply' : kind === 'cut-request' ? 'request' : undefined;
  const direction = rule.direction ?? fixed ?? 'both';
  if (direction !== 'request' && direction !== 'reply' && direction !== 'both') {
    throw new RangeError(`direction must be 'request', 'reply' or 'both', got ${String(direction)}`);
  }
  if (fixed !== undefined && direction !== fixed) {
    throw new RangeError(`${kind} acts on ${fixed} chunks only`);
  }
  return {
    rule: Object.freeze({ ...rule, nodes: rule.nodes === undefined ? undefined : [...rule.nodes] }),
    directions: direction === 'both' ? ['request', 'reply'] : [direction],
    ms: ms ?? (kind === 'delay' ? 10 : 200),
    fired: 0,
    removed: false,
  };
}

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      server.off('error', reject);
      // A forgotten proxy must not hold the test process open.
      server.unref();
      resolve(server);
    });
  });
}

/** A small seeded PRNG, so a run's fault choices can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

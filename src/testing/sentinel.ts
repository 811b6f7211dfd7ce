import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Endpoint, sendCommand } from './probe.js';
import { type Reapable, track, untrack } from './reaper.js';
import { configValue, type RedisConfig } from './redis-config.js';
import { type RedisServer, startRedis, startSentinelProcess } from './redis-server.js';
import { generateTlsFiles, type TlsFiles, type TlsMaterial } from './tls.js';
import { type Reply, ServerErrorReply } from './wire.js';

/** How {@link startSentinel} shapes the deployment; every field is optional. */
export interface StartSentinelOptions {
  /** The name the sentinels monitor the primary by. Default `mymaster`. */
  name?: string;
  /** Replicas of the primary. Default 2. */
  replicas?: number;
  /** Sentinel processes. Default 3. */
  sentinels?: number;
  /** Sentinels that must agree the primary is down before a failover. Default: a majority. */
  quorum?: number;
  /**
   * redis.conf directives for the primary and the replicas. A `requirepass` is also given to the
   * replicas as `masterauth` and to the sentinels as `auth-pass`.
   */
  config?: RedisConfig;
  /**
   * Directives for every sentinel. A `requirepass` (the sentinels' own password) is also used
   * between sentinels (`sentinel sentinel-pass`); `sentinel` lines are added after the harness's.
   */
  sentinelConfig?: RedisConfig;
  /** `down-after-milliseconds`: silence after which a sentinel deems a node down. Default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`, which also spaces out repeated failovers. Default 3000. */
  failoverTimeoutMs?: number;
  /**
   * Serve TLS only, on every server and sentinel (and between them: `tls-replication yes`), with
   * one throwaway CA. Default false.
   */
  tls?: boolean;
}

/** A primary, its replicas and the sentinels watching them, all on loopback. */
export interface RedisSentinel {
  /** The name the sentinels know the primary by. */
  readonly name: string;
  /** The data servers in start order: the first primary, then the replicas. Roles change on failover. */
  readonly nodes: readonly RedisServer[];
  /** The sentinel processes. */
  readonly sentinels: readonly RedisServer[];
  /** `redis://127.0.0.1:PORT` (`rediss://` with TLS) of every sentinel. */
  readonly sentinelUrls: string[];
  /** With `tls`: the material every server and sentinel serves; `ca` is what a client trusts. */
  readonly tls?: TlsMaterial;
  /** The primary the reachable sentinels agree on, checked with ROLE. Throws if they disagree. */
  primary(): Promise<RedisServer>;
  /** The data servers that answer and are not the primary. */
  replicas(): Promise<RedisServer[]>;
  /**
   * SENTINEL FAILOVER, then waits until every sentinel names the new primary. Sentinel itself
   * turns the old primary into a replica only ~10 s later (`+convert-to-slave`); this does it at
   * once (REPLICAOF) so the next test finds one primary. Resolves with the old and new primary.
   */
  failover(): Promise<{ from: RedisServer; to: RedisServer }>;
  /** SIGKILLs the current primary (kill -9) and resolves with it; revive it with {@link revive}. */
  killPrimary(): Promise<RedisServer>;
  /** Waits until every reachable sentinel names a primary other than `previous`, and it says so. */
  waitForNewPrimary(previous: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /** Restarts a killed server (empty: persistence is off) as a replica of the current primary. */
  revive(server: RedisServer): Promise<void>;
  /**
   * Waits until the deployment is quiet: the sentinels agree on the primary and know each other,
   * every running replica is connected to it and seen by every sentinel as healthy.
   */
  waitForAgreement(timeoutMs?: number): Promise<RedisServer>;
  /** Stops the sentinels, then the servers, and removes their dirs. */
  stop(): Promise<void>;
}

const AGREEMENT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Starts a primary, `replicas` replicas and `sentinels` sentinels (`redis-server --sentinel`) on
 * free loopback ports with throwaway dirs, and resolves once the sentinels know each other and
 * every replica. Short `down-after-milliseconds` and `failover-timeout` make a failover take a
 * few seconds. Every process is reaped if this process exits.
 */
export async function startSentinel(options: StartSentinelOptions = {}): Promise<RedisSentinel> {
  const name = options.name ?? 'mymaster';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const quorum = options.quorum ?? Math.floor(sentinelCount / 2) + 1;
  checkCount('replicas', replicaCount, 0);
  checkCount('sentinels', sentinelCount, 1);
  checkCount('quorum', quorum, 1);
  if (quorum > sentinelCount)
    throw new RangeError(`quorum ${quorum} is more than the ${sentinelCount} sentinels`);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new TypeError(`name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }

  const config: RedisConfig = { ...options.config };
  const password = configValue(config, 'requirepass');
  if (password !== undefined && configValue(config, 'masterauth') === undefined) config.masterauth = password;
  const sentinelPassword = configValue(options.sentinelConfig, 'requirepass');

  const started: RedisServer[] = [];
  const tlsDir =
    options.tls === true ? new TlsDir(await mkdtemp(join(tmpdir(), 'redmoon-sentinel-tls-'))) : undefined;
  try {
    let tls: TlsFiles | undefined;
    if (tlsDir !== undefined) {
      tls = await generateTlsFiles(tlsDir.path);
      config['tls-replication'] = 'yes';
    }
    const primary = await startRedis({ config, tls });
    started.push(primary);
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, () =>
        startRedis({ config, tls, replicaOf: { host: primary.host, port: primary.port } }),
      ),
    );
    started.push(...replicas);
    const dataEndpoint = (server: RedisServer): Endpoint => endpoint(server, password);
    const deadline = Date.now() + AGREEMENT_TIMEOUT_MS;
    // Sentinels learn the replicas from the primary's INFO; started before they are connected,
    // they would only find them at the next INFO, 10 s later.
    await until(deadline, 'the replicas did not connect to the primary', async () => {
      for (const replica of replicas) {
        const role = await sendCommand(dataEndpoint(replica), ['ROLE'], PROBE_TIMEOUT_MS);
        if (!Array.isArray(role) || role[3] !== 'connected') return `${replica.port} is ${String(role)}`;
      }
      return undefined;
    });

    const sentinelLines = [
      `monitor ${name} ${primary.host} ${primary.port} ${quorum}`,
      `down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
      `failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
      // Every replica resynchronises with the new primary at once rather than one by one.
      `parallel-syncs ${name} ${Math.max(1, replicaCount)}`,
    ];
    if (password !== undefined) sentinelLines.push(`auth-pass ${name} ${password}`);
    if (sentinelPassword !== undefined) sentinelLines.push(`sentinel-pass ${sentinelPassword}`);
    const { sentinel: extraLines, ...sentinelConfig } = options.sentinelConfig ?? {};
    if (tls !== undefined) sentinelConfig['tls-replication'] = 'yes';
    if (extraLines !== undefined)
      sentinelLines.push(...(Array.isArray(extraLines) ? extraLines : [extraLines]).map(String));
    const sentinels = await Promise.all(
      Array.from({ length: sentinelCount }, () =>
        startSentinelProcess({ config: { ...sentinelConfig, sentinel: sentinelLines }, tls }),
      ),
    );
    started.push(...sentinels);
    const deployment = new StartedSentinel(
      name,
      [primary, ...replicas],
      sentinels,
      password,
      sentinelPassword,
      tlsDir,
    );
    await deployment.waitForAgreement(Math.max(1, deadline - Date.now()));
    return deployment;
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    await tlsDir?.remove();
    throw error;
  }
}

/** The shared TLS files: no server owns them, so they are removed (and reaped) here. */
class TlsDir implements Reapable {
  constructor(readonly path: string) {
    track(this);
  }

  reapSync(): void {
    rmSync(this.path, { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    untrack(this);
    await rm(this.path, { recursive: true, force: true });
  }
}

class StartedSentinel implements RedisSentinel {
  readonly name: string;
  readonly nodes: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  readonly #password: string | undefined;
  readonly tls?: TlsMaterial;
  readonly #sentinelPassword: string | undefined;
  readonly #tlsDir: TlsDir | undefined;

  constructor(
    name: string,
    nodes: RedisServer[],
    sentinels: RedisServer[],
    password: string | undefined,
    sentinelPassword: string | undefined,
    tlsDir: TlsDir | undefined,
  ) {
    this.name = name;
    this.nodes = nodes;
    this.sentinels = sentinels;
    this.#password = password;
    this.#sentinelPassword = sentinelPassword;
    this.#tlsDir = tlsDir;
    if (nodes[0].tls !== undefined) this.tls = nodes[0].tls;
  }

  get sentinelUrls(): string[] {
    return this.sentinels.map((sentinel) => sentinel.url);
  }

  async primary(): Promise<RedisServer> {
    const views = await this.#sentinelViews();
    const ports = new Set(views.map((view) => view.port));
    if (ports.size !== 1)
      throw new Error(`the sentinels disagree on the primary: ports ${[...ports].join(', ')}`);
    const primary = this.#node(views[0].port);
    const role = await this.#ask(primary, ['ROLE']);
    if (!Array.isArray(role) || role[0] !== 'master') {
      const said = Array.isArray(role) ? role[0] : role instanceof ServerErrorReply ? role.message : role;
      throw new Error(`the sentinels name ${primary.port}, which says it is ${String(said)}`);
    }
    return primary;
  }

  async replicas(): Promise<RedisServer[]> {
    const primary = await this.primary();
    const running = await this.#running();
    return running.filter((server) => server !== primary);
  }

  async failover(): Promise<{ from: RedisServer; to: RedisServer }> {
    const from = await this.primary();
    const reply = await sendCommand(
      this.#sentinelEndpoint(this.sentinels[0]),
      ['SENTINEL', 'FAILOVER', this.name],
      PROBE_TIMEOUT_MS,
    );
    if (reply instanceof ServerErrorReply) throw new Error(`SENTINEL FAILOVER refused: ${reply.message}`);
    const to = await this.waitForNewPrimary(from);
    await this.#replicate(from, to);
    return { from, to };
  }

  async killPrimary(): Promise<RedisServer> {
    const primary = await this.primary();
    await primary.kill('SIGKILL');
    return primary;
  }

  async waitForNewPrimary(previous: RedisServer, timeoutMs = AGREEMENT_TIMEOUT_MS): Promise<RedisServer> {
    let found: RedisServer | undefined;
    await until(
      Date.now() + timeoutMs,
      `the sentinels did not move the primary away from ${previous.port}`,
      async () => {
        try {
          found = await this.primary();
        } catch (error) {
          return (error as Error).message;
        }
        return found === previous ? `the sentinels still name ${previous.port}` : undefined;
      },
    );
    return found!;
  }

  async revive(server: RedisServer): Promise<void> {
    const primary = await this.primary();
    await server.restart();
    await this.#replicate(server, primary);
  }

  async waitForAgreement(timeoutMs = AGREEMENT_TIMEOUT_MS): Promise<RedisServer> {
    let primary: RedisServer | undefined;
    await until(Date.now() + timeoutMs, 'the sentinels did not settle', async () => {
      try {
        primary = await this.primary();
      } catch (error) {
        return (error as Error).message;
      }
      const replicas = (await this.#running()).filter((server) => server !== primary);
      for (const replica of replicas) {
        const role = await this.#ask(replica, ['ROLE']);
        if (
          !Array.isArray(role) ||
          role[0] !== 'slave' ||
          role[2] !== primary.port ||
          role[3] !== 'connected'
        ) {
          return `replica ${replica.port} is not connected to ${primary.port}`;
        }
      }
      for (const sentinel of this.sentinels) {
        const endpoint = this.#sentinelEndpoint(sentinel);
        const peers = await sendCommand(endpoint, ['SENTINEL', 'SENTINELS', this.name], PROBE_TIMEOUT_MS);
        if (!Array.isArray(peers) || peers.length !== this.sentinels.length - 1) {
          return `sentinel ${sentinel.port} knows ${Array.isArray(peers) ? peers.length : 0} other sentinels`;
        }
        const known = await sendCommand(endpoint, ['SENTINEL', 'REPLICAS', this.name], PROBE_TIMEOUT_MS);
        const healthy = new Set(
          (Array.isArray(known) ? known : [])
            .map((entry) => fields(entry))
            // Not master-link-status: Sentinel reads it from INFO, which it asks replicas only every
            // 10 s, so a demoted primary would show up as healthy only that much later.
            .filter((entry) => entry.flags === 'slave')
            .map((entry) => Number(entry.port)),
        );
        const missing = replicas.filter((replica) => !healthy.has(replica.port));
        if (missing.length > 0) {
          return `sentinel ${sentinel.port} does not yet see ${missing.map((replica) => replica.port).join(', ')} as healthy replicas`;
        }
      }
      return undefined;
    });
    return primary!;
  }

  async stop(): Promise<void> {
    // Sentinels first: they would otherwise start failovers while the servers go away.
    await Promise.all(this.sentinels.map((sentinel) => sentinel.stop()));
    await Promise.all(this.nodes.map((node) => node.stop()));
    await this.#tlsDir?.remove();
  }

  /** `[ip, port]` of the primary from every sentinel that answers. */
  async #sentinelViews(): Promise<Array<{ port: number }>> {
    const views: Array<{ port: number }> = [];
    const problems: string[] = [];
    for (const sentinel of this.sentinels) {
      let reply: Reply;
      try {
        reply = await sendCommand(
          this.#sentinelEndpoint(sentinel),
          ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name],
          PROBE_TIMEOUT_MS,
        );
      } catch (error) {
        problems.push(`sentinel ${sentinel.port}: ${(error as Error).message}`);
        continue;
      }
      if (!Array.isArray(reply) || reply.length !== 2) {
        problems.push(
          `sentinel ${sentinel.port} answered ${reply instanceof ServerErrorReply ? reply.message : String(reply)}`,
        );
        continue;
      }
      views.push({ port: Number(reply[1]) });
    }
    if (views.length === 0) throw new Error(`no sentinel named a primary: ${problems.join('; ')}`);
    return views;
  }

  #node(port: number): RedisServer {
    const node = this.nodes.find((server) => server.port === port);
    if (node === undefined)
      throw new Error(`the sentinels name port ${port}, which is none of the harness's servers`);
    return node;
  }

  /** The data servers that answer PING now. */
  async #running(): Promise<RedisServer[]> {
    const answers = await Promise.all(
      this.nodes.map((server) =>
        this.#ask(server, ['PING']).then(
          (reply) => reply === 'PONG',
          () => false,
        ),
      ),
    );
    return this.nodes.filter((_, index) => answers[index]);
  }

  async #replicate(server: RedisServer, primary: RedisServer): Promise<void> {
    const reply = await this.#ask(server, ['REPLICAOF', primary.host, String(primary.port)]);
    if (reply instanceof ServerErrorReply)
      throw new Error(`REPLICAOF on ${server.port} failed: ${reply.message}`);
  }

  #ask(server: RedisServer, args: string[]): Promise<Reply> {
    return sendCommand(endpoint(server, this.#password), args, PROBE_TIMEOUT_MS);
  }

  #sentinelEndpoint(sentinel: RedisServer): Endpoint {
    return endpoint(sentinel, this.#sentinelPassword);
  }
}

function endpoint(server: RedisServer, password: string | undefined): Endpoint {
  const found: Endpoint = { host: server.host, port: server.port, password };
  if (server.tls !== undefined) found.ca = server.tls.ca;
  return found;
}

/** SENTINEL REPLICAS entries are flat [name, value, ...] arrays in RESP2. */
function fields(entry: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(entry)) return out;
  for (let i = 0; i + 1 < entry.length; i += 2) out[String(entry[i])] = String(entry[i + 1]);
  return out;
}

/** Polls `problem` until it reports none, or throws with the last one after `deadline`. */
async function until(
  deadline: number,
  what: string,
  problem: () => Promise<string | undefined>,
): Promise<void> {
  let last = 'not checked yet';
  for (;;) {
    try {
      const found = await problem();
      if (found === undefined) return;
      last = found;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() + POLL_INTERVAL_MS > deadline) throw new Error(`${what} in time (last: ${last})`);
    await sleep(POLL_INTERVAL_MS);
  }
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

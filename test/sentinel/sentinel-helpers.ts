import { after, before } from 'node:test';
import { Client, type ClientOptions, Sentinel, type SentinelOptions } from '../../src/index.js';
import {
  type RedisSentinel,
  type RedisServer,
  type StartSentinelOptions,
  startSentinel,
} from '../../src/testing/index.js';
import { eventually as holdsWithin } from '../helpers.js';

// One real Sentinel deployment per test file (a primary, two replicas, three sentinels: ~2 s to
// start), shared by a RESP2 and a RESP3 suite. What a test checks about where a command went is
// asked of the servers directly (ROLE, INFO commandstats, GET), never of the client under test.

/** A deployment shared by the tests of one file, and ways to reach its servers directly. */
export interface SharedSentinel {
  /** The harness handle. Read it inside tests only. */
  readonly harness: RedisSentinel;
  /** A connected client to one server alone (cached per server and port; closed after the file). */
  direct(server: RedisServer): Promise<Client>;
  /** A connected client to one sentinel (closed after the file). */
  directSentinel(index: number): Promise<Client>;
  /**
   * A Sentinel client over every sentinel with the deployment's credentials and, when it serves
   * TLS, its CA for the sentinels and the servers (closed after the file).
   */
  newSentinel(options?: Partial<SentinelOptions>, connect?: boolean): Promise<Sentinel>;
  /** `calls` of `command` (e.g. `get`, `evalsha_ro`) on `server`, from INFO commandstats. */
  callsOn(server: RedisServer, command: string): Promise<number>;
  /**
   * Makes every sentinel monitor `server` under `name` (replacing what it monitored as `name`),
   * with the deployment's password: a second name lets a test point the sentinels somewhere
   * without disturbing the deployment's own primary.
   */
  monitor(name: string, server: RedisServer): Promise<void>;
  /** Makes every sentinel forget `name` (nothing happens for a name none monitors). */
  unmonitor(name: string): Promise<void>;
}

export interface Credentials {
  /** The primary's and replicas' requirepass. */
  password?: string;
  /** The sentinels' own requirepass. */
  sentinelPassword?: string;
}

export function useSentinel(
  credentials: Credentials = {},
  options: StartSentinelOptions = {},
): SharedSentinel {
  let harness: RedisSentinel | undefined;
  const directs = new Map<string, Client>();
  const clients: Sentinel[] = [];
  const { password, sentinelPassword } = credentials;

  before(async () => {
    harness = await startSentinel({
      ...options,
      config: { ...options.config, ...(password === undefined ? {} : { requirepass: password }) },
      sentinelConfig: {
        ...options.sentinelConfig,
        ...(sentinelPassword === undefined ? {} : { requirepass: sentinelPassword }),
      },
    });
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    for (const client of directs.values()) client.disconnect();
    await harness?.stop();
  });

  const started = (): RedisSentinel => {
    if (harness === undefined) throw new Error('the deployment is not started yet (use it inside a test)');
    return harness;
  };

  const connectDirect = async (key: string, options: ClientOptions): Promise<Client> => {
    const cached = directs.get(key);
    if (cached !== undefined && cached.status === 'ready') return cached;
    cached?.disconnect();
    const client = new Client({ resp: 2, reconnect: false, ...options });
    await client.connect();
    directs.set(key, client);
    return client;
  };

  const shared: SharedSentinel = {
    get harness() {
      return started();
    },
    direct(server) {
      const tls = server.tls === undefined ? undefined : { ca: server.tls.ca };
      return connectDirect(`node:${server.port}`, { url: server.url, password, tls });
    },
    directSentinel(index) {
      const sentinel = started().sentinels[index];
      const tls = sentinel.tls === undefined ? undefined : { ca: sentinel.tls.ca };
      return connectDirect(`sentinel:${index}`, { url: sentinel.url, password: sentinelPassword, tls });
    },
    async newSentinel(overrides = {}, connect = true) {
      const ca = started().tls?.ca;
      const client = new Sentinel({
        sentinels: started().sentinelUrls,
        name: started().name,
        password,
        sentinelPassword,
        ...(ca === undefined ? {} : { tls: { ca }, sentinelTls: { ca } }),
        ...overrides,
      });
      clients.push(client);
      if (connect) await client.connect();
      return client;
    },
    async callsOn(server, command) {
      const stats = String(await (await shared.direct(server)).call('INFO', 'commandstats'));
      const line = stats.split('\r\n').find((entry) => entry.startsWith(`cmdstat_${command}:`));
      const match = line === undefined ? undefined : /calls=(\d+)/.exec(line);
      return match === undefined || match === null ? 0 : Number(match[1]);
    },
    async monitor(name, server) {
      for (let index = 0; index < started().sentinels.length; index++) {
        const sentinel = await shared.directSentinel(index);
        await sentinel.call('SENTINEL', 'REMOVE', name).catch(() => undefined);
        await sentinel.call('SENTINEL', 'MONITOR', name, server.host, server.port, 2);
        if (password !== undefined) await sentinel.call('SENTINEL', 'SET', name, 'auth-pass', password);
      }
    },
    async unmonitor(name) {
      for (let index = 0; index < started().sentinels.length; index++) {
        await (await shared.directSentinel(index)).call('SENTINEL', 'REMOVE', name).catch(() => undefined);
      }
    },
  };
  return shared;
}

/** Resolves with the next `failover` event of `client`, or rejects after `timeoutMs`. */
export function nextFailover(client: Sentinel, timeoutMs = 15_000): Promise<{ from: string; to: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('failover', onFailover);
      reject(new Error(`no failover event within ${timeoutMs} ms`));
    }, timeoutMs);
    const onFailover = (event: { from: string; to: string }) => {
      clearTimeout(timer);
      resolve(event);
    };
    client.once('failover', onFailover);
  });
}

/** Polls `check` until it holds, failing after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  if (!(await holdsWithin(check, timeoutMs)))
    throw new Error(`${what}: still not the case after ${timeoutMs} ms`);
}

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, type ClientOptions } from '../src/index.js';
import {
  type FaultProxy,
  type RedisServer,
  type StartRedisOptions,
  startFaultProxy,
  startRedis,
} from '../src/testing/index.js';
// Fails a test file that lives on after its last test instead of letting it hang (see there).
import './linger-guard.js';

/** Both protocol versions: integration bodies are written once and run on each. */
export const PROTOCOLS = [2, 3] as const;

/**
 * Runs `body` inside a `describe` per protocol version, each with its own real redis-server
 * (started before, stopped after) and a connected client on that protocol. Read `context.client`
 * inside tests, not while declaring them (do not destructure the context).
 */
export function forEachProtocol(
  body: (context: ServerContext) => void,
  serverOptions: StartRedisOptions = {},
  clientOptions: ClientOptions = {},
): void {
  for (const resp of PROTOCOLS) {
    describe(`RESP${resp}`, () => {
      const context = useServer(serverOptions, { ...clientOptions, resp });
      body(context);
    });
  }
}

export interface ServerContext {
  readonly server: RedisServer;
  readonly client: Client;
  readonly resp: 2 | 3;
  /** A further connected client on the same server (closed after the suite). */
  newClient(options?: ClientOptions): Promise<Client>;
}

/** Starts a server and a client before the enclosing suite; stops both after it. */
export function useServer(
  serverOptions: StartRedisOptions = {},
  clientOptions: ClientOptions = {},
): ServerContext {
  let server: RedisServer | undefined;
  let client: Client | undefined;
  const extra: Client[] = [];
  const resp = clientOptions.resp ?? 3;
  before(async () => {
    server = await startRedis(serverOptions);
    client = new Client({ url: server.url, ...clientOptions });
    await client.connect();
  });
  after(async () => {
    for (const other of [client, ...extra]) other?.disconnect();
    await server?.stop();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the server is not started yet (use it inside a test)');
      return server;
    },
    get client() {
      if (client === undefined) throw new Error('the client is not connected yet (use it inside a test)');
      return client;
    },
    resp,
    async newClient(options: ClientOptions = {}) {
      if (server === undefined) throw new Error('the server is not started yet');
      const other = new Client({ url: server.url, resp, ...options });
      extra.push(other);
      await other.connect();
      return other;
    },
  };
}

export interface ProxiedServerContext {
  readonly server: RedisServer;
  readonly proxy: FaultProxy;
  /** Connected through the proxy. */
  readonly client: Client;
  /** Connected to the server directly, to check what it holds. */
  readonly reader: Client;
}

/**
 * Starts a server, a fault proxy in front of it (`seed` for its random choices), a client through
 * the proxy and a reader straight to the server before the enclosing suite; stops them after it.
 * A TLS server (`serverOptions.tls`) is spoken to over TLS through the proxy, with its CA.
 */
export function useProxiedServer(
  seed: number,
  clientOptions: ClientOptions = {},
  serverOptions: StartRedisOptions = {},
): ProxiedServerContext {
  let context: ProxiedServerContext | undefined;
  before(async () => {
    const server = await startRedis(serverOptions);
    const proxy = await startFaultProxy({ target: server, seed });
    const tls = server.tls === undefined ? {} : { tls: { ca: server.tls.ca } };
    const client = new Client({ url: proxy.url, ...tls, ...clientOptions });
    await client.connect();
    const reader = new Client({ url: server.url, ...tls });
    await reader.connect();
    context = { server, proxy, client, reader };
  });
  after(async () => {
    if (context === undefined) return;
    context.client.disconnect();
    context.reader.disconnect();
    await context.proxy.stop();
    await context.server.stop();
  });
  const started = (): ProxiedServerContext => {
    if (context === undefined) throw new Error('the server is not started yet (use it inside a test)');
    return context;
  };
  return {
    get server() {
      return started().server;
    },
    get proxy() {
      return started().proxy;
    },
    get client() {
      return started().client;
    },
    get reader() {
      return started().reader;
    },
  };
}

/** A key unique to this test run, so tests sharing a server never collide. */
let keyCounter = 0;
export function uniqueKey(prefix = 'key'): string {
  keyCounter++;
  return `${prefix}:${process.pid}:${keyCounter}`;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves with the signal's reason once it aborts (at once if it already has), or with
 * `'not aborted'` after `ms`: a test waiting for an abort fails instead of hanging when it is late
 * or when it happened before the wait began.
 */
export function abortedWithin(signal: AbortSignal, ms = 5000): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('not aborted'), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * Settles as `promise` does, or rejects naming `what` once `ms` have passed without it: a test
 * waiting for something that must come (an event, a reconnect, a command queued meanwhile) fails
 * with that name instead of hanging when it never does.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `condition` (every 20 ms) until it holds: `true` once it does, `false` if it still does
 * not after `ms`. For facts that settle on their own time (a server noticing a closed socket, a
 * replica catching up), where the test then asserts the result.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(20);
  }
  return condition();
}

/** The repository root: the nearest directory above the compiled tests holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return dir;
}

/** Resolves once `condition()` holds, checking every few milliseconds; rejects after `ms`. */
export async function waitUntil(condition: () => boolean, ms = 5000, what = 'the condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** `blocked_clients` of INFO clients: connections the server holds in a blocking call. */
export async function blockedClients(client: Client): Promise<number> {
  const info = await client.info('clients');
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
}

/**
 * Resolves once the server `observer` talks to holds exactly `count` connections in a blocking
 * call (a call counted there was sent, and the server runs it), asking every few milliseconds;
 * rejects after `ms`. A fixed sleep instead is too short on a loaded machine, where a blocking call's dedicated
 * connection may take longer than that to connect.
 */
export async function waitForBlocked(observer: Client, count = 1, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const blocked = await blockedClients(observer);
    if (blocked === count) return;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${ms} ms: ${blocked} blocked clients, waiting for ${count}`);
    await sleep(5);
  }
}

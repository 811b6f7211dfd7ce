import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, Cluster } from '../../src/index.js';
import { type FaultProxy, type RedisServer, startFaultProxy, startRedis } from '../../src/testing/index.js';
import { sleep, uniqueKey, within } from '../helpers.js';

// The proxy is checked with raw sockets where the bytes matter (what arrives, in how many
// chunks, how the stream ends), and against the server itself for what it applied.

/** A raw connection through the proxy that records every chunk and how the stream ended. */
class RawClient {
  readonly socket: Socket;
  readonly chunks: Buffer[] = [];
  ended: 'open' | 'end' | 'reset' | 'error' = 'open';
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk) => this.chunks.push(chunk));
    this.socket.on('end', () => {
      if (this.ended === 'open') this.ended = 'end';
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.ended = error.code === 'ECONNRESET' ? 'reset' : 'error';
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  static async open(port: number): Promise<RawClient> {
    const client = new RawClient(port);
    await new Promise<void>((resolve, reject) => {
      client.socket.once('connect', resolve);
      client.socket.once('error', reject);
    });
    return client;
  }

  /** Resolves once the stream closed; rejects after `ms` (a fault that never fired leaves it open). */
  closedWithin(ms = 5000): Promise<void> {
    return within(this.closed, ms, 'the connection through the proxy to close');
  }

  send(...args: string[]): void {
    this.socket.write(command(...args));
  }

  get received(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  /** Waits until `predicate` holds of what arrived, or `ms` pass. */
  async waitFor(predicate: (text: string) => boolean, ms = 2000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!predicate(this.received)) {
      if (Date.now() > deadline || this.socket.destroyed) return predicate(this.received);
      await sleep(5);
    }
    return true;
  }

  close(): void {
    this.socket.destroy();
  }
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

describe('startFaultProxy in front of one server', () => {
  let server: RedisServer;
  let proxy: FaultProxy;
  let direct: Client;
  before(async () => {
    server = await startRedis();
    proxy = await startFaultProxy({ target: server, seed: 42 });
    direct = new Client({ url: server.url, resp: 2 });
    await direct.connect();
  });
  after(async () => {
    direct.disconnect();
    await proxy.stop();
    await server.stop();
  });

  test('forwards both ways untouched and counts connections and bytes', async () => {
    const before = proxy.counters;
    const raw = await RawClient.open(proxy.ports[0]);
    raw.send('PING');
    assert.ok(await raw.waitFor((text) => text === '+PONG\r\n'));
    raw.close();
    await raw.closed;
    const after = proxy.counters;
    assert.equal(after.connections - before.connections, 1);
    assert.equal(after.bytesToServer - before.bytesToServer, command('PING').length);
    assert.equal(after.bytesToClient - before.bytesToClient, '+PONG\r\n'.length);
    assert.equal(proxy.url, `redis://127.0.0.1:${proxy.ports[0]}`);
    assert.equal(proxy.seed, 42);
  });

  test('reset: the client gets ECONNRESET and the request never reaches the server', async () => {
    const key = uniqueKey();
    const handle = proxy.addFault({ kind: 'reset', direction: 'request', times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      raw.send('SET', key, 'x');
      await raw.closedWithin();
      assert.equal(raw.ended, 'reset');
      assert.equal(raw.received, '');
      assert.equal(handle.fired, 1);
      assert.equal(await direct.exists(key), 0);
    } finally {
      handle.remove();
    }
  });

  test('cut-request: the server gets part of a command, runs none of it, and both sides are reset', async () => {
    const key = uniqueKey();
    const before = proxy.counters.injected['cut-request'];
    const handle = proxy.addFault({ kind: 'cut-request', times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      raw.send('SET', key, 'v'.repeat(1000));
      await raw.closedWithin();
      assert.equal(raw.ended, 'reset');
      assert.equal(proxy.counters.injected['cut-request'] - before, 1);
      assert.ok(proxy.counters.bytesToServer > 0);
      assert.equal(await direct.exists(key), 0);
    } finally {
      handle.remove();
    }
  });

  test('close-mid-reply: the client gets a strict prefix of the reply, then a clean end', async () => {
    const key = uniqueKey();
    const value = 'r'.repeat(2000);
    await direct.set(key, value);
    const handle = proxy.addFault({ kind: 'close-mid-reply', times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      raw.send('GET', key);
      await raw.closedWithin();
      const whole = `$${value.length}\r\n${value}\r\n`;
      assert.equal(raw.ended, 'end');
      assert.ok(raw.received.length < whole.length);
      assert.ok(whole.startsWith(raw.received));
    } finally {
      handle.remove();
    }
  });

  test('delay: each chunk is held for ms, and the reply is intact', async () => {
    const handle = proxy.addFault({ kind: 'delay', direction: 'reply', ms: 150 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      const started = performance.now();
      raw.send('PING');
      assert.ok(await raw.waitFor((text) => text === '+PONG\r\n'));
      assert.ok(performance.now() - started >= 140, 'held about 150 ms');
      raw.close();
    } finally {
      handle.remove();
    }
  });

  test('chunk: the reply arrives about one byte per read', async () => {
    const handle = proxy.addFault({ kind: 'chunk', direction: 'reply' });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      const text = 'x'.repeat(100);
      const whole = `$100\r\n${text}\r\n`;
      raw.send('ECHO', text);
      assert.ok(await raw.waitFor((received) => received === whole));
      // TCP may merge two writes into one read now and then; without the fault it is one read.
      assert.ok(raw.chunks.length >= whole.length / 2, `${raw.chunks.length} reads`);
      raw.close();
    } finally {
      handle.remove();
    }
  });

  test('stall: nothing arrives for ms, then everything held does', async () => {
    const handle = proxy.addFault({ kind: 'stall', direction: 'reply', ms: 300, times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      raw.send('PING');
      await sleep(150);
      assert.equal(raw.received, '');
      assert.ok(await raw.waitFor((text) => text === '+PONG\r\n'));
      raw.close();
    } finally {
      handle.remove();
    }
  });

  test('stall-then-reset: nothing arrives for ms, then the connection is reset', async () => {
    const handle = proxy.addFault({ kind: 'stall-then-reset', direction: 'reply', ms: 200, times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      const started = performance.now();
      raw.send('PING');
      await raw.closedWithin();
      assert.ok(performance.now() - started >= 190);
      assert.equal(raw.ended, 'reset');
      assert.equal(raw.received, '');
    } finally {
      handle.remove();
    }
  });

  test('blackhole: the connection stays open and nothing goes through either way', async () => {
    const key = uniqueKey();
    const handle = proxy.addFault({ kind: 'blackhole', direction: 'request', times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      raw.send('SET', key, 'x');
      await sleep(300);
      assert.equal(raw.ended, 'open');
      assert.equal(raw.received, '');
      raw.send('PING');
      await sleep(100);
      assert.equal(raw.received, '');
      assert.equal(await direct.exists(key), 0);
      raw.close();
    } finally {
      handle.remove();
    }
  });

  test('spareFirst lets the first chunks through and times stops a rule', async () => {
    const handle = proxy.addFault({ kind: 'reset', direction: 'request', spareFirst: 2, times: 1 });
    try {
      const raw = await RawClient.open(proxy.ports[0]);
      for (const expected of ['+PONG\r\n', '+PONG\r\n+PONG\r\n']) {
        raw.send('PING');
        assert.ok(await raw.waitFor((text) => text === expected));
      }
      raw.send('PING');
      await raw.closedWithin();
      assert.equal(raw.ended, 'reset');
      const again = await RawClient.open(proxy.ports[0]);
      for (let i = 0; i < 4; i++) again.send('PING');
      assert.ok(await again.waitFor((text) => text === '+PONG\r\n'.repeat(4)));
      again.close();
      assert.equal(handle.fired, 1);
    } finally {
      handle.remove();
    }
  });

  test('a probability of 0 never fires and resetConnections resets what is open now', async () => {
    const handle = proxy.addFault({ kind: 'reset', probability: 0 });
    try {
      const client = new Client({ url: proxy.url, reconnect: false });
      await client.connect();
      for (let i = 0; i < 20; i++) assert.equal(await client.call('PING'), 'PONG');
      assert.equal(handle.fired, 0);
      const ended = new Promise((resolve) => client.once('end', resolve));
      assert.ok(proxy.resetConnections() >= 1);
      await within(ended, 5000, "the client's 'end' after the reset");
      assert.equal(client.status, 'closed');
    } finally {
      handle.remove();
    }
  });

  test('refuses a rule it cannot apply', () => {
    assert.throws(() => proxy.addFault({ kind: 'close-mid-reply', direction: 'request' }), RangeError);
    assert.throws(() => proxy.addFault({ kind: 'delay', probability: 2 }), RangeError);
    assert.throws(() => proxy.addFault({ kind: 'nonsense' as 'reset' }), TypeError);
  });
});

describe('startFaultProxy in front of a cluster', () => {
  let proxy: FaultProxy;
  before(async () => {
    proxy = await startFaultProxy({ cluster: { primaries: 3 }, seed: 7 });
  });
  after(async () => {
    await proxy.stop();
  });

  test('makes every node announce its proxy port, so CLUSTER SLOTS and MOVED lead through it', async () => {
    const cluster = proxy.cluster;
    assert.ok(cluster !== undefined);
    assert.equal(proxy.urls.length, cluster.nodes.length);
    const direct = new Client({ url: cluster.nodes[0].url, resp: 2 });
    await direct.connect();
    try {
      const slots = (await direct.call('CLUSTER', 'SLOTS')) as unknown[][];
      const announced = slots.map((range) => Number((range[2] as unknown[])[1])).sort();
      assert.deepEqual(announced, [...proxy.ports].sort());
      const key = uniqueKey();
      const owner = await direct.call('CLUSTER', 'KEYSLOT', key);
      const moved = await direct.set(key, 'x').then(
        () => undefined,
        (error: Error) => error.message,
      );
      if (moved !== undefined)
        assert.match(moved, new RegExp(`MOVED ${owner} 127\\.0\\.0\\.1:(${proxy.ports.join('|')})`));
    } finally {
      direct.disconnect();
    }
  });

  test('a Cluster client through the proxy works, and faults reach the node it routes to', async () => {
    const client = new Cluster({ nodes: [proxy.url] });
    await client.connect();
    try {
      const before = proxy.counters.connections;
      for (let i = 0; i < 30; i++) assert.equal(await client.incr(`{n}${uniqueKey()}`), 1);
      const handle = proxy.addFault({ kind: 'reset', direction: 'request', times: 1 });
      const key = `{n}${uniqueKey()}`;
      const outcome = await client.set(key, 'x').then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      );
      assert.equal(handle.fired, 1);
      // The SET was dropped with the connection: the client cannot know, so it says it may have run.
      assert.equal(outcome, 'CONNECTION_LOST');
      // The client reconnects through the proxy and carries on; the dropped SET did not run.
      assert.equal(await client.exists(key), 0);
      assert.equal(await client.incr(`{n}${uniqueKey()}`), 1);
      assert.ok(proxy.counters.connections > before, 'a new connection through the proxy');
      handle.remove();
    } finally {
      await client.quit().catch(() => client.disconnect());
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, TimeoutError } from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { waitForBlocked, within } from '../helpers.js';

describe('a server without HELLO (as Redis < 6)', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis({ config: { 'rename-command': 'HELLO ""', requirepass: 'pw' } });
  });
  after(() => server.stop());

  test('RESP3 falls back to RESP2 with AUTH, CLIENT SETNAME and SELECT', async () => {
    const client = new Client({ port: server.port, password: 'pw', name: 'fallback', db: 3, resp: 3 });
    await client.connect();
    assert.equal(client.resp, 2);
    assert.equal(await client.call('CLIENT', 'GETNAME'), 'fallback');
    assert.match(String(await client.call('CLIENT', 'INFO')), / db=3 /);
    assert.deepEqual({ ...(await client.hgetall('none')) }, {});
    await client.quit();
  });
});

describe('connecting', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis();
  });
  after(() => server.stop());

  test('a server that accepts but never answers fails connect() after connectTimeout', async () => {
    process.kill(server.pid, 'SIGSTOP');
    try {
      const client = new Client({ port: server.port, connectTimeout: 200, reconnect: false });
      const started = performance.now();
      await assert.rejects(client.connect(), (error: unknown) => {
        assert.equal((error as { code: string }).code, 'CONNECT_FAILED');
        assert.ok((error as Error).cause instanceof TimeoutError);
        return true;
      });
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 190 && elapsed < 2000, `gave up after ${elapsed} ms`);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
  });

  test('emits connect, ready, reconnecting, ready again, then end', async () => {
    const client = new Client({ port: server.port, reconnect: { initialDelay: 10, maxDelay: 20 } });
    const events: string[] = [];
    for (const name of ['connect', 'ready', 'reconnecting', 'end', 'error'])
      client.on(name, () => events.push(name));
    await client.connect();
    const readyAgain = new Promise((resolve) =>
      client.once('reconnecting', () => client.once('ready', resolve)),
    );
    const killer = new Client({ port: server.port });
    await killer.connect();
    await killer.call('CLIENT', 'KILL', 'SKIPME', 'yes');
    await within(readyAgain, 10_000, "'ready' again after the kill");
    assert.equal(await client.call('PING'), 'PONG');
    await client.quit();
    await killer.quit();
    assert.deepEqual(events, ['connect', 'ready', 'error', 'reconnecting', 'connect', 'ready', 'end']);
  });

  test('disconnect() fails commands waiting for a reply as may-have-run and later calls as closed', async () => {
    const client = new Client({ port: server.port });
    await client.connect();
    const observer = new Client({ port: server.port, reconnect: false });
    await observer.connect();
    const waiting = client.call('BLPOP', 'nothing-here', 0);
    // Sent and running on the server (its dedicated connection may take a while to connect).
    await waitForBlocked(observer, 1);
    observer.disconnect();
    client.disconnect();
    await assert.rejects(waiting, { code: 'CONNECTION_LOST', mayHaveRun: true });
    await assert.rejects(client.get('k'), { code: 'CONNECTION_CLOSED', mayHaveRun: false });
    assert.equal(client.status, 'closed');
  });

  test('a command issued in the same turn as disconnect() was never written: it fails as not run', async () => {
    const client = new Client({ port: server.port });
    await client.connect();
    const key = `unsent-${process.pid}`;
    const set = client.set(key, 1);
    client.disconnect();
    await assert.rejects(set, { code: 'CONNECTION_CLOSED', mayHaveRun: false });
    const observer = new Client({ port: server.port });
    await observer.connect();
    assert.equal(await observer.get(key), null);
    await observer.quit();
  });
});

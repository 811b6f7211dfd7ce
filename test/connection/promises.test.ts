import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, ConnectionError, Library, ProtocolError, ReplyError, Script } from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { PROTOCOLS, sleep, uniqueKey, waitUntil } from '../helpers.js';

/**
 * DESIGN §2–3 under the faults that broke them (issue 9): each test here failed before its fix.
 */

let server: RedisServer;
const clients: Client[] = [];
before(async () => {
  server = await startRedis();
});
after(async () => {
  for (const client of clients) client.disconnect();
  await server.stop();
});

async function connected(options: ConstructorParameters<typeof Client>[0] = {}): Promise<Client> {
  const client = new Client({ url: server.url, ...options });
  clients.push(client);
  await client.connect();
  return client;
}

/**
 * A proxy whose first connection forwards `cutAfter` bytes of requests, then stops reading (so
 * the client's writes back up) and drops both sides; later connections forward everything.
 */
async function cuttingProxy(
  target: RedisServer,
  cutAfter: number,
): Promise<{ port: number; server: Server }> {
  let first = true;
  const proxy = createServer((downstream: Socket) => {
    const upstream = tcpConnect(target.port, target.host);
    const cutting = first;
    first = false;
    let forwarded = 0;
    downstream.on('data', (chunk) => {
      if (!cutting) {
        upstream.write(chunk);
        return;
      }
      const room = cutAfter - forwarded;
      if (room > 0) upstream.write(room >= chunk.length ? chunk : chunk.subarray(0, room));
      forwarded += chunk.length;
      if (forwarded >= cutAfter) {
        downstream.pause();
        setTimeout(() => {
          downstream.destroy();
          upstream.destroy();
        }, 100);
      }
    });
    upstream.on('data', (chunk) => downstream.write(chunk));
    upstream.on('error', () => downstream.destroy());
    downstream.on('error', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('no proxy port');
  return { port: address.port, server: proxy };
}

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}`, () => {
    test('a transaction cut by a lost connection after part of it was written is not finished on the next socket', async () => {
      const proxy = await cuttingProxy(server, 1024 * 1024);
      try {
        const client = new Client({
          host: '127.0.0.1',
          port: proxy.port,
          resp,
          reconnect: { initialDelay: 10 },
        });
        clients.push(client);
        await client.connect();
        const big = uniqueKey('big');
        const counter = uniqueKey('after');
        const tx = client.multi();
        tx.set(big, Buffer.alloc(16 * 1024 * 1024, 'x'));
        tx.incr(counter);
        await assert.rejects(tx.exec(), (error: unknown) => {
          assert.ok(error instanceof ConnectionError, String(error));
          // EXEC was never written: the server discarded the MULTI with the socket; nothing ran.
          assert.equal(error.mayHaveRun, false);
          return true;
        });
        const checker = await connected({ resp });
        assert.equal(await checker.exists(big), 0);
        assert.equal(await checker.get(counter), null, 'INCR ran outside its transaction');
        // And the client works again on the new socket.
        assert.equal(await client.ping(), 'PONG');
      } finally {
        proxy.server.close();
      }
    });

    test('a read whose reply breaks the protocol fails once and is not sent again', async () => {
      const writer = await connected({ resp });
      const key = uniqueKey('large');
      await writer.set(key, 'y'.repeat(4096));
      const client = await connected({ resp, maxBulkLength: 1024, reconnect: { initialDelay: 10 } });
      let reconnects = 0;
      client.on('reconnecting', () => reconnects++);
      const outcome = await Promise.race([
        client.get(key).then(
          () => 'resolved',
          (error: unknown) => error,
        ),
        sleep(3000).then(() => 'still pending after 3 s'),
      ]);
      assert.ok(outcome instanceof ProtocolError, String(outcome));
      assert.equal(outcome.mayHaveRun, true);
      assert.equal(await client.ping(), 'PONG');
      assert.ok(reconnects <= 1, `${reconnects} reconnects`);
    });

    test('a script that wrote before failing reports mayHaveRun: true; a refusal before running, false', async () => {
      const client = await connected({ resp });
      const written = uniqueKey('written');
      const list = uniqueKey('list');
      await client.rpush(list, 'a');
      const wroteThenFailed = Script.fromLua(
        "redis.call('SET', KEYS[1], 'v'); return redis.call('INCR', KEYS[2])",
      );
      await assert.rejects(wroteThenFailed.eval(client, [written, list]), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'WRONGTYPE');
        assert.equal(error.mayHaveRun, true);
        return true;
      });
      assert.equal(await client.get(written), 'v');
      // The same code from a plain command ran nothing.
      await assert.rejects(client.incr(list), { code: 'WRONGTYPE', mayHaveRun: false });
      await assert.rejects(client.eval('return +', []), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.reason, 'COMPILE_ERROR');
        assert.equal(error.mayHaveRun, false);
        return true;
      });
      await assert.rejects(client.fcall('no_such_function_here', []), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.reason, 'FUNCTION_NOT_FOUND');
        assert.equal(error.mayHaveRun, false);
        return true;
      });
    });

    test('a SCRIPT LOAD answered after this client flushed scripts does not mark the script loaded again', async () => {
      const client = await connected({ resp });
      const script = Script.fromLua(`return ${resp}00 + ${Date.now() % 1000}`);
      const pipe = client.pipeline();
      script.evalsha(pipe); // loads the script just ahead of the call
      pipe.scriptFlush(); // sent before the load's reply arrives
      await pipe.exec();
      // A transaction cannot heal NOSCRIPT: it runs only if the client knows to load it first.
      const tx = client.multi();
      script.evalsha(tx);
      const [result] = await tx.exec();
      assert.ok(!(result instanceof Error), `the transaction's EVALSHA failed: ${String(result)}`);
    });

    test('Library.fromCode and fromName refuse a pipeline instead of waiting forever', async () => {
      const client = await connected({ resp });
      const code = "#!lua name=refusedlib\nredis.register_function('f', function() return 1 end)";
      await assert.rejects(Library.fromCode(client.pipeline(), code), { code: 'ERR_ARGUMENT' });
      await assert.rejects(Library.fromName(client.multi(), 'refusedlib'), { code: 'ERR_ARGUMENT' });
    });
  });
}

test('quit() while connecting leaves the client closed for good', async () => {
  const client = new Client({ url: server.url });
  clients.push(client);
  const connecting = client.connect().then(
    () => 'connected',
    (error: unknown) => error,
  );
  await client.quit();
  const outcome = await connecting;
  await sleep(200);
  assert.equal(client.status, 'closed');
  assert.ok(outcome instanceof ConnectionError, String(outcome));
  await assert.rejects(client.ping(), { code: 'CONNECTION_CLOSED' });
});

test('invalid TLS material fails connect() with a ConnectionError and closes the client', async () => {
  const client = new Client({ url: server.url, tls: { key: 'not a key', cert: 'not a certificate' } });
  await assert.rejects(client.connect(), (error: unknown) => {
    assert.ok(error instanceof ConnectionError, String(error));
    assert.equal(error.code, 'CONNECT_FAILED');
    return true;
  });
  assert.equal(client.status, 'closed');
  await assert.rejects(client.ping(), { code: 'CONNECTION_CLOSED' });
});

test('a command issued while the server is down fails after offlineTimeout instead of waiting forever', async () => {
  const own = await startRedis();
  try {
    const client = new Client({
      url: own.url,
      offlineTimeout: 300,
      reconnect: { initialDelay: 50, maxDelay: 100 },
    });
    clients.push(client);
    await client.connect();
    await own.kill();
    // The ping below must find the client knowing its server is gone, not still 'ready'.
    await waitUntil(() => client.status !== 'ready', 5000, 'the client to see its server gone');
    const started = performance.now();
    await assert.rejects(client.ping(), { code: 'NOT_CONNECTED', mayHaveRun: false });
    assert.ok(performance.now() - started < 2000);
    // Fails fast while the server is still gone: before a 100 ms timer set with it fires. Waiting
    // out offlineTimeout again would take 300 ms; a race of timers, unlike a measured time, a
    // stall of this process cannot turn (after one, the earlier timer still fires first).
    const outcome = await Promise.race([
      client.ping().then(
        () => 'answered',
        (error: unknown) => error,
      ),
      sleep(100).then(() => 'still waiting after 100 ms'),
    ]);
    assert.ok(outcome instanceof ConnectionError, String(outcome));
    assert.equal(outcome.code, 'NOT_CONNECTED');
    // ...and works again once it is back.
    await own.restart();
    for (let i = 0; i < 100 && client.status !== 'ready'; i++) await sleep(50);
    assert.equal(await client.ping(), 'PONG');
  } finally {
    await own.stop();
  }
});

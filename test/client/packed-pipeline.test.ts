// A plain pipeline on a standalone client goes to the connection as one entry (PackedCalls), with
// no Command per call. These tests pin what that entry must keep of DESIGN §3 when something goes
// wrong part-way through it: each call is judged on its own, exactly as a command would be.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, ConnectionError, ProtocolError, ReplyError, Script } from '../../src/index.js';
import { startRedis } from '../../src/testing/index.js';
import { forEachProtocol, uniqueKey, within } from '../helpers.js';

/** Busy-waits ARGV[1] milliseconds on the server (EVAL, no keys). */
const BUSY_LUA = `
local start = redis.call('TIME')
local limit = tonumber(ARGV[1]) * 1000
while true do
  local now = redis.call('TIME')
  if (now[1] - start[1]) * 1000000 + (now[2] - start[2]) >= limit then return 1 end
end`;

forEachProtocol((redis) => {
  test('a pipeline whose socket closes part-way: answered calls keep their values, an owed read is sent again, an owed write fails as may-have-run and is not repeated', async () => {
    const client = await redis.newClient();
    const id = (await client.call('CLIENT', 'ID')) as number;
    const [a, b] = [uniqueKey(), uniqueKey()];
    await client.set(b, 10);
    const pipe = client.pipeline();
    const incrA = pipe.incr(a);
    const getA = pipe.get(a);
    // The server answers this one, then closes the socket without running what follows.
    const kill = pipe.call('CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no');
    const getB = pipe.get(b);
    const incrB = pipe.incr(b);
    const exec = pipe.exec();
    await assert.rejects(exec, { code: 'CONNECTION_LOST', mayHaveRun: true });
    assert.equal(await incrA, 1);
    assert.equal(await getA, '1');
    assert.equal(await kill, 1);
    // A read owed a reply is retry-safe: sent again on the next socket.
    assert.equal(await within(getB, 5000, 'the resent GET'), '10');
    const lost = await incrB.then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(lost instanceof ConnectionError);
    assert.equal(lost.code, 'CONNECTION_LOST');
    assert.equal(lost.mayHaveRun, true);
    assert.match(lost.message, /^INCR: /);
    // At most once: the lost INCR was not sent again (here it never ran at all).
    assert.equal(await client.get(b), '10');
    assert.equal(await client.get(a), '1');
  });

  test('a pipeline not yet written when the client disconnects fails every call as not run', async () => {
    const client = await redis.newClient();
    const key = uniqueKey();
    const pipe = client.pipeline();
    const set = pipe.set(key, 1);
    const incr = pipe.incr(key);
    const exec = pipe.exec();
    client.disconnect();
    await assert.rejects(exec, { name: 'ConnectionError', mayHaveRun: false });
    await assert.rejects(set, { mayHaveRun: false, message: /^SET: / });
    await assert.rejects(incr, { mayHaveRun: false, message: /^INCR: / });
    assert.equal(await redis.client.get(key), null);
  });

  test('a second exec() while the first is in flight is refused and does not touch the first', async () => {
    const key = uniqueKey();
    const pipe = redis.client.pipeline();
    const set = pipe.set(key, 'x');
    const get = pipe.get(key);
    const first = pipe.exec();
    await assert.rejects(pipe.exec(), /already executed/);
    assert.deepEqual(await first, ['OK', 'x']);
    assert.equal(await set, 'OK');
    assert.equal(await get, 'x');
    assert.equal(pipe.length, 0);
  });

  test('a pipeline that outlives its timeout fails the calls still owed a reply, and their late replies answer nobody else', async () => {
    const client = await redis.newClient({ commandTimeout: 300 });
    const [key, other] = [uniqueKey(), uniqueKey()];
    await redis.client.set(other, 'other');
    const pipe = client.pipeline();
    const set = pipe.set(key, 'v');
    // Holds the server for 800 ms; every reply of the pipeline comes after it.
    const slow = pipe.call('EVAL', BUSY_LUA, 0, 800);
    const get = pipe.get(key);
    const started = performance.now();
    await assert.rejects(pipe.exec(), { name: 'TimeoutError', mayHaveRun: true });
    const waited = performance.now() - started;
    assert.ok(waited >= 250 && waited < 780, `timed out after ${waited.toFixed(0)} ms`);
    for (const call of [set, slow, get])
      await assert.rejects(call, { name: 'TimeoutError', mayHaveRun: true });
    // Sent while the three late replies are still owed (and queued behind the busy script, so
    // given a longer timeout): it must get its own reply, not one of theirs.
    const patient = client.withOptions({ timeout: 5000 });
    assert.equal(await patient.get(other), 'other');
    assert.equal(await patient.get(key), 'v');
  });

  test('a pipeline with more calls than maxQueuedCommands is refused whole, never sent in part', async () => {
    const client = await redis.newClient({ maxQueuedCommands: 10 });
    const key = uniqueKey();
    const over = client.pipeline();
    const calls = Array.from({ length: 11 }, () => over.rpush(key, 'x'));
    await assert.rejects(over.exec(), { code: 'QUEUE_FULL' });
    for (const call of calls) await assert.rejects(call, { code: 'QUEUE_FULL' });
    assert.equal(await client.llen(key), 0);
    const fits = client.pipeline();
    for (let i = 0; i < 10; i++) fits.rpush(key, 'x');
    assert.equal((await fits.exec()).length, 10);
    assert.equal(await client.llen(key), 10);
  });

  test('a reply that breaks the protocol fails its own call; the rest of the pipeline is judged as on any lost socket, and nothing runs twice', async () => {
    const client = await redis.newClient({ maxBulkLength: 64 });
    const [small, big, counter] = [uniqueKey(), uniqueKey(), uniqueKey()];
    await redis.client.set(big, 'x'.repeat(1000));
    const pipe = client.pipeline();
    const set = pipe.set(small, 'kept');
    const tooLarge = pipe.get(big);
    const read = pipe.get(small);
    const write = pipe.incr(counter);
    await assert.rejects(pipe.exec(), ProtocolError);
    assert.equal(await set, 'OK');
    await assert.rejects(tooLarge, ProtocolError);
    assert.equal(await within(read, 5000, 'the resent GET'), 'kept');
    await assert.rejects(write, { code: 'CONNECTION_LOST', mayHaveRun: true });
    // The server ran the INCR once; the client did not send it again.
    assert.equal(await redis.client.get(counter), '1');
  });

  test('plain calls queued before a script helper call keep their order, and the script is loaded once', async () => {
    const key = uniqueKey();
    const script = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    await redis.client.scriptFlush();
    const pipe = redis.client.pipeline();
    pipe.set(key, 1);
    pipe.incr(key);
    const scripted = script.evalshaWithReload(pipe, [key], [10]);
    pipe.incr(key);
    const bad = pipe.call('LPUSH', key, 'x');
    assert.deepEqual((await pipe.exec()).slice(0, 4), ['OK', 2, 12, 13]);
    assert.equal(await scripted, 12);
    await assert.rejects(bad, ReplyError);
  });

  test('many callers mixing pipelines and single calls on one connection each see their own order', async () => {
    const lanes = Array.from({ length: 20 }, () => uniqueKey('lane'));
    await Promise.all(
      lanes.map(async (list, lane) => {
        let next = 0;
        for (let round = 0; round < 30; round++) {
          if ((round + lane) % 3 === 0) {
            assert.equal(await redis.client.rpush(list, next++), next);
          } else {
            const pipe = redis.client.pipeline();
            const size = 1 + ((round * 7 + lane) % 5);
            for (let i = 0; i < size; i++) pipe.rpush(list, next++);
            pipe.llen(list);
            const results = await pipe.exec();
            assert.equal(results.at(-1), next);
          }
        }
        const values = await redis.client.lrange(list, 0, -1);
        assert.deepEqual(
          values,
          Array.from({ length: next }, (_, i) => String(i)),
        );
      }),
    );
  });

  test('a pipeline sent while the connection is reconnecting waits in the offline queue and runs once it is back', async () => {
    const client = await redis.newClient({ reconnect: { initialDelay: 50, maxDelay: 50 } });
    const id = (await client.call('CLIENT', 'ID')) as number;
    const key = uniqueKey();
    const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve));
    await redis.client.call('CLIENT', 'KILL', 'ID', id);
    await within(reconnecting, 5000, 'the reconnecting event');
    const pipe = client.pipeline();
    pipe.set(key, 'offline');
    pipe.get(key);
    assert.deepEqual(await within(pipe.exec(), 5000, 'the pipeline after the reconnect'), ['OK', 'offline']);
  });
});

test('a client with a key prefix, a timeout or Buffer replies still pipelines correctly', async () => {
  const server = await startRedis();
  try {
    const prefixed = new Client({ url: server.url, keyPrefix: 'p:', commandTimeout: 5000 });
    await prefixed.connect();
    const pipe = prefixed.pipeline();
    pipe.set('k', 'v');
    pipe.get('k');
    assert.deepEqual(await pipe.exec(), ['OK', 'v']);
    const raw = new Client({ url: server.url });
    await raw.connect();
    assert.equal(await raw.get('p:k'), 'v');
    const buffers = raw.withOptions({ buffers: true }).pipeline();
    buffers.get('p:k');
    const [value] = await buffers.exec();
    assert.ok(Buffer.isBuffer(value));
    assert.equal(value.toString(), 'v');
    prefixed.disconnect();
    raw.disconnect();
  } finally {
    await server.stop();
  }
});

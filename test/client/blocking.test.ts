import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AbortError, Client, RedisError, TimeoutError } from '../../src/index.js';
import { startRedis } from '../../src/testing/index.js';
import {
  blockedClients,
  forEachProtocol,
  PROTOCOLS,
  sleep,
  uniqueKey,
  waitForBlocked,
  waitUntil,
} from '../helpers.js';

/** Connections the server has with client name `name` (CLIENT LIST). */
async function connectionsNamed(client: Client, name: string): Promise<number> {
  const list = await client.clientList();
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

forEachProtocol((redis) => {
  describe('blocking commands run on connections of their own', () => {
    test('a GET behind 100 concurrent BLPOPs answers without waiting for them', async () => {
      const name = uniqueKey('blk').replace(/:/g, '-');
      const client = await redis.newClient({ name });
      const queue = uniqueKey('queue');
      const popped = Array.from({ length: 100 }, () => client.blpop(queue, 5));
      await waitForBlocked(redis.client, 8);
      const key = uniqueKey('k');
      await client.set(key, 'v');
      const started = performance.now();
      assert.equal(await client.get(key), 'v');
      const elapsed = performance.now() - started;
      // Held behind them, it would wait out their 5 s; the bound leaves room for a loaded CI box
      // (at 500 ms, a stall of 500 ms would fail it).
      assert.ok(elapsed < 2000, `GET took ${elapsed.toFixed(1)} ms behind 100 blocked BLPOPs`);
      // The pool is bounded: 8 dedicated connections block, the other calls wait for one.
      assert.equal(await connectionsNamed(redis.client, name), 1 + 8);
      assert.equal(await blockedClients(redis.client), 8);

      const values = Array.from({ length: 100 }, (_, i) => `v${i}`);
      await client.rpush(queue, ...(values as [string, ...string[]]));
      const results = await Promise.all(popped);
      assert.deepEqual(
        results.map((result) => result?.[1]).sort(),
        [...values].sort(),
        'each element popped once',
      );
      assert.ok(results.every((result) => result?.[0] === queue));
    });

    test("a blocking call's timeout is its block time plus commandTimeout; other commands are not held up", async () => {
      // 500 ms past its block is what a slow answer may take here: room for a loaded box.
      const client = await redis.newClient({ commandTimeout: 500 });
      // The dedicated connection opened first, with no timeout (connecting it on a loaded box may
      // take longer than commandTimeout), so that connecting it is not counted below.
      assert.equal(await client.withOptions({ timeout: 0 }).blpop(uniqueKey('warm'), 0.01), null);
      const started = performance.now();
      const popped = client.blpop(uniqueKey('empty'), 1);
      await sleep(50);
      assert.equal(await client.ping(), 'PONG');
      // Behind the BLPOP, the PING would be answered only once the server let the BLPOP go: told
      // by the server's state, not by a time a stall of this process could exceed.
      assert.equal(await blockedClients(redis.client), 1, 'PING answered while BLPOP blocks');
      assert.equal(await popped, null, 'BLPOP ran its full 1000 ms, past commandTimeout, and answered nil');
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 950, `answered after ${elapsed.toFixed(0)} ms`);
      assert.equal(await client.ping(), 'PONG');
    });

    test('a timed-out BLPOP 0 closes its connection: the server stops waiting and takes nothing pushed later', async () => {
      const client = await redis.newClient();
      // Opened first: a BLPOP still waiting for its connection after 150 ms would fail as not run.
      assert.equal(await client.blpop(uniqueKey('warm'), 0.01), null);
      const key = uniqueKey('never');
      const popping = client.withOptions({ timeout: 150 }).blpop(key, 0);
      await assert.rejects(popping, (error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        assert.equal(error.mayHaveRun, true);
        return true;
      });
      await waitForBlocked(redis.client, 0);
      await redis.client.rpush(key, 'kept');
      await sleep(20);
      assert.equal(await redis.client.llen(key), 1, 'the abandoned BLPOP took nothing');
      assert.equal(await client.ping(), 'PONG');
      assert.deepEqual(await client.blpop(key, 1), [key, 'kept'], 'later blocking calls work');
    });

    test('an aborted BLPOP closes its connection too; aborted while waiting for one, it never runs', async () => {
      const client = await redis.newClient({ dedicatedConnections: 1 });
      const [first, second] = [uniqueKey('first'), uniqueKey('second')];
      const holding = new AbortController();
      const waiting = new AbortController();
      const holder = client.withOptions({ signal: holding.signal }).blpop(first, 0);
      const queued = client.withOptions({ signal: waiting.signal }).blpop(second, 0);
      await waitForBlocked(redis.client, 1);

      waiting.abort();
      await assert.rejects(queued, (error: unknown) => {
        assert.ok(error instanceof AbortError);
        assert.equal(error.mayHaveRun, false, 'it was never sent');
        return true;
      });
      holding.abort();
      await assert.rejects(holder, (error: unknown) => error instanceof AbortError && error.mayHaveRun);
      await waitForBlocked(redis.client, 0);
      await redis.client.rpush(first, 'a');
      await redis.client.rpush(second, 'b');
      await sleep(20);
      assert.deepEqual([await redis.client.llen(first), await redis.client.llen(second)], [1, 1]);
      assert.deepEqual(await client.blpop(second, 1), [second, 'b']);
    });

    test('a call waiting for a dedicated connection past its deadline fails as not run', async () => {
      const client = await redis.newClient({ dedicatedConnections: 1, commandTimeout: 100 });
      // The holder keeps the only connection until the push below, after the waiter gave up (its
      // deadline is 0.1 s + 100 ms), so no timing decides which comes first.
      const hold = uniqueKey('hold');
      const holder = client.blpop(hold, 5);
      const key = uniqueKey('late');
      await assert.rejects(client.blpop(key, 0.1), (error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        assert.equal(error.mayHaveRun, false);
        assert.match(error.message, /waiting for a dedicated connection/);
        return true;
      });
      await redis.client.rpush(hold, 'released');
      assert.deepEqual(await holder, [hold, 'released']);
    });

    test('call() of a described blocking command goes to a dedicated connection too', async () => {
      const client = await redis.newClient();
      const key = uniqueKey('raw');
      const popping = client.call('BRPOP', key, 2);
      await waitForBlocked(redis.client, 1);
      const started = performance.now();
      assert.equal(await client.ping(), 'PONG');
      // Behind the BRPOP it would wait out its 2 s; the bound leaves room for a loaded box.
      assert.ok(performance.now() - started < 1000);
      await client.rpush(key, 'x');
      assert.deepEqual(await popping, [key, 'x']);
    });

    test('BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN and BZMPOP wait for data on dedicated connections', async () => {
      const client = await redis.newClient();
      const [list, other, zset] = [uniqueKey('{b}l'), uniqueKey('{b}o'), uniqueKey('{b}z')];
      const waits = [
        client.blmove(list, other, 'LEFT', 'RIGHT', 2),
        client.brpoplpush(list, other, 2),
        client.blmpop(2, [list], 'LEFT', 1),
        client.bzpopmin(zset, 2),
        client.bzmpop(2, [zset], 'MIN', 1),
      ] as const;
      await waitForBlocked(redis.client, 5);
      assert.equal(await client.ping(), 'PONG');
      await client.rpush(list, '1', '2', '3');
      await client.zadd(zset, { one: 1, two: 2 });
      const [moved, pushed, mpopped, zmin, zmpopped] = await Promise.all(waits);
      assert.deepEqual(
        [moved, pushed, mpopped?.elements].flat().sort(),
        ['1', '2', '3'],
        'each list element went to exactly one caller',
      );
      assert.deepEqual([zmin?.member, zmpopped?.members[0].member].sort(), ['one', 'two']);
    });
  });
});

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: WAIT`, () => {
    test("WAIT counts the replicas that acknowledged this client's writes (it stays on the shared connection)", async () => {
      const primary = await startRedis();
      const replica = await startRedis({ replicaOf: { host: primary.host, port: primary.port } });
      // 500 ms past WAIT's own timeout is what a slow answer may take here: room for a loaded box.
      const client = new Client({ url: primary.url, resp, commandTimeout: 500 });
      await client.connect();
      // The writes without a timeout: only WAIT is under test, on the connection that wrote.
      const writer = client.withOptions({ timeout: 0 });
      try {
        await writer.set(uniqueKey('w'), 'synced');
        // Nothing waits for the replica's first sync before this: allow a loaded machine for it.
        assert.equal(await client.wait(1, 15_000), 1, 'the replica acknowledged');
        process.kill(replica.pid, 'SIGSTOP');
        try {
          await writer.set(uniqueKey('w'), 'not yet');
          // On a connection that wrote nothing this would answer 1 at once, a false promise.
          const started = performance.now();
          assert.equal(await client.wait(1, 800), 0, 'the stopped replica did not acknowledge');
          assert.ok(performance.now() - started >= 750, 'WAIT used its timeout, past commandTimeout');
        } finally {
          process.kill(replica.pid, 'SIGCONT');
        }
        assert.equal(await client.wait(1, 15_000), 1, 'acknowledged once the replica runs again');
      } finally {
        client.disconnect();
        await replica.stop();
        await primary.stop();
      }
    });
  });
}

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: blocking calls while the server is away`, () => {
    test('a blocking call made during an outage runs once the server is back', async () => {
      const server = await startRedis();
      const client = new Client({ url: server.url, resp, reconnect: { initialDelay: 20, maxDelay: 50 } });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const key = uniqueKey('outage');
        await server.kill('SIGKILL');
        // Made during the outage: once the client knows of it (a fixed 50 ms may not be enough).
        await waitUntil(() => client.status !== 'ready', 5000, 'the client to see its server gone');
        const popping = client.blpop(key, 2);
        await server.restart();
        const pusher = new Client({ url: server.url, resp });
        await pusher.connect();
        await sleep(50);
        await pusher.rpush(key, 'after restart');
        assert.deepEqual(await popping, [key, 'after restart']);
        pusher.disconnect();
      } finally {
        client.disconnect();
        await server.stop();
      }
    });

    test('a blocking call waiting for the server fails as not run after offlineTimeout', async () => {
      const server = await startRedis();
      const client = new Client({
        url: server.url,
        resp,
        offlineTimeout: 200,
        reconnect: { initialDelay: 20 },
      });
      client.on('error', () => undefined);
      await client.connect();
      try {
        await client.blpop(uniqueKey('warm'), 0.01); // the pool exists before the outage
        await server.kill('SIGKILL');
        // Made once the client knows of the outage (a fixed 50 ms may not be enough): sent earlier,
        // on the pooled connection not yet seen closed, it would fail as lost, not as not run.
        await waitUntil(() => client.status !== 'ready', 5000, 'the client to see its server gone');
        const started = performance.now();
        await assert.rejects(client.blpop(uniqueKey('never'), 0), (error: unknown) => {
          assert.ok(error instanceof RedisError);
          assert.equal(error.code, 'NOT_CONNECTED');
          assert.equal(error.mayHaveRun, false);
          return true;
        });
        assert.ok(performance.now() - started < 1000);
        await assert.rejects(client.blpop(uniqueKey('fast'), 0), { code: 'NOT_CONNECTED' });
      } finally {
        client.disconnect();
        await server.stop();
      }
    });
  });
}

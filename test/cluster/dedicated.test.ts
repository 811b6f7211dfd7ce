import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError, ClusterError, WatchError } from '../../src/index.js';
import { sleep, uniqueKey, waitForBlocked } from '../helpers.js';
import { delta, forEachProtocol, keyOwnedBy, useCluster } from './cluster-helpers.js';

// Blocking commands and isolated() on a cluster: where they ran is asked of the nodes
// (INFO commandstats, CLIENT INFO), never of the client under test.

describe('dedicated connections on a cluster', () => {
  const shared = useCluster();

  forEachProtocol(shared, (redis) => {
    test('a BLPOP runs on its key owner, on a connection of its own: commands to that node are not held up', async () => {
      const primaries = redis.cluster.primaries;
      const owner = primaries[1];
      const key = await keyOwnedBy(redis, owner, 'bl');
      const sameNode = await keyOwnedBy(redis, owner, 'get');
      const before = await redis.callsOn(primaries, 'blpop');
      // Answered by the push below: its 5 s only matter to a GET held behind it.
      const popping = redis.client.blpop(key, 5);
      await sleep(30);
      await redis.client.set(sameNode, 'v');
      const started = performance.now();
      assert.equal(await redis.client.get(sameNode), 'v');
      const elapsed = performance.now() - started;
      // Held behind it, it would wait out the BLPOP's 5 s; the bound leaves room for a loaded box
      // (at 500 ms, a stall of 500 ms would fail it).
      assert.ok(elapsed < 2000, `GET to the same node took ${elapsed.toFixed(1)} ms behind a BLPOP`);
      await redis.client.rpush(key, 'x');
      assert.deepEqual(await popping, [key, 'x']);
      assert.deepEqual(delta(before, await redis.callsOn(primaries, 'blpop')), [0, 1, 0]);
    });

    test('a timed-out blocking call on a cluster releases the server and leaves the element', async () => {
      const key = await keyOwnedBy(redis, redis.cluster.primaries[2], 'bt');
      await assert.rejects(redis.client.withOptions({ timeout: 100 }).brpop(key, 0), { code: 'TIMEOUT' });
      // The server lets go once it sees the connection closed: polled, not a fixed sleep.
      await waitForBlocked(await shared.direct(redis.cluster.primaries[2]), 0);
      await redis.client.rpush(key, 'kept');
      await sleep(20);
      assert.equal(await redis.client.llen(key), 1);
    });

    test('a BLPOP answered MOVED goes to the new owner, and frees its first connection', async () => {
      // A client whose slot map is never refreshed by itself, and one dedicated connection per node.
      const stale = await shared.newCluster({
        resp: redis.resp,
        refreshInterval: 0,
        dedicatedConnections: 1,
        commandTimeout: 1000,
      });
      const [source, target] = [redis.cluster.primaries[0], redis.cluster.primaries[1]];
      const key = await keyOwnedBy(redis, source, `moved${redis.resp}`);
      const slot = await redis.keyslot(key);
      const ids = await Promise.all(
        [source, target].map(async (node) =>
          String(await (await shared.direct(node)).call('CLUSTER', 'MYID')),
        ),
      );
      await (await shared.direct(target)).call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[0]);
      await (await shared.direct(source)).call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[1]);
      for (const node of redis.cluster.primaries) {
        await (await shared.direct(node)).call('CLUSTER', 'SETSLOT', slot, 'NODE', ids[1]);
      }
      const movedBefore = await redis.rejectedOn([source], 'blpop');
      const popping = stale.blpop(key, 2);
      await sleep(50);
      await redis.client.rpush(key, 'found');
      assert.deepEqual(await popping, [key, 'found']);
      assert.deepEqual(
        delta(movedBefore, await redis.rejectedOn([source], 'blpop')),
        [1],
        'the old owner said MOVED',
      );
      // The source's only dedicated connection was given back when the command moved on.
      const other = await keyOwnedBy(redis, source, 'after');
      const next = stale.blpop(other, 2);
      await sleep(30);
      await redis.client.rpush(other, 'served');
      assert.deepEqual(await next, [other, 'served']);
    });

    test('two isolated transactions on one key never both apply', async () => {
      const key = `{${uniqueKey('acct')}}:balance`;
      await redis.client.set(key, 100);
      let arrived = 0;
      let open!: () => void;
      const bothRead = new Promise<void>((resolve) => (open = resolve));
      const attempt = (amount: number) =>
        redis.client.isolated(async (conn) => {
          await conn.watch(key);
          const balance = Number(await conn.get(key));
          if (++arrived === 2) open();
          await bothRead;
          const tx = conn.multi();
          tx.set(key, balance - amount);
          return tx.exec().then(
            () => true,
            (error: unknown) => {
              if (error instanceof WatchError) return false;
              throw error;
            },
          );
        });
      const outcomes = await Promise.all([attempt(10), attempt(30)]);
      assert.equal(outcomes.filter(Boolean).length, 1, `exactly one applied: ${outcomes}`);
      assert.ok(['90', '70'].includes(String(await redis.client.get(key))));
    });

    test("isolated() uses the connection to the first key's slot owner and refuses keys of other slots", async () => {
      const owner = redis.cluster.primaries[2];
      const key = await keyOwnedBy(redis, owner, 'pin');
      const elsewhere = await keyOwnedBy(redis, redis.cluster.primaries[0], 'other');
      await redis.client.isolated(async (conn) => {
        await conn.set(key, 1);
        const info = String(await conn.call('CLIENT', 'INFO'));
        assert.match(info, new RegExp(`laddr=127\\.0\\.0\\.1:${owner.port} `), 'on the slot owner');
        await assert.rejects(conn.get(elsewhere), (error: unknown) => {
          assert.ok(error instanceof ClusterError);
          assert.equal(error.code, 'CROSSSLOT');
          assert.match(error.message, /pinned to hash slot \d+ by key/);
          return true;
        });
        assert.equal(await conn.get(key), '1', 'the session goes on after a refusal');
      });
    });

    test('isolated() on a cluster refuses a keyless first command, naming what to do', async () => {
      await redis.client.isolated(async (conn) => {
        await assert.rejects(conn.ping(), (error: unknown) => {
          assert.ok(error instanceof ArgumentError);
          assert.match(error.message, /slot of the first key used; call a command with a key first/);
          return true;
        });
      });
    });
  });
});

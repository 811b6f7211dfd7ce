import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError, type Client, ReplyError, WatchError } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

/** Resolves when `count` callers arrived: lets two sessions interleave exactly where a test wants. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === count) open();
    return opened;
  };
}

/** The server's id for the connection `conn` runs on. */
async function connectionId(conn: {
  call(command: string, ...args: string[]): Promise<unknown>;
}): Promise<number> {
  return Number(await conn.call('CLIENT', 'ID'));
}

/** Takes `amount` from `key` inside one optimistic transaction; resolves to whether it applied. */
async function withdraw(
  client: Client,
  key: string,
  amount: number,
  meet: () => Promise<void>,
): Promise<boolean> {
  return client.isolated(async (conn) => {
    await conn.watch(key);
    const balance = Number(await conn.get(key));
    await meet(); // both sessions have read the balance before either writes
    const tx = conn.multi();
    tx.set(key, balance - amount);
    try {
      await tx.exec();
      return true;
    } catch (error) {
      if (error instanceof WatchError) return false;
      throw error;
    }
  });
}

forEachProtocol((redis) => {
  describe('isolated()', () => {
    test('two isolated transactions on one key never both apply', async () => {
      const key = uniqueKey('{acct}balance');
      await redis.client.set(key, 100);
      for (let round = 0; round < 5; round++) {
        const meet = barrier(2);
        const outcomes = await Promise.all([
          withdraw(redis.client, key, 10, meet),
          withdraw(redis.client, key, 30, meet),
        ]);
        assert.equal(outcomes.filter(Boolean).length, 1, `exactly one applied (round ${round}: ${outcomes})`);
      }
      const balance = Number(await redis.client.get(key));
      assert.ok(balance < 100 && balance >= 100 - 5 * 30, `balance ${balance}`);
    });

    test("a WATCH is the session's own: another caller's EXEC on the shared connection does not consume it", async () => {
      const key = uniqueKey('watched');
      await redis.client.set(key, 'original');
      await assert.rejects(
        redis.client.isolated(async (conn) => {
          await conn.watch(key);
          // Another caller runs a transaction (its EXEC would clear every WATCH of its connection)
          // and then changes the watched key.
          const other = redis.client.multi();
          other.set(uniqueKey('other'), 1);
          assert.deepEqual(await other.exec(), ['OK']);
          await redis.client.set(key, 'changed');
          const tx = conn.multi();
          tx.set(key, 'overwritten');
          return tx.exec();
        }),
        WatchError,
      );
      assert.equal(await redis.client.get(key), 'changed');
    });

    test('the connection goes back clean after fn throws with a WATCH left on it', async () => {
      const client = await redis.newClient({ dedicatedConnections: 1 });
      const key = uniqueKey('left');
      await client.set(key, 1);
      const failure = new Error('fn failed');
      let firstId = 0;
      await assert.rejects(
        client.isolated(async (conn) => {
          firstId = await connectionId(conn);
          await conn.watch(key);
          throw failure;
        }),
        (error: unknown) => error === failure,
      );
      await client.set(key, 2); // would fail an EXEC on a connection still watching the key
      const result = await client.isolated(async (conn) => {
        assert.equal(await connectionId(conn), firstId, 'the same pooled connection');
        const tx = conn.multi();
        tx.incr(key);
        return tx.exec();
      });
      assert.deepEqual(result, [3]);
    });

    test('a session that leaves commands unanswered gets its connection closed, not reused', async () => {
      const client = await redis.newClient({ dedicatedConnections: 1 });
      let firstId = 0;
      let blocked: Promise<unknown> | undefined;
      await client.isolated(async (conn) => {
        firstId = await connectionId(conn);
        blocked = conn.blpop(uniqueKey('forgotten'), 0);
        blocked.catch(() => undefined);
        // Written (the flush runs before the next event-loop phase), so its reply is owed.
        await new Promise((resolve) => setImmediate(resolve));
      });
      await assert.rejects(blocked!, { code: 'CONNECTION_LOST' });
      const nextId = await client.isolated((conn) => connectionId(conn));
      assert.notEqual(nextId, firstId, 'a fresh connection');
    });

    test('conn is refused once isolated() returned', async () => {
      let kept: { get(key: string): Promise<unknown> } | undefined;
      const value = await redis.client.isolated(async (conn) => {
        kept = conn;
        return 'result';
      });
      assert.equal(value, 'result');
      await assert.rejects(kept!.get('k'), (error: unknown) => {
        assert.ok(error instanceof ArgumentError);
        assert.match(error.message, /isolated\(\) has returned/);
        return true;
      });
    });

    test('conn has the whole surface: pipelines, blocking commands, errors as replies', async () => {
      const key = uniqueKey('surface');
      const list = uniqueKey('list');
      const result = await redis.client.isolated(async (conn) => {
        const pipe = conn.pipeline();
        pipe.set(key, 'v');
        pipe.get(key);
        pipe.lpush(key, 'x');
        const replies = await pipe.exec();
        setTimeout(() => void redis.client.rpush(list, 'pushed'), 30);
        const popped = await conn.blpop(list, 2);
        return { replies, popped };
      });
      assert.equal(result.replies[0], 'OK');
      assert.equal(result.replies[1], 'v');
      assert.ok(result.replies[2] instanceof ReplyError && result.replies[2].code === 'WRONGTYPE');
      assert.deepEqual(result.popped, [list, 'pushed']);
    });

    test('isolated sessions run side by side, each on its own connection', async () => {
      // Each session holds its connection until all four have one (or 5 s passed): after a fixed
      // 30 ms, a session whose connection was slow to open on a loaded machine could rightly be
      // given one an earlier session had finished with.
      let arrived = 0;
      let allIn!: () => void;
      const together = new Promise<void>((resolve) => (allIn = resolve));
      const fallback = setTimeout(() => allIn(), 5000);
      const ids = await Promise.all(
        Array.from({ length: 4 }, () =>
          redis.client.isolated(async (conn) => {
            const id = await connectionId(conn);
            if (++arrived === 4) allIn();
            await together;
            return id;
          }),
        ),
      );
      clearTimeout(fallback);
      assert.equal(arrived, 4);
      assert.equal(new Set(ids).size, 4);
    });
  });
});

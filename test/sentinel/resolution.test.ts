import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  ArgumentError,
  ConnectionError,
  Library,
  ReplyError,
  Script,
  Sentinel,
  SentinelError,
} from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { findFreePort } from '../../src/testing/ports.js';
import { PROTOCOLS, uniqueKey, within } from '../helpers.js';
import { eventually, nextFailover, useSentinel } from './sentinel-helpers.js';

const PASSWORD = 'data-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';
// TLS everywhere (one throwaway CA) and two passwords: the sentinels' own and the servers'.
// The other files run on plain TCP without passwords. No test here waits for the sentinels to
// see a primary down (the failover is SENTINEL FAILOVER): a down-after of 5 s, not the harness's
// 1 s, which a loaded box's stall reached, so that they started a failover of their own midway.
const shared = useSentinel(
  { password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD },
  { config: { 'busy-reply-threshold': 100 }, tls: true, downAfterMs: 5000 },
);

/**
 * A node that says (ROLE) it is a replica right now. Not simply "a node the sentinels do not name":
 * in one full-suite run (4 files at a time) the first such node still said it was a master when
 * the RESP3 tests began, so every test below reached a primary and failed. Waiting for a true
 * replica keeps these tests about the client's ROLE check, not about the deployment's state.
 */
async function replicaServer(): Promise<RedisServer> {
  const deadline = Date.now() + 15_000;
  const seen: string[] = [];
  while (Date.now() < deadline) {
    for (const server of await shared.harness.replicas()) {
      const role = (await (await shared.direct(server)).call('ROLE')) as unknown[];
      if (role[0] === 'slave') return server;
      seen.push(`${server.port}: ${String(role[0])}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no node other than the primary says it is a replica (${seen.slice(-4).join(', ')})`);
}

test('bad options are refused with an ArgumentError naming the option', () => {
  assert.throws(() => new Sentinel({ sentinels: [], name: 'mymaster' }), ArgumentError);
  assert.throws(() => new Sentinel({ sentinels: ['redis://127.0.0.1:26379'], name: '' }), /`name`/);
  assert.throws(
    () => new Sentinel({ sentinels: ['redis://127.0.0.1:26379'], name: 'mymaster', host: 'x' } as never),
    /takes no `host`/,
  );
  assert.throws(() => new Sentinel({ sentinels: [42 as never], name: 'mymaster' }), /sentinels\[0\]/);
  assert.throws(
    () => new Sentinel({ sentinels: ['redis://127.0.0.1:26379/3'], name: 'mymaster' }),
    /names no database/,
  );
});

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: finding the primary`, () => {
    test('finds the primary through the sentinels and runs commands there', async () => {
      const db = await shared.newSentinel({ resp });
      const primary = await shared.harness.primary();
      assert.equal(db.status, 'ready');
      assert.equal(db.resp, resp);
      assert.equal(db.primary, `127.0.0.1:${primary.port}`);
      const key = uniqueKey('resolved');
      assert.equal(await db.set(key, 'here'), 'OK');
      assert.equal(await (await shared.direct(primary)).get(key), 'here');
      assert.deepEqual(db.replicas, [], 'no replica connections without replicaReads');
      assert.ok(
        shared.harness.sentinelUrls.every((url) => url.startsWith('rediss://')),
        'over TLS',
      );
      await db.quit();
      assert.equal(db.status, 'closed');
    });

    test('a sentinel that cannot be reached is passed over', async () => {
      const closed = await findFreePort();
      const db = await shared.newSentinel({
        resp,
        sentinels: [`redis://127.0.0.1:${closed}`, ...shared.harness.sentinelUrls],
      });
      assert.equal(db.primary, `127.0.0.1:${(await shared.harness.primary()).port}`);
      assert.equal(await db.ping(), 'PONG');
      await db.quit();
    });

    test('a name no sentinel knows fails with NO_PRIMARY, saying what each sentinel answered', async () => {
      const db = await shared.newSentinel({ resp, name: `nosuch${resp}` }, false);
      await assert.rejects(db.connect(), (error: unknown) => {
        assert.ok(error instanceof SentinelError);
        assert.equal(error.code, 'NO_PRIMARY');
        assert.equal(error.mayHaveRun, false);
        for (const sentinel of shared.harness.sentinels)
          assert.match(error.message, new RegExp(`:${sentinel.port} `));
        return true;
      });
      assert.equal(db.status, 'closed');
    });

    test("the sentinels' password and the primary's are both needed, and never shown", async () => {
      const withoutSentinelPassword = await shared.newSentinel({ resp, sentinelPassword: undefined }, false);
      await assert.rejects(withoutSentinelPassword.connect(), (error: unknown) => {
        assert.ok(error instanceof SentinelError);
        assert.equal(error.code, 'NO_PRIMARY');
        assert.match(error.message, /NOAUTH/);
        return true;
      });
      const wrongPassword = await shared.newSentinel({ resp, password: 'not-it' }, false);
      await assert.rejects(wrongPassword.connect(), (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.equal(error.code, 'WRONGPASS');
        return true;
      });
      const db = await shared.newSentinel({ resp });
      for (const text of [inspect(db), inspect(withoutSentinelPassword), inspect(wrongPassword)]) {
        assert.doesNotMatch(text, new RegExp(`${PASSWORD}|${SENTINEL_PASSWORD}|not-it`));
      }
      assert.match(inspect(db), /Sentinel \{ name: mymaster, primary: 127\.0\.0\.1:\d+, status: ready \}/);
      await db.quit();
    });

    test('reads from replicas over TLS with their own password', async () => {
      const db = await shared.newSentinel({ resp, replicaReads: true });
      assert.equal(db.replicas.length, 2);
      const key = uniqueKey('tls-read');
      await db.set(key, 'secret');
      // Both replicas must hold the key before a read of either: WAIT returns as soon as they do.
      assert.equal(await db.call('WAIT', 2, 10_000), 2, 'both replicas acknowledged the write');
      const replicas = await shared.harness.replicas();
      const before = await Promise.all(replicas.map((replica) => shared.callsOn(replica, 'get')));
      assert.equal(await db.get(key), 'secret');
      const after = await Promise.all(replicas.map((replica) => shared.callsOn(replica, 'get')));
      assert.equal(after[0] + after[1] - before[0] - before[1], 1, 'a replica answered the GET');
      await db.quit();
    });

    test("without the sentinels' CA no sentinel is trusted", async () => {
      const db = await shared.newSentinel({ resp, sentinelTls: undefined }, false);
      await assert.rejects(db.connect(), (error: unknown) => {
        assert.ok(error instanceof SentinelError);
        assert.equal(error.code, 'NO_PRIMARY');
        assert.match(error.message, /certificate/);
        return true;
      });
    });

    test('sentinelTls is for the sentinels only: the primary needs its own tls option', async () => {
      // connectTimeout also bounds each sentinel's TLS handshake and answer: room for a loaded box.
      const db = await shared.newSentinel({ resp, tls: undefined, connectTimeout: 1000 }, false);
      await assert.rejects(db.connect(), (error: unknown) => error instanceof ConnectionError);
    });

    test('a node the sentinels name that says it is a replica is refused with WRONG_ROLE', async () => {
      const name = `wrong${resp}`;
      await shared.monitor(name, await replicaServer());
      try {
        // connect() asks until connectTimeout has passed, and that bounds each TLS handshake with a
        // sentinel too: too short, a loaded box fails it as NO_PRIMARY, not WRONG_ROLE.
        const db = await shared.newSentinel({ resp, name, connectTimeout: 1000 }, false);
        await assert.rejects(db.connect(), (error: unknown) => {
          assert.ok(error instanceof SentinelError);
          assert.equal(error.code, 'WRONG_ROLE');
          assert.match(error.message, /says \(ROLE\) it is a slave, not the primary/);
          return true;
        });
      } finally {
        await shared.unmonitor(name);
      }
    });

    test('while the sentinels name a replica, connect() keeps asking them until they name the primary', async () => {
      const name = `retry${resp}`;
      await shared.monitor(name, await replicaServer());
      try {
        const db = await shared.newSentinel({ resp, name, connectTimeout: 8000 }, false);
        const connecting = db.connect();
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(db.status, 'connecting', 'still refusing the replica');
        const primary = await shared.harness.primary();
        await shared.monitor(name, primary);
        await connecting;
        assert.equal(db.primary, `127.0.0.1:${primary.port}`);
        assert.equal(((await db.call('ROLE')) as unknown[])[0], 'master');
        await db.quit();
      } finally {
        await shared.unmonitor(name);
      }
    });

    test('every reconnect asks the sentinels again and checks the role of the node reached', async () => {
      const name = `reconnect${resp}`;
      const primary = await shared.harness.primary();
      await shared.monitor(name, primary);
      try {
        const connectionName = `sentinel-reconnect-${resp}`;
        const db = await shared.newSentinel({ resp, name, connectionName });
        const errors: Error[] = [];
        db.on('error', (error: Error) => errors.push(error));
        await shared.monitor(name, await replicaServer());
        await killConnection(primary, connectionName);
        await eventually('the replica the sentinels now name is refused', () =>
          errors.some((error) => error instanceof SentinelError && error.code === 'WRONG_ROLE'),
        );
        assert.notEqual(db.status, 'ready');
        const pinging = db.ping();
        await shared.monitor(name, primary);
        assert.equal(
          await within(pinging, 10_000, 'the PING queued while the sentinels named a replica'),
          'PONG',
          'a command queued meanwhile runs once the primary is back',
        );
        assert.equal(db.primary, `127.0.0.1:${primary.port}`);
        await db.quit();
      } finally {
        await shared.unmonitor(name);
      }
    });

    test('duplicate() makes an unconnected client for the same primary', async () => {
      const db = await shared.newSentinel({ resp });
      const copy = db.duplicate({ connectionName: `copy-${resp}` });
      assert.equal(copy.status, 'idle');
      await copy.connect();
      assert.equal(copy.primary, db.primary);
      const list = String(await (await shared.direct(await shared.harness.primary())).call('CLIENT', 'LIST'));
      assert.match(list, new RegExp(`name=copy-${resp} `));
      await Promise.all([copy.quit(), db.quit()]);
    });

    test('a function library missing on the primary is loaded when one of its functions is called', async () => {
      const db = await shared.newSentinel({ resp });
      const library = await Library.fromCode(
        db,
        `#!lua name=heal${resp}\nredis.register_function('heal_incr${resp}', function(keys) return redis.call('INCR', keys[1]) end)`,
      );
      const primary = await shared.direct(await shared.harness.primary());
      assert.equal(await primary.functionDelete(`heal${resp}`), 'OK');
      const key = uniqueKey('heal');
      assert.equal(await library.functions.get(`heal_incr${resp}`)!.fcall(db, [key]), 1);
      assert.ok((await primary.functionList()).some((info) => info.libraryName === `heal${resp}`));
      await db.functionDelete(`heal${resp}`);
      await db.quit();
    });

    test('scriptKill() reaches the primary while a script keeps it busy', async () => {
      const db = await shared.newSentinel({ resp });
      const observer = await shared.direct(await shared.harness.primary());
      const busy = db.eval('local i = 0 while true do i = i + 1 end', []);
      busy.catch(() => undefined);
      // Busy once the script has run past busy-reply-threshold: the server answers others BUSY.
      await eventually('the primary runs the script', () =>
        observer.ping().then(
          () => false,
          (error: { code?: string }) => error.code === 'BUSY',
        ),
      );
      assert.equal(await db.scriptKill(), 'OK');
      await assert.rejects(busy, /Script killed by user/);
      assert.equal(await db.ping(), 'PONG');
      await db.quit();
    });

    test('pipelines, transactions and scripts in them run on the primary', async () => {
      const db = await shared.newSentinel({ resp });
      const key = uniqueKey('batch');
      const incrBy = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");
      await db.scriptFlush();
      const pipeline = db.pipeline();
      pipeline.set(key, 1);
      void incrBy.evalshaWithReload(pipeline, [key], [2]);
      pipeline.get(key);
      assert.deepEqual(await pipeline.exec(), ['OK', 3, '3']);
      const multi = db.multi();
      multi.incr(key);
      void incrBy.evalsha(multi, [key], [10]);
      assert.deepEqual(await multi.exec(), [4, 14]);
      // The script is known now: this pipeline goes to the primary as one packed entry.
      const again = db.pipeline();
      void incrBy.evalshaWithReload(again, [key], [1]);
      again.incr(key);
      assert.deepEqual(await again.exec(), [15, 16]);
      assert.equal(await (await shared.direct(await shared.harness.primary())).get(key), '16');
      await db.quit();
    });
  });
}

/** Drops the connection named `connectionName` on `server` (CLIENT KILL ID), as a network fault would. */
async function killConnection(server: RedisServer, connectionName: string): Promise<void> {
  const direct = await shared.direct(server);
  const list = String(await direct.call('CLIENT', 'LIST'));
  const line = list.split('\n').find((entry) => entry.includes(` name=${connectionName} `));
  assert.ok(line, `a connection named ${connectionName} on ${server.port}`);
  const id = /^id=(\d+)/.exec(line)![1];
  assert.equal(await direct.call('CLIENT', 'KILL', 'ID', id), 1);
}

test('a failover is followed over TLS, with both passwords', async () => {
  const db = await shared.newSentinel();
  // Armed before the failover starts, so it bounds Sentinel's own failover too: room for a loaded box.
  const switched = nextFailover(db, 30_000);
  const { from, to } = await shared.harness.failover();
  assert.deepEqual(await switched, { from: `127.0.0.1:${from.port}`, to: `127.0.0.1:${to.port}` });
  assert.equal(((await db.call('ROLE')) as unknown[])[0], 'master');
  await db.quit();
});

test('a lost connection names the primary it was connected to, not the default address', async () => {
  const client = await shared.newSentinel();
  const primary = await shared.harness.primary();
  const lost = new Promise<Error>((resolve) =>
    client.once('reconnecting', ({ error }: { error: Error }) => resolve(error)),
  );
  const id = await client.call('CLIENT', 'ID');
  await (await shared.direct(primary)).call('CLIENT', 'KILL', 'ID', String(id));
  const error = await within(lost, 10_000, "the client's 'reconnecting' event");
  assert.match(error.message, new RegExp(`${primary.host}:${primary.port}\\b`));
  assert.doesNotMatch(error.message, /:6379\b/);
});

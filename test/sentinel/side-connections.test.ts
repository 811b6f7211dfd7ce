import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Client,
  ConnectionError,
  type IsolatedConnection,
  type Sentinel,
  SentinelError,
  type Subscription,
  WatchError,
} from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { findFreePort } from '../../src/testing/ports.js';
import { PROTOCOLS, uniqueKey, within } from '../helpers.js';
import { eventually, useSentinel } from './sentinel-helpers.js';

// What runs beside the shared connection on a Sentinel — the subscriber connection, and the
// dedicated connections of isolated() and blocking commands — must reach the current primary and
// follow it across a failover, as the shared connection does. One deployment for the file; one
// SENTINEL FAILOVER per protocol, shared by the tests that look at what it did.

const shared = useSentinel();

/** `role` and `tcp_port` of the server `conn` runs on, asked of that server. */
async function whereRuns(conn: IsolatedConnection | Client): Promise<{ role: string; port: number }> {
  const role = String(((await conn.call('ROLE')) as unknown[])[0]);
  const info = String(await conn.call('INFO', 'server'));
  return { role, port: Number(/tcp_port:(\d+)/.exec(info)?.[1]) };
}

async function blockedClients(server: RedisServer): Promise<number> {
  const info = String(await (await shared.direct(server)).call('INFO', 'clients'));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
}

async function subscribers(server: RedisServer, channel: string): Promise<number> {
  const reply = (await (await shared.direct(server)).call('PUBSUB', 'NUMSUB', channel)) as unknown[];
  return Number(reply[1]);
}

/** How many times `server` answered ROLE (INFO commandstats): each side connection asks once. */
function roleCalls(server: RedisServer): Promise<number> {
  return shared.callsOn(server, 'role');
}

/** `error` and its causes, outermost first. */
function causesOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let at = error; at !== undefined && chain.length < 10; at = (at as Error).cause) chain.push(at);
  return chain;
}

/** A call that needed a side connection failed before it ran: the node reached said it is a replica. */
async function assertRefusedAsReplica(call: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof ConnectionError, `${what}: ${String(error)}`);
    assert.equal(error.mayHaveRun, false, `${what} did not run`);
    assert.ok(
      causesOf(error).some((cause) => cause instanceof SentinelError && cause.code === 'WRONG_ROLE'),
      `${what}: the cause is WRONG_ROLE (${error.message})`,
    );
    return true;
  });
}

/** Records a subscription's `interrupted` (with the error's code) and `resumed` events. */
function recordEvents(sub: Subscription): string[] {
  const events: string[] = [];
  sub.on('interrupted', (error: ConnectionError) => events.push(`interrupted ${error.code}`));
  sub.on('resumed', () => events.push('resumed'));
  sub.on('end', (error?: Error) => events.push(`end ${error?.message ?? ''}`));
  return events;
}

/** Resolves with the next message `inbox` receives, or rejects after `ms`. */
function nextMessage(inbox: string[][], ms = 3000): Promise<string[]> {
  const seen = inbox.length;
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const poll = () => {
      if (inbox.length > seen) resolve(inbox[seen]);
      else if (Date.now() > deadline) reject(new Error(`no message within ${ms} ms`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: pub/sub, isolated() and blocking commands through a Sentinel`, () => {
    test('subscribe and psubscribe receive what is published on the primary', async () => {
      await shared.harness.waitForAgreement();
      const db = await shared.newSentinel({ resp });
      const channel = uniqueKey(`news${resp}`);
      const inbox: string[][] = [];
      const sub = await db.subscribe(channel, (message, from) => inbox.push([message, from]));
      const psub = await db.psubscribe(`${channel}.*`, (message, from, pattern) =>
        inbox.push([message, from, pattern]),
      );
      assert.equal(sub.status, 'live');
      assert.equal(psub.status, 'live');
      const primary = await shared.harness.primary();
      assert.equal(await subscribers(primary, channel), 1, 'subscribed on the primary');

      // Published by another client straight to the primary, and by the Sentinel client itself.
      const arrived = nextMessage(inbox);
      await (await shared.direct(primary)).call('PUBLISH', channel, 'hello');
      assert.deepEqual(await arrived, ['hello', channel]);
      assert.equal(await db.publish(`${channel}.sport`, 'goal'), 1);
      await eventually('the pattern message arrived', () => inbox.length === 2);
      assert.deepEqual(inbox[1], ['goal', `${channel}.sport`, `${channel}.*`]);

      await sub.unsubscribe();
      assert.equal(await subscribers(primary, channel), 0, 'unsubscribed on the primary');
      await db.quit();
      assert.equal(psub.status, 'ended');
    });

    test('isolated(): WATCH/MULTI/EXEC run on the primary, and a key changed meanwhile gives WatchError', async () => {
      await shared.harness.waitForAgreement();
      const db = await shared.newSentinel({ resp });
      const primary = await shared.harness.primary();
      const key = uniqueKey(`balance${resp}`);
      await db.set(key, 100);
      const applied = await db.isolated(async (conn) => {
        assert.deepEqual(await whereRuns(conn), { role: 'master', port: primary.port });
        await conn.watch(key);
        const balance = Number(await conn.get(key));
        const tx = conn.multi();
        tx.set(key, balance - 10);
        return tx.exec();
      });
      assert.deepEqual(applied, ['OK']);
      assert.equal(await db.get(key), '90');

      await assert.rejects(
        db.isolated(async (conn) => {
          await conn.watch(key);
          // Another caller, on the Sentinel's shared connection, changes the watched key.
          await db.set(key, 0);
          const tx = conn.multi();
          tx.set(key, 1000);
          return tx.exec();
        }),
        WatchError,
      );
      assert.equal(await db.get(key), '0');
      await db.quit();
    });

    test('BLPOP runs on a dedicated connection to the primary and does not hold up other commands', async () => {
      await shared.harness.waitForAgreement();
      const db = await shared.newSentinel({ resp });
      const primary = await shared.harness.primary();
      const queue = uniqueKey(`queue${resp}`);
      const popped = db.blpop(queue, 5);
      await eventually('the BLPOP blocks on the primary', async () => (await blockedClients(primary)) === 1);
      const started = performance.now();
      assert.equal(await db.ping(), 'PONG');
      // Queued behind the BLPOP it would wait out its 5 s; the bound leaves room for a loaded box.
      assert.ok(performance.now() - started < 1000, 'PING was not queued behind the BLPOP');
      await (await shared.direct(primary)).call('RPUSH', queue, 'job');
      assert.deepEqual(await popped, [queue, 'job']);
      await db.quit();
    });

    test('with replicaReads, a blocking XREAD blocks on a dedicated connection to the primary, not on a replica', async () => {
      await shared.harness.waitForAgreement();
      const db = await shared.newSentinel({ resp, replicaReads: true });
      const primary = await shared.harness.primary();
      const replicas = await shared.harness.replicas();
      const stream = uniqueKey(`stream${resp}`);
      const read = db.xread({ [stream]: '$' }, { block: 5000 });
      await eventually('the XREAD blocks on the primary', async () => (await blockedClients(primary)) === 1);
      for (const replica of replicas)
        assert.equal(await blockedClients(replica), 0, `${replica.port} blocked`);
      // The replicas' shared connections still serve reads at once.
      const started = performance.now();
      assert.equal(await db.get(uniqueKey('absent')), null);
      // Behind the XREAD it would wait out its 5 s block; the bound leaves room for a loaded box.
      assert.ok(performance.now() - started < 1000, 'a replica read waited behind the XREAD');
      const id = await (await shared.direct(primary)).call('XADD', stream, '*', 'field', 'value');
      const reply = await read;
      assert.ok(reply !== null, 'the XREAD returned what was added');
      assert.equal(JSON.stringify(reply).includes(String(id)), true, JSON.stringify(reply));
      await db.quit();
    });

    test('keyPrefix prefixes the keys of commands, isolated() sessions and blocking commands', async () => {
      await shared.harness.waitForAgreement();
      const db = await shared.newSentinel({ resp, keyPrefix: 'sp:' });
      const primary = await shared.direct(await shared.harness.primary());
      const key = uniqueKey(`prefixed${resp}`);
      await db.set(key, 'plain');
      assert.equal(await primary.get(`sp:${key}`), 'plain');
      await db.isolated(async (conn) => {
        await conn.watch(key);
        const tx = conn.multi();
        tx.set(key, 'isolated');
        return tx.exec();
      });
      assert.equal(await primary.get(`sp:${key}`), 'isolated');
      await primary.call('RPUSH', `sp:${key}:queue`, 'job');
      assert.deepEqual(await db.blpop(`${key}:queue`, 1), [`sp:${key}:queue`, 'job']);
      assert.equal(await primary.exists(key), 0, 'nothing written without the prefix');
      await db.quit();
    });

    test('a side connection that reaches a replica is refused: nothing runs there until the node is the primary again', async () => {
      // A node of its own, under a name of its own, so that demoting it behind the sentinels' back
      // leaves the deployment alone. The sentinels go on naming it (they read INFO every 10 s and
      // act on a master that says it is a replica only 20 s after that), and the shared connection
      // stays on it: the ROLE check of each side connection is all that keeps them off a replica.
      const name = `demoted${resp}`;
      const node = await startRedis();
      try {
        await shared.monitor(name, node);
        const db = await shared.newSentinel({ resp, name, reconnect: { maxDelay: 100 } });
        assert.equal(db.primary, `127.0.0.1:${node.port}`);
        const direct = await shared.direct(node);
        // A replica of a port nobody listens on: it keeps its data and says `slave` to ROLE.
        await direct.call('REPLICAOF', '127.0.0.1', await findFreePort());
        assert.equal(((await direct.call('ROLE')) as unknown[])[0], 'slave');
        assert.equal(db.status, 'ready', 'the shared connection is still on the demoted node');
        assert.equal(db.primary, `127.0.0.1:${node.port}`, 'and it is still the verified primary');

        // The session's connection is leased on its first command: ROLE is what fails.
        await assertRefusedAsReplica(db.isolated(whereRuns), 'isolated()');
        const queue = uniqueKey(`demoted-queue${resp}`);
        await assertRefusedAsReplica(db.blpop(queue, 1), 'BLPOP');

        const channel = uniqueKey(`demoted-news${resp}`);
        const inbox: string[] = [];
        const roleBefore = await roleCalls(node);
        const subscribing = db.subscribe(channel, (message) => inbox.push(message));
        await eventually(
          'the subscriber connection reached the node twice (or subscribed there)',
          async () => (await roleCalls(node)) >= roleBefore + 2 || (await subscribers(node, channel)) > 0,
        );
        assert.equal(await subscribers(node, channel), 0, 'not subscribed on the replica');
        assert.equal(db.status, 'ready');

        await direct.call('REPLICAOF', 'NO', 'ONE');
        const sub = await within(subscribing, 10_000, 'the subscribe once the node is the primary again');
        assert.equal(sub.status, 'live');
        assert.equal(await subscribers(node, channel), 1, 'subscribed once the node is the primary');
        await direct.call('PUBLISH', channel, 'hello');
        await eventually('the message arrived', () => inbox.length === 1);
        assert.deepEqual(inbox, ['hello']);
        assert.deepEqual(await db.isolated(whereRuns), { role: 'master', port: node.port });
        await direct.call('RPUSH', queue, 'job');
        assert.deepEqual(await db.blpop(queue, 1), [queue, 'job']);
        await db.quit();
      } finally {
        await shared.unmonitor(name);
        await node.stop();
      }
    });

    acrossFailover(resp, 'SENTINEL FAILOVER');
    acrossFailover(resp, 'kill -9');
  });
}

/**
 * One failover of the primary (`SENTINEL FAILOVER`, or `kill -9` and a promotion), shared by the
 * tests that look at what it did to a subscription, the dedicated pool and a blocked BLPOP.
 */
function acrossFailover(resp: 2 | 3, how: 'SENTINEL FAILOVER' | 'kill -9'): void {
  describe(`across a ${how} of the primary`, () => {
    let db: Sentinel;
    let from: RedisServer;
    let to: RedisServer;
    const channel = uniqueKey(`alerts${resp}`);
    const inbox: string[][] = [];
    let channelEvents: string[];
    let patternEvents: string[];
    let inFlight: Promise<unknown>;

    before(async () => {
      await shared.harness.waitForAgreement();
      db = await shared.newSentinel({ resp });
      const sub = await db.subscribe(channel, (message, name) => inbox.push([message, name]));
      const psub = await db.psubscribe(`${channel}.*`, (message, name, pattern) =>
        inbox.push([message, name, pattern]),
      );
      channelEvents = recordEvents(sub);
      patternEvents = recordEvents(psub);
      const old = await shared.harness.primary();
      inFlight = db.blpop(uniqueKey('never-pushed'), 0);
      inFlight.catch(() => undefined);
      await eventually('the BLPOP blocks on the old primary', async () => (await blockedClients(old)) === 1);
      // A second dedicated connection to the old primary, idle in the pool once this returns.
      assert.deepEqual(await db.isolated(whereRuns), { role: 'master', port: old.port });

      if (how === 'SENTINEL FAILOVER') {
        ({ from, to } = await shared.harness.failover());
      } else {
        from = await shared.harness.killPrimary();
        to = await shared.harness.waitForNewPrimary(from);
      }
      assert.equal(from, old);
      await eventually(
        'both subscriptions resumed',
        () => channelEvents.includes('resumed') && patternEvents.includes('resumed'),
      );
    });

    after(async () => {
      db?.disconnect();
      if (how === 'kill -9' && from !== undefined) await shared.harness.revive(from);
    });

    test('the subscriptions report interrupted, then resumed, and receive what the new primary publishes', async () => {
      assert.deepEqual(channelEvents, ['interrupted CONNECTION_LOST', 'resumed']);
      assert.deepEqual(patternEvents, ['interrupted CONNECTION_LOST', 'resumed']);
      assert.equal(await subscribers(to, channel), 1, 'subscribed on the new primary');
      if (how === 'SENTINEL FAILOVER') {
        assert.equal(await subscribers(from, channel), 0, 'no longer subscribed on the demoted one');
      }
      const newPrimary = await shared.direct(to);
      assert.equal(await newPrimary.call('PUBLISH', channel, 'after'), 1);
      assert.equal(await newPrimary.call('PUBLISH', `${channel}.fire`, 'after too'), 1);
      await eventually('both messages arrived', () => inbox.length >= 2);
      assert.deepEqual(inbox, [
        ['after', channel],
        ['after too', `${channel}.fire`, `${channel}.*`],
      ]);
    });

    test('isolated() runs on the new primary: the pooled connection to the old one is never handed out', async () => {
      const key = uniqueKey(`after-failover${resp}`);
      for (let round = 0; round < 3; round++) {
        const result = await db.isolated(async (conn) => {
          const where = await whereRuns(conn);
          await conn.watch(key);
          const tx = conn.multi();
          tx.incr(key);
          return { where, exec: await tx.exec() };
        });
        assert.deepEqual(result, { where: { role: 'master', port: to.port }, exec: [round + 1] });
      }
      assert.equal(await (await shared.direct(to)).get(key), '3');
    });

    test('a BLPOP blocked on the old primary fails as may-have-run; a new one blocks on the new primary', async () => {
      // BLPOP 0 never answers by itself: were it left blocked, this would wait for ever.
      const error = await within(
        inFlight.then(
          () => assert.fail('the BLPOP on the old primary answered'),
          (reason: unknown) => reason,
        ),
        10_000,
        'the BLPOP blocked on the old primary to fail',
      );
      assert.ok(error instanceof ConnectionError, String(error));
      assert.equal(error.code, 'CONNECTION_LOST');
      assert.equal(error.mayHaveRun, true);
      if (how === 'SENTINEL FAILOVER') {
        assert.equal(await blockedClients(from), 0, 'nothing left blocked on the demoted primary');
      }
      const queue = uniqueKey(`queue-after${resp}`);
      const popped = db.blpop(queue, 5);
      await eventually('the BLPOP blocks on the new primary', async () => (await blockedClients(to)) === 1);
      await (await shared.direct(to)).call('RPUSH', queue, 'job');
      assert.deepEqual(await popped, [queue, 'job']);
    });
  });
}

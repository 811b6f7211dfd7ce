import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError, Client, ConnectionError, ReplyError, type Subscription } from '../../src/index.js';
import { startRedis } from '../../src/testing/index.js';
import { eventually, forEachProtocol, PROTOCOLS, sleep, uniqueKey, waitUntil, within } from '../helpers.js';

/** How many subscribers the server has for `channel`, asked on a connection of its own. */
async function numsub(client: Client, channel: string): Promise<number> {
  const reply = (await client.call('PUBSUB', 'NUMSUB', channel)) as unknown[];
  return Number(reply[1]);
}

/** Messages received by a listener, as `[channel, message]` (and the pattern for psubscribe). */
function recorder<M>() {
  const got: M[][] = [];
  return { got, listener: (...args: M[]) => got.push(args.filter((arg) => arg !== undefined)) };
}

forEachProtocol((redis) => {
  describe('subscribe, psubscribe, ssubscribe', () => {
    test('subscribe delivers each message published to its channels, with the channel', async () => {
      const [a, b] = [uniqueKey('ch'), uniqueKey('ch')];
      const { got, listener } = recorder<string>();
      const sub = await redis.client.subscribe([a, b], listener);
      assert.equal(sub.status, 'live');
      assert.equal(await redis.client.publish(a, 'one'), 1);
      assert.equal(await redis.client.publish(b, 'two'), 1);
      await waitUntil(() => got.length === 2);
      assert.deepEqual(got, [
        ['one', a],
        ['two', b],
      ]);
      await sub.unsubscribe();
    });

    test('psubscribe delivers messages of matching channels with the channel and the pattern', async () => {
      const prefix = uniqueKey('news');
      const { got, listener } = recorder<string>();
      const sub = await redis.client.psubscribe(`${prefix}.*`, listener);
      assert.equal(await redis.client.publish(`${prefix}.sport`, 'goal'), 1);
      assert.equal(await redis.client.publish(`${prefix}-other`, 'not matched'), 0);
      await waitUntil(() => got.length === 1);
      await sleep(20);
      assert.deepEqual(got, [['goal', `${prefix}.sport`, `${prefix}.*`]]);
      await sub.unsubscribe();
    });

    test('ssubscribe on a standalone server receives what spublish sends', async () => {
      const channel = uniqueKey('shard');
      const { got, listener } = recorder<string>();
      const sub = await redis.client.ssubscribe(channel, listener);
      assert.equal(await redis.client.spublish(channel, 'sharded'), 1);
      await waitUntil(() => got.length === 1);
      assert.deepEqual(got, [['sharded', channel]]);
      await sub.unsubscribe();
    });

    test('subscriptions to one channel share one server subscription; unsubscribe ends only its own', async () => {
      const channel = uniqueKey('shared');
      const first = recorder<string>();
      const second = recorder<string>();
      const [one, two] = await Promise.all([
        redis.client.subscribe(channel, first.listener),
        redis.client.subscribe(channel, second.listener),
      ]);
      assert.equal(await numsub(redis.client, channel), 1, 'one SUBSCRIBE for both');
      assert.equal(await redis.client.publish(channel, 'a'), 1);
      await waitUntil(() => first.got.length === 1 && second.got.length === 1);

      await one.unsubscribe();
      assert.equal(one.status, 'ended');
      assert.equal(two.status, 'live');
      assert.equal(await numsub(redis.client, channel), 1, 'the other subscription still holds it');
      assert.equal(await redis.client.publish(channel, 'b'), 1);
      await waitUntil(() => second.got.length === 2);
      assert.equal(first.got.length, 1, 'the ended subscription hears nothing more');

      await two.unsubscribe();
      assert.equal(await numsub(redis.client, channel), 0, 'unsubscribed on the server once nobody listens');
      assert.equal(await redis.client.publish(channel, 'c'), 0);
    });

    test('a channel let go of and taken back in the same turn keeps receiving', async () => {
      const channel = uniqueKey('flip');
      const old = await redis.client.subscribe(channel, () => undefined);
      const { got, listener } = recorder<string>();
      const [, again] = await Promise.all([old.unsubscribe(), redis.client.subscribe(channel, listener)]);
      assert.equal(again.status, 'live');
      assert.equal(await numsub(redis.client, channel), 1);
      assert.equal(await redis.client.publish(channel, 'still here'), 1);
      await waitUntil(() => got.length === 1);
      await again.unsubscribe();
    });

    test('withOptions({ buffers: true }) delivers the bytes as sent, binary channel names included', async () => {
      const channel = Buffer.concat([Buffer.from(uniqueKey('bin')), Buffer.from([0xff, 0x00, 0xc3])]);
      const payload = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
      const got: Buffer[][] = [];
      const sub = await redis.client
        .withOptions({ buffers: true })
        .subscribe(channel, (message, from) => got.push([message, from]));
      assert.equal(await redis.client.publish(channel, payload), 1);
      await waitUntil(() => got.length === 1);
      assert.ok(Buffer.isBuffer(got[0][0]) && Buffer.isBuffer(got[0][1]));
      assert.deepEqual(got[0][0], payload);
      assert.deepEqual(got[0][1], channel);
      await sub.unsubscribe();
    });

    test('a text and a Buffer subscription on one channel each get their own form', async () => {
      const channel = uniqueKey('mixed');
      const text = recorder<string>();
      const bytes: Buffer[] = [];
      const one = await redis.client.subscribe(channel, text.listener);
      const two = await redis.client
        .withOptions({ buffers: true })
        .subscribe(channel, (message) => bytes.push(message));
      await redis.client.publish(channel, 'héllo');
      await waitUntil(() => text.got.length === 1 && bytes.length === 1);
      assert.deepEqual(text.got[0], ['héllo', channel]);
      assert.deepEqual(bytes[0], Buffer.from('héllo'));
      await Promise.all([one.unsubscribe(), two.unsubscribe()]);
    });

    test('subscriptions use a connection of their own: the client keeps answering commands', async () => {
      const channel = uniqueKey('own');
      const sub = await redis.client.subscribe(channel, () => undefined);
      const key = uniqueKey('k');
      assert.equal(await redis.client.set(key, 'v'), 'OK');
      assert.equal(await redis.client.get(key), 'v');
      const subscribers = (await redis.client.clientList({ type: 'pubsub' })).trim().split('\n');
      assert.ok(
        subscribers.length >= 1 && subscribers[0].includes('sub='),
        'the server sees a subscriber connection',
      );
      const shared = String(await redis.client.call('CLIENT', 'INFO'));
      assert.match(shared, / flags=N /, 'the shared connection is an ordinary one');
      assert.match(shared, / sub=0 psub=0 /);
      await sub.unsubscribe();
    });

    test('a listener that throws is reported on its subscription; the others keep receiving', async () => {
      const channel = uniqueKey('throw');
      const boom = new Error('listener bug');
      const failing = await redis.client.subscribe(channel, () => {
        throw boom;
      });
      const reported: unknown[] = [];
      failing.on('error', (error) => reported.push(error));
      const { got, listener } = recorder<string>();
      const healthy = await redis.client.subscribe(channel, listener);
      await redis.client.publish(channel, 'one');
      await redis.client.publish(channel, 'two');
      await waitUntil(() => got.length === 2 && reported.length === 2);
      assert.deepEqual(reported, [boom, boom]);
      assert.equal(failing.status, 'live');
      await Promise.all([failing.unsubscribe(), healthy.unsubscribe()]);
    });

    test('bad channel names or listeners are refused with an ArgumentError naming the problem', async () => {
      await assert.rejects(
        redis.client.subscribe([], () => undefined),
        (error: unknown) => {
          assert.ok(error instanceof ArgumentError);
          assert.match(error.message, /subscribe: expected a channel name or a non-empty array/);
          return true;
        },
      );
      await assert.rejects(
        redis.client.psubscribe(['ok', 42 as unknown as string], () => undefined),
        /psubscribe: pattern 1 must be a string or a Buffer, got number/,
      );
      await assert.rejects(
        redis.client.ssubscribe('x', undefined as unknown as () => void),
        /ssubscribe: the listener must be a function/,
      );
    });

    test('a subscription the server refuses (ACL) rejects with its ReplyError; others still work', async () => {
      const user = uniqueKey('user').replace(/:/g, '_');
      await redis.client.call(
        'ACL',
        'SETUSER',
        user,
        'on',
        '>pw',
        'resetchannels',
        '&allowed:*',
        '+@all',
        '~*',
      );
      const limited = await redis.newClient({ username: user, password: 'pw' });
      await assert.rejects(
        limited.subscribe('forbidden', () => undefined),
        (error: unknown) => {
          assert.ok(error instanceof ReplyError);
          assert.equal(error.code, 'NOPERM');
          return true;
        },
      );
      const { got, listener } = recorder<string>();
      const sub = await limited.subscribe('allowed:1', listener);
      await redis.client.publish('allowed:1', 'yes');
      await waitUntil(() => got.length === 1);
      await sub.unsubscribe();
      await redis.client.call('ACL', 'DELUSER', user);
    });
  });

  describe('interruptions', () => {
    test('a killed subscriber connection is reported interrupted, restored for every kind, then resumed', async () => {
      const client = await redis.newClient({ reconnect: { initialDelay: 10, maxDelay: 50 } });
      const [channel, prefix, shard] = [uniqueKey('c'), uniqueKey('p'), uniqueKey('s')];
      const got: string[] = [];
      const subs: Subscription[] = [
        await client.subscribe(channel, (message) => got.push(`c:${message}`)),
        await client.psubscribe(`${prefix}*`, (message) => got.push(`p:${message}`)),
        await client.ssubscribe(shard, (message) => got.push(`s:${message}`)),
      ];
      const events: string[] = [];
      for (const sub of subs) {
        sub.on('interrupted', (error: ConnectionError) =>
          events.push(`${sub.kind} interrupted ${error.code}`),
        );
        sub.on('resumed', () => events.push(`${sub.kind} resumed`));
      }
      await redis.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitUntil(
        () => subs.every((sub) => sub.status === 'live') && events.length === 6,
        5000,
        'resumed',
      );
      assert.deepEqual(events.slice(0, 3).sort(), [
        'channel interrupted CONNECTION_LOST',
        'pattern interrupted CONNECTION_LOST',
        'shard interrupted CONNECTION_LOST',
      ]);
      assert.deepEqual(events.slice(3).sort(), ['channel resumed', 'pattern resumed', 'shard resumed']);
      assert.deepEqual(
        subs.map((sub) => sub.interruptions),
        [1, 1, 1],
      );
      assert.equal(await client.publish(channel, '1'), 1);
      assert.equal(await client.publish(`${prefix}x`, '2'), 1);
      assert.equal(await client.spublish(shard, '3'), 1);
      await waitUntil(() => got.length === 3);
      assert.deepEqual(got.sort(), ['c:1', 'p:2', 's:3']);
      await client.quit();
    });

    test('a subscription the server refuses to restore ends with the reason, never silently', async () => {
      const user = uniqueKey('user').replace(/:/g, '_');
      await redis.client.call('ACL', 'SETUSER', user, 'on', '>pw', 'resetchannels', '&room:*', '+@all', '~*');
      const client = await redis.newClient({
        username: user,
        password: 'pw',
        reconnect: { initialDelay: 10 },
      });
      const sub = await client.subscribe('room:1', () => undefined);
      const interrupted = new Promise((resolve) => sub.once('interrupted', resolve));
      const ended = new Promise<unknown>((resolve) => sub.once('end', resolve));
      // Taking the channel away disconnects the subscriber (Redis 7); the resubscribe is refused.
      await redis.client.call('ACL', 'SETUSER', user, 'resetchannels', '&other:*');
      await within(interrupted, 10_000, "the subscription's 'interrupted'");
      const reason = await within(ended, 10_000, "the subscription's 'end'");
      assert.ok(reason instanceof ReplyError, `ended with ${String(reason)}`);
      assert.equal(reason.code, 'NOPERM');
      assert.equal(sub.status, 'ended');
      await client.quit();
      await redis.client.call('ACL', 'DELUSER', user);
    });
  });

  describe('the client life cycle', () => {
    test('withOptions({ timeout }) bounds how long a subscribe waits for the server', async () => {
      const server = await startRedis();
      const client = new Client({ url: server.url, resp: redis.resp, reconnect: { initialDelay: 20 } });
      client.on('error', () => undefined);
      await client.connect();
      try {
        await server.kill('SIGKILL');
        const started = performance.now();
        await assert.rejects(
          client.withOptions({ timeout: 150 }).subscribe('down', () => undefined),
          (error: unknown) => error instanceof Error && 'code' in error && error.code === 'TIMEOUT',
        );
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 140 && elapsed < 1000, `gave up after ${elapsed.toFixed(0)} ms`);
      } finally {
        client.disconnect();
        await server.stop();
      }
    });

    test('subscribe before connect() is refused: NOT_CONNECTED', async () => {
      const client = new Client({ url: redis.server.url, resp: redis.resp });
      await assert.rejects(
        client.subscribe('x', () => undefined),
        (error: unknown) => {
          assert.ok(error instanceof ConnectionError);
          assert.equal(error.code, 'NOT_CONNECTED');
          return true;
        },
      );
    });

    test('quit() ends every subscription with `end` and no error; later subscribes are refused', async () => {
      const client = await redis.newClient();
      const channel = uniqueKey('bye');
      const sub = await client.subscribe(channel, () => undefined);
      const ended = new Promise<unknown[]>((resolve) => sub.once('end', (...args) => resolve(args)));
      await client.quit();
      assert.deepEqual(await within(ended, 10_000, "the subscription's 'end'"), [undefined]);
      assert.equal(sub.status, 'ended');
      // The server drops the subscription when it has read the close, on its own time.
      assert.ok(
        await eventually(async () => (await numsub(redis.client, channel)) === 0),
        'the server still counts a subscriber after quit()',
      );
      await assert.rejects(
        client.subscribe(channel, () => undefined),
        { code: 'CONNECTION_CLOSED' },
      );
    });
  });
});

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: kill -9 and restart of the server`, () => {
    test('every message is delivered, or published while its subscription was reported interrupted', async () => {
      const server = await startRedis();
      const client = new Client({ url: server.url, resp, reconnect: { initialDelay: 20, maxDelay: 100 } });
      await client.connect();
      let running = true;
      try {
        const channel = 'events';
        const received: number[] = [];
        const sub = await client.subscribe(channel, (message) => received.push(Number(message)));
        let interruptedAt = Number.POSITIVE_INFINITY;
        let resumedAt = Number.POSITIVE_INFINITY;
        /** The last message delivered before the interruption was reported. */
        let lastBefore = 0;
        sub.on('interrupted', () => {
          interruptedAt = Math.min(interruptedAt, performance.now());
          lastBefore = received.at(-1) ?? 0;
        });
        sub.on('resumed', () => {
          resumedAt = performance.now();
        });

        // One publisher on the same client, every few ms, through the kill and the restart.
        const acked = new Map<number, { sentAt: number; receivers: number }>();
        let seq = 0;
        const publishing = (async () => {
          while (running) {
            const n = ++seq;
            const sentAt = performance.now();
            client.publish(channel, String(n)).then(
              (receivers) => acked.set(n, { sentAt, receivers }),
              () => undefined, // lost with the connection: it may or may not have run
            );
            await sleep(3);
          }
        })();

        // 200 ms of traffic, and more than 20 messages heard, however slowly a loaded box publishes.
        await sleep(200);
        await waitUntil(() => received.length > 20, 10_000, 'traffic before the kill');
        await server.kill('SIGKILL');
        await sleep(300);
        await server.restart();
        await waitUntil(() => sub.status === 'live', 10_000, 'the subscription to resume');
        // The same after the resume: 300 ms, and more than 20 publishes acknowledged.
        const settledAt = performance.now();
        await waitUntil(
          () =>
            performance.now() - settledAt > 300 &&
            [...acked.values()].filter(({ sentAt }) => sentAt > resumedAt).length > 20,
          10_000,
          'traffic after the resume',
        );
        running = false;
        await publishing;
        await sleep(100);

        assert.equal(sub.interruptions, 1, 'the interruption was reported');
        assert.ok(interruptedAt < resumedAt, 'interrupted, then resumed');
        const got = new Set(received);
        assert.equal(got.size, received.length, 'no message delivered twice');
        assert.deepEqual(
          received,
          [...received].sort((a, b) => a - b),
          'delivered in the order published',
        );
        // A message is delivered, or it falls in the reported interruption: after the last message
        // delivered before `interrupted`, and published before `resumed`. (The server may die
        // between answering the publisher and writing to the subscriber: that message is lost, and
        // its subscription said so.)
        let delivered = 0;
        let lost = 0;
        let unheard = 0;
        for (const [n, { sentAt, receivers }] of acked) {
          if (got.has(n)) {
            delivered++;
            continue;
          }
          const inWindow = n > lastBefore && sentAt < resumedAt;
          assert.ok(
            inWindow,
            `message ${n} (${receivers} receivers, sent ${(sentAt - interruptedAt).toFixed(1)} ms after the interruption, resumed at ${(resumedAt - interruptedAt).toFixed(1)} ms) was lost outside the reported interruption`,
          );
          if (receivers > 0) lost++;
          else unheard++;
        }
        for (const n of received) assert.ok(n <= seq, `message ${n} was never published`);
        const afterResume = [...acked].filter(([, { sentAt }]) => sentAt > resumedAt).length;
        assert.ok(
          lastBefore > 20 && afterResume > 20,
          `traffic on both sides (${lastBefore} before, ${afterResume} after)`,
        );
        console.log(
          `RESP${resp}: ${delivered} delivered, ${unheard} published while nobody was subscribed, ${lost} lost in the kill, all inside the reported interruption`,
        );
      } finally {
        // Also when a wait above failed: the publisher would otherwise loop on for ever.
        running = false;
        client.disconnect();
        await server.stop();
      }
    });
  });
}

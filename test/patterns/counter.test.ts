import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError } from '../../src/index.js';
import { ExpiringCounter } from '../../src/patterns/index.js';
import { forEachProtocol, sleep, uniqueKey, useServer } from '../helpers.js';
import { counterKillProperties } from './kill-harness.js';

forEachProtocol((context) => {
  test('the first increment sets the expiry; later ones keep it', async () => {
    const counter = new ExpiringCounter({ ttl: 5000 });
    const name = uniqueKey('counter');
    assert.deepEqual(await counter.incr(context.client, name), { value: 1, ttl: 5000 });
    await sleep(20);
    const second = await counter.incr(context.client, name, 4);
    assert.equal(second.value, 5);
    assert.ok(second.ttl < 5000 && second.ttl > 4000, `ttl ${second.ttl}`);
    const read = await counter.get(context.client, name);
    assert.equal(read.value, 5);
    assert.ok(read.ttl <= second.ttl && read.ttl > 4000);
  });

  test('refresh restarts the expiry on every increment', async () => {
    const counter = new ExpiringCounter({ ttl: 5000, refresh: true });
    const name = uniqueKey('counter');
    await counter.incr(context.client, name);
    await sleep(20);
    assert.deepEqual(await counter.incr(context.client, name), { value: 2, ttl: 5000 });
  });

  test('the counter is gone after its ttl, and starts again from the next increment', async () => {
    const counter = new ExpiringCounter({ ttl: 50 });
    const name = uniqueKey('counter');
    await counter.incr(context.client, name, 3);
    await sleep(80);
    assert.deepEqual(await counter.get(context.client, name), { value: 0, ttl: 0 });
    assert.deepEqual(await counter.incr(context.client, name), { value: 1, ttl: 50 });
  });

  test('a key that exists without an expiry gets one on its next increment', async () => {
    const counter = new ExpiringCounter({ ttl: 5000 });
    const name = uniqueKey('counter');
    await context.client.set(counter.key(name), 10);
    assert.deepEqual(await counter.incr(context.client, name), { value: 11, ttl: 5000 });
  });

  test('increments run from a transaction, atomically with other commands', async () => {
    const counter = new ExpiringCounter({ ttl: 5000 });
    const name = uniqueKey('counter');
    const tx = context.client.multi();
    const first = counter.incr(tx, name);
    const second = counter.incr(tx, name, 2);
    await tx.exec();
    assert.deepEqual(
      [await first, await second].map((v) => v.value),
      [1, 3],
    );
    assert.equal(await counter.reset(context.client, name), true);
    assert.equal(await counter.reset(context.client, name), false);
  });

  test('bad arguments are refused with ArgumentError', async () => {
    assert.throws(() => new ExpiringCounter({ ttl: 0 }), /ttl \(ms\) must be an integer/);
    assert.throws(
      () => new ExpiringCounter({ ttl: 10, refresh: 'yes' as never }),
      /refresh must be a boolean/,
    );
    const counter = new ExpiringCounter({ ttl: 10 });
    await assert.rejects(counter.incr(context.client, 'x', 0.5), /by must be an integer/);
    await assert.rejects(counter.incr(context.client, ''), ArgumentError);
  });
});

describe('callers killed between calls (both protocols)', () => {
  const context = useServer();
  counterKillProperties({
    get target() {
      return context.client;
    },
    get connectTo() {
      return { url: context.server.url };
    },
    keysMatching: (pattern) => context.client.keys(pattern),
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplyError } from '../../../src/index.js';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** The string commands, on `target`. */
export function stringTests(target: Target): void {
  test('get returns the value, or null for a missing key', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.set(key, 'héllo'), 'OK');
    assert.equal(await target.client.get(key), 'héllo');
    assert.equal(await target.client.get(target.uniqueKey('missing')), null);
  });

  test('set NX and XX resolve null when the condition is not met', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.set(key, 'first', { condition: 'XX' }), null);
    assert.equal(await target.client.set(key, 'first', { condition: 'NX' }), 'OK');
    assert.equal(await target.client.set(key, 'second', { condition: 'NX' }), null);
    assert.equal(await target.client.set(key, 'second', { condition: 'XX' }), 'OK');
    assert.equal(await target.client.get(key), 'second');
    await assert.rejects(
      target.client.set(key, 'v', { condition: 'YES' as never }),
      argumentError(/^SET: condition/),
    );
  });

  test('set with get resolves the previous value', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.set(key, 'one', { get: true }), null);
    assert.equal(await target.client.set(key, 'two', { get: true }), 'one');
    assert.equal(await target.client.get(key), 'two');
  });

  test('set expiry options EX, PX, EXAT, PXAT and KEEPTTL', async () => {
    const key = target.uniqueKey();
    await target.client.set(key, 'v', { ex: 100 });
    assert.ok((await target.client.ttl(key)) >= 99);
    await target.client.set(key, 'v', { px: 5000 });
    const pttl = await target.client.pttl(key);
    assert.ok(pttl > 4000 && pttl <= 5000, `pttl ${pttl}`);
    await target.client.set(key, 'kept', { keepTtl: true });
    assert.ok((await target.client.pttl(key)) > 4000);
    const at = Math.floor(Date.now() / 1000) + 1000;
    await target.client.set(key, 'v', { exat: at });
    assert.equal(await target.client.expiretime(key), at);
    await target.client.set(key, 'v', { pxat: at * 1000 + 7 });
    assert.equal(await target.client.pexpiretime(key), at * 1000 + 7);
    await target.client.set(key, 'v');
    assert.equal(await target.client.ttl(key), -1);
  });

  test('setnx sets only once; getset and getdel return the old value', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.setnx(key, 'a'), true);
    assert.equal(await target.client.setnx(key, 'b'), false);
    assert.equal(await target.client.getset(key, 'c'), 'a');
    assert.equal(await target.client.getdel(key), 'c');
    assert.equal(await target.client.getdel(key), null);
    assert.equal(await target.client.getset(key, 'd'), null);
  });

  test('mset and mget work on keys of one slot, nulls for missing ones', async () => {
    const [a, b, missing] = target.sameSlot(3);
    assert.equal(await target.client.mset({ [a]: '1', [b]: 2 }), 'OK');
    assert.deepEqual(await target.client.mget(a, missing, b), ['1', null, '2']);
    assert.equal(
      await target.client.mset([
        [a, 'x'],
        [b, 'y'],
      ]),
      'OK',
    );
    assert.deepEqual(await target.client.mget(a, b), ['x', 'y']);
    await assert.rejects(target.client.mset({}), argumentError(/^MSET: needs at least one/));
  });

  test('incr, incrby, decr and decrby return integers, bigints beyond the safe range', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.incr(key), 1);
    assert.equal(await target.client.incrby(key, 10), 11);
    assert.equal(await target.client.decr(key), 10);
    assert.equal(await target.client.decrby(key, 15), -5);
    await target.client.set(key, '9007199254740992');
    assert.equal(await target.client.incr(key), 9007199254740993n);
    assert.equal(await target.client.incrby(key, 2n), 9007199254740995n);
    await target.client.set(key, 'text');
    await assert.rejects(target.client.incr(key), (error: unknown) => {
      assert.ok(error instanceof ReplyError, String(error));
      assert.equal(error.code, 'ERR');
      return true;
    });
  });

  test('incrbyfloat returns the new value as a number', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.incrbyfloat(key, 1.5), 1.5);
    assert.equal(await target.client.incrbyfloat(key, -0.25), 1.25);
  });

  test('append, strlen, getrange and setrange edit a string in place', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.append(key, 'Hello'), 5);
    assert.equal(await target.client.append(key, ' World'), 11);
    assert.equal(await target.client.strlen(key), 11);
    assert.equal(await target.client.getrange(key, 0, 4), 'Hello');
    assert.equal(await target.client.getrange(key, -5, -1), 'World');
    assert.equal(await target.client.setrange(key, 6, 'Redis'), 11);
    assert.equal(await target.client.get(key), 'Hello Redis');
    assert.equal(await target.client.strlen(target.uniqueKey('missing')), 0);
    assert.equal(await target.client.getrange(target.uniqueKey('missing'), 0, -1), '');
  });

  test('get on a buffers view returns the exact bytes', async () => {
    const key = target.uniqueKey();
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80]);
    await target.client.set(key, bytes);
    const value = await target.client.withOptions({ buffers: true }).get(key);
    assert.ok(Buffer.isBuffer(value));
    assert.ok(value.equals(bytes));
  });
}

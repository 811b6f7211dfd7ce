import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep } from '../../helpers.js';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** The list commands, blocking pops included, on `target`. */
export function listTests(target: Target): void {
  test('lpush and rpush return the new length; lrange reads the list in order', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.rpush(key, 'b', 'c'), 2);
    assert.equal(await target.client.lpush(key, 'a', 'z'), 4);
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['z', 'a', 'b', 'c']);
    assert.deepEqual(await target.client.lrange(key, 1, 2), ['a', 'b']);
    assert.deepEqual(await target.client.lrange(target.uniqueKey('missing'), 0, -1), []);
  });

  test('lpushx and rpushx push only onto an existing list', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.lpushx(key, 'a'), 0);
    assert.equal(await target.client.rpushx(key, 'a'), 0);
    assert.equal(await target.client.exists(key), 0);
    await target.client.rpush(key, 'm');
    assert.equal(await target.client.lpushx(key, 'l'), 2);
    assert.equal(await target.client.rpushx(key, 'r1', 'r2'), 4);
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['l', 'm', 'r1', 'r2']);
  });

  test('lpop and rpop return one element, or null for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'b', 'c');
    assert.equal(await target.client.lpop(key), 'a');
    assert.equal(await target.client.rpop(key), 'c');
    assert.equal(await target.client.lpop(target.uniqueKey('missing')), null);
    assert.equal(await target.client.rpop(target.uniqueKey('missing')), null);
  });

  test('lpopCount and rpopCount return arrays, or null for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'b', 'c', 'd', 'e');
    assert.deepEqual(await target.client.lpopCount(key, 2), ['a', 'b']);
    assert.deepEqual(await target.client.rpopCount(key, 2), ['e', 'd']);
    assert.deepEqual(await target.client.lpopCount(key, 10), ['c']);
    assert.equal(await target.client.lpopCount(key, 2), null);
    assert.equal(await target.client.rpopCount(target.uniqueKey('missing'), 2), null);
    await assert.rejects(target.client.lpopCount(key, -1), argumentError(/^LPOP: count/));
    await assert.rejects(target.client.rpopCount(key, 0.5), argumentError(/^RPOP: count/));
  });

  test('llen, lindex and lset read and write by position', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'b', 'c');
    assert.equal(await target.client.llen(key), 3);
    assert.equal(await target.client.llen(target.uniqueKey('missing')), 0);
    assert.equal(await target.client.lindex(key, -1), 'c');
    assert.equal(await target.client.lindex(key, 5), null);
    assert.equal(await target.client.lset(key, 1, 'B'), 'OK');
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['a', 'B', 'c']);
  });

  test('linsert inserts around a pivot; -1 without the pivot, 0 without the key', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'c');
    assert.equal(await target.client.linsert(key, 'BEFORE', 'c', 'b'), 3);
    assert.equal(await target.client.linsert(key, 'AFTER', 'c', 'd'), 4);
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['a', 'b', 'c', 'd']);
    assert.equal(await target.client.linsert(key, 'AFTER', 'zz', 'x'), -1);
    assert.equal(await target.client.linsert(target.uniqueKey('missing'), 'AFTER', 'a', 'x'), 0);
    await assert.rejects(
      target.client.linsert(key, 'UNDER' as never, 'a', 'x'),
      argumentError(/^LINSERT: position/),
    );
  });

  test('lrem removes from the head, the tail or everywhere', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'x', 'a', 'x', 'b', 'x', 'x');
    assert.equal(await target.client.lrem(key, 1, 'x'), 1);
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['a', 'x', 'b', 'x', 'x']);
    assert.equal(await target.client.lrem(key, -2, 'x'), 2);
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['a', 'x', 'b']);
    assert.equal(await target.client.lrem(key, 0, 'x'), 1);
    assert.equal(await target.client.lrem(key, 0, 'nothing'), 0);
  });

  test('ltrim keeps a range', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'b', 'c', 'd');
    assert.equal(await target.client.ltrim(key, 1, -2), 'OK');
    assert.deepEqual(await target.client.lrange(key, 0, -1), ['b', 'c']);
  });

  test('lpos finds an index, honouring rank and maxlen, or returns null', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'b', 'c', 'b', 'd', 'b');
    assert.equal(await target.client.lpos(key, 'b'), 1);
    assert.equal(await target.client.lpos(key, 'b', { rank: 2 }), 3);
    assert.equal(await target.client.lpos(key, 'b', { rank: -1 }), 5);
    assert.equal(await target.client.lpos(key, 'd', { maxlen: 3 }), null);
    assert.equal(await target.client.lpos(key, 'zz'), null);
    assert.equal(await target.client.lpos(target.uniqueKey('missing'), 'a'), null);
  });

  test('lposCount returns every matching index up to count', async () => {
    const key = target.uniqueKey();
    await target.client.rpush(key, 'a', 'b', 'c', 'b', 'd', 'b');
    assert.deepEqual(await target.client.lposCount(key, 'b', 2), [1, 3]);
    assert.deepEqual(await target.client.lposCount(key, 'b', 0), [1, 3, 5]);
    assert.deepEqual(await target.client.lposCount(key, 'b', 0, { rank: -1, maxlen: 3 }), [5, 3]);
    assert.deepEqual(await target.client.lposCount(key, 'zz', 0), []);
  });

  test('lpos refuses rank 0 and negative counts or maxlen', async () => {
    await assert.rejects(target.client.lpos('k', 'a', { rank: 0 }), argumentError(/^LPOS: rank/));
    await assert.rejects(target.client.lpos('k', 'a', { maxlen: -1 }), argumentError(/^LPOS: maxlen/));
    await assert.rejects(target.client.lposCount('k', 'a', -1), argumentError(/^LPOS: count/));
  });

  test('lmove moves an element between ends of two lists', async () => {
    const [source, destination, missing] = target.sameSlot(3);
    await target.client.rpush(source, 'a', 'b', 'c');
    await target.client.rpush(destination, 'x');
    assert.equal(await target.client.lmove(source, destination, 'RIGHT', 'LEFT'), 'c');
    assert.equal(await target.client.lmove(source, destination, 'LEFT', 'RIGHT'), 'a');
    assert.deepEqual(await target.client.lrange(destination, 0, -1), ['c', 'x', 'a']);
    assert.equal(await target.client.lmove(missing, destination, 'LEFT', 'LEFT'), null);
    await assert.rejects(
      target.client.lmove(source, destination, 'UP' as never, 'LEFT'),
      argumentError(/^LMOVE: from must be/),
    );
  });

  test('lmpop pops from the first non-empty list as { key, elements }', async () => {
    const [empty, full] = target.sameSlot(2);
    await target.client.rpush(full, 'a', 'b', 'c');
    assert.deepEqual(await target.client.lmpop([empty, full], 'LEFT'), { key: full, elements: ['a'] });
    assert.deepEqual(await target.client.lmpop([empty, full], 'RIGHT', 5), {
      key: full,
      elements: ['c', 'b'],
    });
    assert.equal(await target.client.lmpop([empty, full], 'LEFT'), null);
    await assert.rejects(target.client.lmpop([], 'LEFT'), argumentError(/^LMPOP: needs at least one key/));
    await assert.rejects(target.client.lmpop([full], 'LEFT', 0), argumentError(/^LMPOP: count/));
  });

  test('blpop and brpop return [key, element] at once when a list has one', async () => {
    const [first, second] = target.sameSlot(2);
    await target.client.rpush(second, 'a', 'b');
    const blocking = await target.newClient();
    assert.deepEqual(await blocking.blpop([first, second], 1), [second, 'a']);
    assert.deepEqual(await blocking.brpop(second, 1), [second, 'b']);
  });

  test('blpop waits for a push from another client', async () => {
    const key = target.uniqueKey();
    const blocking = await target.newClient();
    const popped = blocking.blpop(key, 5);
    await sleep(50);
    await target.client.rpush(key, 'late');
    assert.deepEqual(await popped, [key, 'late']);
  });

  test('blpop and brpop resolve null when the timeout passes', async () => {
    const blocking = await target.newClient();
    assert.equal(await blocking.blpop(target.uniqueKey('missing'), 0.05), null);
    assert.equal(await blocking.brpop([target.uniqueKey('missing')], 0.05), null);
  });

  test('blocking pops refuse a negative timeout and an empty key list', async () => {
    await assert.rejects(target.client.blpop('k', -1), argumentError(/^BLPOP: timeout/));
    await assert.rejects(target.client.brpop([], 1), argumentError(/^BRPOP: needs at least one key/));
    await assert.rejects(
      target.client.blmove('a', 'b', 'LEFT', 'LEFT', Number.NaN),
      argumentError(/^BLMOVE: timeout/),
    );
  });

  test('blmove moves at once, or resolves null after the timeout', async () => {
    const [source, destination, empty] = target.sameSlot(3);
    await target.client.rpush(source, 'a', 'b');
    const blocking = await target.newClient();
    assert.equal(await blocking.blmove(source, destination, 'LEFT', 'RIGHT', 1), 'a');
    assert.deepEqual(await target.client.lrange(destination, 0, -1), ['a']);
    assert.equal(await blocking.blmove(empty, destination, 'LEFT', 'RIGHT', 0.05), null);
  });

  test('blmpop pops like lmpop, or resolves null after the timeout', async () => {
    const [empty, full] = target.sameSlot(2);
    await target.client.rpush(full, 'a', 'b', 'c');
    const blocking = await target.newClient();
    assert.deepEqual(await blocking.blmpop(1, [empty, full], 'LEFT', 2), { key: full, elements: ['a', 'b'] });
    assert.equal(await blocking.blmpop(0.05, [empty], 'RIGHT'), null);
  });
}

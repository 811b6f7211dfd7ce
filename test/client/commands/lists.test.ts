import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachProtocol, sleep, uniqueKey } from '../../helpers.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** Keys sharing a hash tag, so multi-key commands stay valid on a cluster too. */
function taggedKeys(count: number): string[] {
  const tag = uniqueKey('tag');
  return Array.from({ length: count }, (_, i) => `{${tag}}:${i}`);
}

forEachProtocol((redis) => {
  test('lpush and rpush return the new length; lrange reads the list in order', async () => {
    const key = uniqueKey();
    assert.equal(await redis.client.rpush(key, 'b', 'c'), 2);
    assert.equal(await redis.client.lpush(key, 'a', 'z'), 4);
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['z', 'a', 'b', 'c']);
    assert.deepEqual(await redis.client.lrange(key, 1, 2), ['a', 'b']);
    assert.deepEqual(await redis.client.lrange(uniqueKey('missing'), 0, -1), []);
  });

  test('lpushx and rpushx push only onto an existing list', async () => {
    const key = uniqueKey();
    assert.equal(await redis.client.lpushx(key, 'a'), 0);
    assert.equal(await redis.client.rpushx(key, 'a'), 0);
    assert.equal(await redis.client.exists(key), 0);
    await redis.client.rpush(key, 'm');
    assert.equal(await redis.client.lpushx(key, 'l'), 2);
    assert.equal(await redis.client.rpushx(key, 'r1', 'r2'), 4);
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['l', 'm', 'r1', 'r2']);
  });

  test('lpop and rpop return one element, or null for a missing key', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'b', 'c');
    assert.equal(await redis.client.lpop(key), 'a');
    assert.equal(await redis.client.rpop(key), 'c');
    assert.equal(await redis.client.lpop(uniqueKey('missing')), null);
    assert.equal(await redis.client.rpop(uniqueKey('missing')), null);
  });

  test('lpopCount and rpopCount return arrays, or null for a missing key', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'b', 'c', 'd', 'e');
    assert.deepEqual(await redis.client.lpopCount(key, 2), ['a', 'b']);
    assert.deepEqual(await redis.client.rpopCount(key, 2), ['e', 'd']);
    assert.deepEqual(await redis.client.lpopCount(key, 10), ['c']);
    assert.equal(await redis.client.lpopCount(key, 2), null);
    assert.equal(await redis.client.rpopCount(uniqueKey('missing'), 2), null);
    await assert.rejects(redis.client.lpopCount(key, -1), argumentError(/^LPOP: count/));
    await assert.rejects(redis.client.rpopCount(key, 0.5), argumentError(/^RPOP: count/));
  });

  test('llen, lindex and lset read and write by position', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'b', 'c');
    assert.equal(await redis.client.llen(key), 3);
    assert.equal(await redis.client.llen(uniqueKey('missing')), 0);
    assert.equal(await redis.client.lindex(key, -1), 'c');
    assert.equal(await redis.client.lindex(key, 5), null);
    assert.equal(await redis.client.lset(key, 1, 'B'), 'OK');
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['a', 'B', 'c']);
  });

  test('linsert inserts around a pivot; -1 without the pivot, 0 without the key', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'c');
    assert.equal(await redis.client.linsert(key, 'BEFORE', 'c', 'b'), 3);
    assert.equal(await redis.client.linsert(key, 'AFTER', 'c', 'd'), 4);
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['a', 'b', 'c', 'd']);
    assert.equal(await redis.client.linsert(key, 'AFTER', 'zz', 'x'), -1);
    assert.equal(await redis.client.linsert(uniqueKey('missing'), 'AFTER', 'a', 'x'), 0);
    await assert.rejects(
      redis.client.linsert(key, 'UNDER' as never, 'a', 'x'),
      argumentError(/^LINSERT: position/),
    );
  });

  test('lrem removes from the head, the tail or everywhere', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'x', 'a', 'x', 'b', 'x', 'x');
    assert.equal(await redis.client.lrem(key, 1, 'x'), 1);
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['a', 'x', 'b', 'x', 'x']);
    assert.equal(await redis.client.lrem(key, -2, 'x'), 2);
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['a', 'x', 'b']);
    assert.equal(await redis.client.lrem(key, 0, 'x'), 1);
    assert.equal(await redis.client.lrem(key, 0, 'nothing'), 0);
  });

  test('ltrim keeps a range', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'b', 'c', 'd');
    assert.equal(await redis.client.ltrim(key, 1, -2), 'OK');
    assert.deepEqual(await redis.client.lrange(key, 0, -1), ['b', 'c']);
  });

  test('lpos finds an index, honouring rank and maxlen, or returns null', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'b', 'c', 'b', 'd', 'b');
    assert.equal(await redis.client.lpos(key, 'b'), 1);
    assert.equal(await redis.client.lpos(key, 'b', { rank: 2 }), 3);
    assert.equal(await redis.client.lpos(key, 'b', { rank: -1 }), 5);
    assert.equal(await redis.client.lpos(key, 'd', { maxlen: 3 }), null);
    assert.equal(await redis.client.lpos(key, 'zz'), null);
    assert.equal(await redis.client.lpos(uniqueKey('missing'), 'a'), null);
  });

  test('lposCount returns every matching index up to count', async () => {
    const key = uniqueKey();
    await redis.client.rpush(key, 'a', 'b', 'c', 'b', 'd', 'b');
    assert.deepEqual(await redis.client.lposCount(key, 'b', 2), [1, 3]);
    assert.deepEqual(await redis.client.lposCount(key, 'b', 0), [1, 3, 5]);
    assert.deepEqual(await redis.client.lposCount(key, 'b', 0, { rank: -1, maxlen: 3 }), [5, 3]);
    assert.deepEqual(await redis.client.lposCount(key, 'zz', 0), []);
  });

  test('lpos refuses rank 0 and negative counts or maxlen', async () => {
    await assert.rejects(redis.client.lpos('k', 'a', { rank: 0 }), argumentError(/^LPOS: rank/));
    await assert.rejects(redis.client.lpos('k', 'a', { maxlen: -1 }), argumentError(/^LPOS: maxlen/));
    await assert.rejects(redis.client.lposCount('k', 'a', -1), argumentError(/^LPOS: count/));
  });

  test('lmove moves an element between ends of two lists', async () => {
    const [source, destination] = taggedKeys(2);
    await redis.client.rpush(source, 'a', 'b', 'c');
    await redis.client.rpush(destination, 'x');
    assert.equal(await redis.client.lmove(source, destination, 'RIGHT', 'LEFT'), 'c');
    assert.equal(await redis.client.lmove(source, destination, 'LEFT', 'RIGHT'), 'a');
    assert.deepEqual(await redis.client.lrange(destination, 0, -1), ['c', 'x', 'a']);
    assert.equal(await redis.client.lmove(uniqueKey('missing'), destination, 'LEFT', 'LEFT'), null);
    await assert.rejects(
      redis.client.lmove(source, destination, 'UP' as never, 'LEFT'),
      argumentError(/^LMOVE: from must be/),
    );
  });

  test('lmpop pops from the first non-empty list as { key, elements }', async () => {
    const [empty, full] = taggedKeys(2);
    await redis.client.rpush(full, 'a', 'b', 'c');
    assert.deepEqual(await redis.client.lmpop([empty, full], 'LEFT'), { key: full, elements: ['a'] });
    assert.deepEqual(await redis.client.lmpop([empty, full], 'RIGHT', 5), {
      key: full,
      elements: ['c', 'b'],
    });
    assert.equal(await redis.client.lmpop([empty, full], 'LEFT'), null);
    await assert.rejects(redis.client.lmpop([], 'LEFT'), argumentError(/^LMPOP: needs at least one key/));
    await assert.rejects(redis.client.lmpop([full], 'LEFT', 0), argumentError(/^LMPOP: count/));
  });

  test('blpop and brpop return [key, element] at once when a list has one', async () => {
    const [first, second] = taggedKeys(2);
    await redis.client.rpush(second, 'a', 'b');
    const blocking = await redis.newClient();
    assert.deepEqual(await blocking.blpop([first, second], 1), [second, 'a']);
    assert.deepEqual(await blocking.brpop(second, 1), [second, 'b']);
  });

  test('blpop waits for a push from another client', async () => {
    const key = uniqueKey();
    const blocking = await redis.newClient();
    const popped = blocking.blpop(key, 5);
    await sleep(50);
    await redis.client.rpush(key, 'late');
    assert.deepEqual(await popped, [key, 'late']);
  });

  test('blpop and brpop resolve null when the timeout passes', async () => {
    const blocking = await redis.newClient();
    assert.equal(await blocking.blpop(uniqueKey('missing'), 0.05), null);
    assert.equal(await blocking.brpop([uniqueKey('missing')], 0.05), null);
  });

  test('blocking pops refuse a negative timeout and an empty key list', async () => {
    await assert.rejects(redis.client.blpop('k', -1), argumentError(/^BLPOP: timeout/));
    await assert.rejects(redis.client.brpop([], 1), argumentError(/^BRPOP: needs at least one key/));
    await assert.rejects(
      redis.client.blmove('a', 'b', 'LEFT', 'LEFT', Number.NaN),
      argumentError(/^BLMOVE: timeout/),
    );
  });

  test('blmove moves at once, or resolves null after the timeout', async () => {
    const [source, destination] = taggedKeys(2);
    await redis.client.rpush(source, 'a', 'b');
    const blocking = await redis.newClient();
    assert.equal(await blocking.blmove(source, destination, 'LEFT', 'RIGHT', 1), 'a');
    assert.deepEqual(await redis.client.lrange(destination, 0, -1), ['a']);
    const [empty] = taggedKeys(1);
    assert.equal(await blocking.blmove(empty, destination, 'LEFT', 'RIGHT', 0.05), null);
  });

  test('blmpop pops like lmpop, or resolves null after the timeout', async () => {
    const [empty, full] = taggedKeys(2);
    await redis.client.rpush(full, 'a', 'b', 'c');
    const blocking = await redis.newClient();
    assert.deepEqual(await blocking.blmpop(1, [empty, full], 'LEFT', 2), { key: full, elements: ['a', 'b'] });
    assert.equal(await blocking.blmpop(0.05, [empty], 'RIGHT'), null);
  });
});

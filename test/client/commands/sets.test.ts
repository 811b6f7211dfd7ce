import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachProtocol, uniqueKey } from '../../helpers.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** Keys sharing a hash tag, so multi-key commands stay valid on a cluster too. */
function taggedKeys(count: number): string[] {
  const tag = uniqueKey('tag');
  return Array.from({ length: count }, (_, i) => `{${tag}}:${i}`);
}

const sorted = (members: string[]) => [...members].sort();

forEachProtocol((redis) => {
  test('sadd and srem count members added and removed', async () => {
    const key = uniqueKey();
    assert.equal(await redis.client.sadd(key, 'a', 'b', 'a'), 2);
    assert.equal(await redis.client.sadd(key, 'b', 'c'), 1);
    assert.equal(await redis.client.srem(key, 'a', 'zz'), 1);
    assert.deepEqual(sorted(await redis.client.smembers(key)), ['b', 'c']);
  });

  test('smembers returns an array in both protocols, empty for a missing key', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'x', 'y', '1');
    const members = await redis.client.smembers(key);
    assert.ok(Array.isArray(members));
    assert.deepEqual(sorted(members), ['1', 'x', 'y']);
    assert.deepEqual(await redis.client.smembers(uniqueKey('missing')), []);
  });

  test('sismember and smismember answer with booleans', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'a', 'b');
    assert.equal(await redis.client.sismember(key, 'a'), true);
    assert.equal(await redis.client.sismember(key, 'z'), false);
    assert.deepEqual(await redis.client.smismember(key, 'a', 'z', 'b'), [true, false, true]);
    assert.deepEqual(await redis.client.smismember(uniqueKey('missing'), 'a'), [false]);
  });

  test('scard counts members', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'a', 'b', 'c');
    assert.equal(await redis.client.scard(key), 3);
    assert.equal(await redis.client.scard(uniqueKey('missing')), 0);
  });

  test('spop removes a random member, or returns null for a missing key', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'a', 'b');
    const popped = await redis.client.spop(key);
    assert.ok(popped === 'a' || popped === 'b');
    assert.equal(await redis.client.sismember(key, popped), false);
    assert.equal(await redis.client.spop(uniqueKey('missing')), null);
  });

  test('spopCount removes up to count members, [] for a missing key', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'a', 'b', 'c');
    const two = await redis.client.spopCount(key, 2);
    assert.equal(two.length, 2);
    assert.equal(await redis.client.scard(key), 1);
    assert.equal((await redis.client.spopCount(key, 5)).length, 1);
    assert.deepEqual(await redis.client.spopCount(uniqueKey('missing'), 2), []);
    await assert.rejects(redis.client.spopCount(key, -1), argumentError(/^SPOP: count/));
  });

  test('srandmember and srandmemberCount read random members without removing them', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'a', 'b', 'c');
    assert.ok(['a', 'b', 'c'].includes((await redis.client.srandmember(key))!));
    assert.equal(await redis.client.srandmember(uniqueKey('missing')), null);
    assert.deepEqual(sorted(await redis.client.srandmemberCount(key, 10)), ['a', 'b', 'c']);
    assert.equal((await redis.client.srandmemberCount(key, -6)).length, 6);
    assert.deepEqual(await redis.client.srandmemberCount(uniqueKey('missing'), 3), []);
    assert.equal(await redis.client.scard(key), 3);
    await assert.rejects(redis.client.srandmemberCount(key, 0.5), argumentError(/^SRANDMEMBER: count/));
  });

  test('sinter, sunion and sdiff combine sets', async () => {
    const [a, b, missing] = taggedKeys(3);
    await redis.client.sadd(a, '1', '2', '3');
    await redis.client.sadd(b, '2', '3', '4');
    assert.deepEqual(sorted(await redis.client.sinter(a, b)), ['2', '3']);
    assert.deepEqual(sorted(await redis.client.sunion(a, b)), ['1', '2', '3', '4']);
    assert.deepEqual(sorted(await redis.client.sdiff(a, b)), ['1']);
    assert.deepEqual(await redis.client.sinter(a, missing), []);
    assert.deepEqual(sorted(await redis.client.sdiff(a)), ['1', '2', '3']);
  });

  test('sinterstore, sunionstore and sdiffstore store the result and return its size', async () => {
    const [a, b, destination] = taggedKeys(3);
    await redis.client.sadd(a, '1', '2', '3');
    await redis.client.sadd(b, '2', '3', '4');
    assert.equal(await redis.client.sinterstore(destination, a, b), 2);
    assert.deepEqual(sorted(await redis.client.smembers(destination)), ['2', '3']);
    assert.equal(await redis.client.sunionstore(destination, a, b), 4);
    assert.equal(await redis.client.sdiffstore(destination, b, a), 1);
    assert.deepEqual(await redis.client.smembers(destination), ['4']);
  });

  test('smove moves a member between sets', async () => {
    const [source, destination] = taggedKeys(2);
    await redis.client.sadd(source, 'a', 'b');
    assert.equal(await redis.client.smove(source, destination, 'a'), true);
    assert.equal(await redis.client.smove(source, destination, 'zz'), false);
    assert.deepEqual(await redis.client.smembers(destination), ['a']);
    assert.deepEqual(await redis.client.smembers(source), ['b']);
  });

  test('sintercard counts the intersection, stopping at limit', async () => {
    const [a, b] = taggedKeys(2);
    await redis.client.sadd(a, '1', '2', '3', '4');
    await redis.client.sadd(b, '2', '3', '4', '5');
    assert.equal(await redis.client.sintercard([a, b]), 3);
    assert.equal(await redis.client.sintercard([a, b], { limit: 2 }), 2);
    assert.equal(await redis.client.sintercard([a, b], { limit: 0 }), 3);
    assert.equal(await redis.client.sintercard([a]), 4);
    await assert.rejects(redis.client.sintercard([]), argumentError(/^SINTERCARD: needs at least one key/));
    await assert.rejects(redis.client.sintercard([a], { limit: -1 }), argumentError(/^SINTERCARD: limit/));
  });

  test('sscan pages through members with a string cursor', async () => {
    const key = uniqueKey();
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) expected.push(`member:${i}`);
    await redis.client.sadd(key, expected[0], ...expected.slice(1));
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await redis.client.sscan(key, cursor, { count: 50 });
      assert.deepEqual(Object.keys(page), ['cursor', 'members']);
      assert.equal(typeof page.cursor, 'string');
      for (const member of page.members) seen.add(member);
      cursor = page.cursor;
      pages++;
    } while (cursor !== '0');
    assert.ok(pages > 1);
    assert.deepEqual(sorted([...seen]), sorted(expected));
  });

  test('sscan filters members with match', async () => {
    const key = uniqueKey();
    await redis.client.sadd(key, 'apple', 'avocado', 'banana');
    const page = await redis.client.sscan(key, '0', { match: 'a*', count: 100 });
    assert.deepEqual(
      { cursor: page.cursor, members: sorted(page.members) },
      { cursor: '0', members: ['apple', 'avocado'] },
    );
    assert.deepEqual(await redis.client.sscan(uniqueKey('missing'), 0), { cursor: '0', members: [] });
    await assert.rejects(redis.client.sscan(key, 0, { count: -5 }), argumentError(/^SSCAN: count/));
  });
});

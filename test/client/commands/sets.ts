import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

const sorted = (members: string[]) => [...members].sort();

/** The set commands, on `target`. */
export function setTests(target: Target): void {
  test('sadd and srem count members added and removed', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.sadd(key, 'a', 'b', 'a'), 2);
    assert.equal(await target.client.sadd(key, 'b', 'c'), 1);
    assert.equal(await target.client.srem(key, 'a', 'zz'), 1);
    assert.deepEqual(sorted(await target.client.smembers(key)), ['b', 'c']);
  });

  test('smembers returns an array in both protocols, empty for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.sadd(key, 'x', 'y', '1');
    const members = await target.client.smembers(key);
    assert.ok(Array.isArray(members));
    assert.deepEqual(sorted(members), ['1', 'x', 'y']);
    assert.deepEqual(await target.client.smembers(target.uniqueKey('missing')), []);
  });

  test('sismember and smismember answer with booleans', async () => {
    const key = target.uniqueKey();
    await target.client.sadd(key, 'a', 'b');
    assert.equal(await target.client.sismember(key, 'a'), true);
    assert.equal(await target.client.sismember(key, 'z'), false);
    assert.deepEqual(await target.client.smismember(key, 'a', 'z', 'b'), [true, false, true]);
    assert.deepEqual(await target.client.smismember(target.uniqueKey('missing'), 'a'), [false]);
  });

  test('scard counts members', async () => {
    const key = target.uniqueKey();
    await target.client.sadd(key, 'a', 'b', 'c');
    assert.equal(await target.client.scard(key), 3);
    assert.equal(await target.client.scard(target.uniqueKey('missing')), 0);
  });

  test('spop removes a random member, or returns null for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.sadd(key, 'a', 'b');
    const popped = await target.client.spop(key);
    assert.ok(popped === 'a' || popped === 'b');
    assert.equal(await target.client.sismember(key, popped), false);
    assert.equal(await target.client.spop(target.uniqueKey('missing')), null);
  });

  test('spopCount removes up to count members, [] for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.sadd(key, 'a', 'b', 'c');
    const two = await target.client.spopCount(key, 2);
    assert.equal(two.length, 2);
    assert.equal(await target.client.scard(key), 1);
    assert.equal((await target.client.spopCount(key, 5)).length, 1);
    assert.deepEqual(await target.client.spopCount(target.uniqueKey('missing'), 2), []);
    await assert.rejects(target.client.spopCount(key, -1), argumentError(/^SPOP: count/));
  });

  test('srandmember and srandmemberCount read random members without removing them', async () => {
    const key = target.uniqueKey();
    await target.client.sadd(key, 'a', 'b', 'c');
    assert.ok(['a', 'b', 'c'].includes((await target.client.srandmember(key))!));
    assert.equal(await target.client.srandmember(target.uniqueKey('missing')), null);
    assert.deepEqual(sorted(await target.client.srandmemberCount(key, 10)), ['a', 'b', 'c']);
    assert.equal((await target.client.srandmemberCount(key, -6)).length, 6);
    assert.deepEqual(await target.client.srandmemberCount(target.uniqueKey('missing'), 3), []);
    assert.equal(await target.client.scard(key), 3);
    await assert.rejects(target.client.srandmemberCount(key, 0.5), argumentError(/^SRANDMEMBER: count/));
  });

  test('sinter, sunion and sdiff combine sets', async () => {
    const [a, b, missing] = target.sameSlot(3);
    await target.client.sadd(a, '1', '2', '3');
    await target.client.sadd(b, '2', '3', '4');
    assert.deepEqual(sorted(await target.client.sinter(a, b)), ['2', '3']);
    assert.deepEqual(sorted(await target.client.sunion(a, b)), ['1', '2', '3', '4']);
    assert.deepEqual(sorted(await target.client.sdiff(a, b)), ['1']);
    assert.deepEqual(await target.client.sinter(a, missing), []);
    assert.deepEqual(sorted(await target.client.sdiff(a)), ['1', '2', '3']);
  });

  test('sinterstore, sunionstore and sdiffstore store the result and return its size', async () => {
    const [a, b, destination] = target.sameSlot(3);
    await target.client.sadd(a, '1', '2', '3');
    await target.client.sadd(b, '2', '3', '4');
    assert.equal(await target.client.sinterstore(destination, a, b), 2);
    assert.deepEqual(sorted(await target.client.smembers(destination)), ['2', '3']);
    assert.equal(await target.client.sunionstore(destination, a, b), 4);
    assert.equal(await target.client.sdiffstore(destination, b, a), 1);
    assert.deepEqual(await target.client.smembers(destination), ['4']);
  });

  test('smove moves a member between sets', async () => {
    const [source, destination] = target.sameSlot(2);
    await target.client.sadd(source, 'a', 'b');
    assert.equal(await target.client.smove(source, destination, 'a'), true);
    assert.equal(await target.client.smove(source, destination, 'zz'), false);
    assert.deepEqual(await target.client.smembers(destination), ['a']);
    assert.deepEqual(await target.client.smembers(source), ['b']);
  });

  test('sintercard counts the intersection, stopping at limit', async () => {
    const [a, b] = target.sameSlot(2);
    await target.client.sadd(a, '1', '2', '3', '4');
    await target.client.sadd(b, '2', '3', '4', '5');
    assert.equal(await target.client.sintercard([a, b]), 3);
    assert.equal(await target.client.sintercard([a, b], { limit: 2 }), 2);
    assert.equal(await target.client.sintercard([a, b], { limit: 0 }), 3);
    assert.equal(await target.client.sintercard([a]), 4);
    await assert.rejects(target.client.sintercard([]), argumentError(/^SINTERCARD: needs at least one key/));
    await assert.rejects(target.client.sintercard([a], { limit: -1 }), argumentError(/^SINTERCARD: limit/));
  });

  test('sscan pages through members with a string cursor', async () => {
    const key = target.uniqueKey();
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) expected.push(`member:${i}`);
    await target.client.sadd(key, expected[0], ...expected.slice(1));
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await target.client.sscan(key, cursor, { count: 50 });
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
    const key = target.uniqueKey();
    await target.client.sadd(key, 'apple', 'avocado', 'banana');
    const page = await target.client.sscan(key, '0', { match: 'a*', count: 100 });
    assert.deepEqual(
      { cursor: page.cursor, members: sorted(page.members) },
      { cursor: '0', members: ['apple', 'avocado'] },
    );
    assert.deepEqual(await target.client.sscan(target.uniqueKey('missing'), 0), { cursor: '0', members: [] });
    await assert.rejects(target.client.sscan(key, 0, { count: -5 }), argumentError(/^SSCAN: count/));
  });
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterError, slotOf } from '../../../src/index.js';
import { sleep } from '../../helpers.js';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** The sorted-set commands, on `target`. */
export function sortedSetTests(target: Target): void {
  /** A sorted set a=1, b=2, c=3, d=4. */
  async function abcd(): Promise<string> {
    const key = target.uniqueKey('zset');
    await target.client.zadd(key, { a: 1, b: 2, c: 3, d: 4 });
    return key;
  }

  test('zadd takes an array, an object or a Map and counts members added', async () => {
    const key = target.uniqueKey();
    assert.equal(
      await target.client.zadd(key, [
        { score: 1, member: 'a' },
        { score: 2, member: 'b' },
      ]),
      2,
    );
    assert.equal(await target.client.zadd(key, { b: 20, c: 3 }), 1);
    assert.equal(await target.client.zadd(key, new Map([['d', 4]])), 1);
    assert.deepEqual(await target.client.zrange(key, 0, -1), ['a', 'c', 'd', 'b']);
  });

  test('zadd options NX, XX, GT, LT and CH', async () => {
    const key = target.uniqueKey();
    await target.client.zadd(key, { a: 5 });
    assert.equal(await target.client.zadd(key, { a: 1, b: 1 }, { condition: 'NX' }), 1);
    assert.equal(await target.client.zscore(key, 'a'), 5);
    assert.equal(await target.client.zadd(key, { a: 6, c: 1 }, { condition: 'XX', ch: true }), 1);
    assert.equal(await target.client.zscore(key, 'c'), null);
    assert.equal(await target.client.zadd(key, { a: 2 }, { comparison: 'GT', ch: true }), 0);
    assert.equal(await target.client.zadd(key, { a: 2 }, { comparison: 'LT', ch: true }), 1);
    assert.equal(await target.client.zscore(key, 'a'), 2);
  });

  test('zadd refuses NX with GT or LT, unknown options and no members', async () => {
    await assert.rejects(
      target.client.zadd('k', { a: 1 }, { condition: 'NX', comparison: 'GT' }),
      argumentError(/^ZADD: condition 'NX' cannot be combined/),
    );
    await assert.rejects(
      target.client.zadd('k', { a: 1 }, { condition: 'YY' as never }),
      argumentError(/^ZADD: condition/),
    );
    await assert.rejects(
      target.client.zadd('k', { a: 1 }, { comparison: 'EQ' as never }),
      argumentError(/^ZADD: comparison/),
    );
    await assert.rejects(target.client.zadd('k', []), argumentError(/^ZADD: needs at least one member/));
    await assert.rejects(target.client.zadd('k', {}), argumentError(/^ZADD: needs at least one member/));
  });

  test('zaddIncr returns the new score, or null when a condition stops it', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.zaddIncr(key, 1.5, 'a'), 1.5);
    assert.equal(await target.client.zaddIncr(key, 2, 'a'), 3.5);
    assert.equal(await target.client.zaddIncr(key, 1, 'a', { condition: 'NX' }), null);
    assert.equal(await target.client.zaddIncr(key, -1, 'a', { comparison: 'GT' }), null);
    assert.equal(await target.client.zaddIncr(key, 1, 'b', { condition: 'XX' }), null);
  });

  test('scores are numbers in both protocols, infinities included', async () => {
    const key = target.uniqueKey();
    await target.client.zadd(key, {
      top: Number.POSITIVE_INFINITY,
      bottom: Number.NEGATIVE_INFINITY,
      tenth: 0.1,
    });
    assert.equal(await target.client.zscore(key, 'top'), Number.POSITIVE_INFINITY);
    assert.equal(await target.client.zscore(key, 'bottom'), Number.NEGATIVE_INFINITY);
    assert.equal(await target.client.zscore(key, 'tenth'), 0.1);
    assert.equal(await target.client.zscore(key, 'none'), null);
    assert.deepEqual(await target.client.zrangeWithScores(key, 0, -1), [
      { member: 'bottom', score: Number.NEGATIVE_INFINITY },
      { member: 'tenth', score: 0.1 },
      { member: 'top', score: Number.POSITIVE_INFINITY },
    ]);
    assert.deepEqual(await target.client.zmscore(key, 'top', 'none', 'tenth'), [
      Number.POSITIVE_INFINITY,
      null,
      0.1,
    ]);
  });

  test('zincrby returns the new score', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.zincrby(key, 2.5, 'a'), 2.5);
    assert.equal(await target.client.zincrby(key, -0.5, 'a'), 2);
  });

  test('zrem, zcard and zcount', async () => {
    const key = await abcd();
    assert.equal(await target.client.zcard(key), 4);
    assert.equal(await target.client.zcount(key, 2, 3), 2);
    assert.equal(await target.client.zcount(key, '(2', '+inf'), 2);
    assert.equal(await target.client.zcount(key, Number.NEGATIVE_INFINITY, '(2'), 1);
    assert.equal(await target.client.zrem(key, 'a', 'zz'), 1);
    assert.equal(await target.client.zcard(key), 3);
    assert.equal(await target.client.zcard(target.uniqueKey('missing')), 0);
  });

  test('zrank and zrevrank give a 0-based rank, or null', async () => {
    const key = await abcd();
    assert.equal(await target.client.zrank(key, 'a'), 0);
    assert.equal(await target.client.zrevrank(key, 'a'), 3);
    assert.equal(await target.client.zrank(key, 'zz'), null);
    assert.equal(await target.client.zrevrank(target.uniqueKey('missing'), 'a'), null);
  });

  test('zrange by rank, by score with limit, by lex and reversed', async () => {
    const key = await abcd();
    assert.deepEqual(await target.client.zrange(key, 1, 2), ['b', 'c']);
    assert.deepEqual(await target.client.zrange(key, 0, 1, { rev: true }), ['d', 'c']);
    assert.deepEqual(await target.client.zrange(key, '(1', 4, { by: 'SCORE' }), ['b', 'c', 'd']);
    assert.deepEqual(
      await target.client.zrange(key, '-inf', '+inf', { by: 'SCORE', limit: { offset: 1, count: 2 } }),
      ['b', 'c'],
    );
    assert.deepEqual(await target.client.zrange(key, 3, 1, { by: 'SCORE', rev: true }), ['c', 'b', 'a']);
    const lex = target.uniqueKey();
    await target.client.zadd(lex, { apple: 0, banana: 0, cherry: 0 });
    assert.deepEqual(await target.client.zrange(lex, '[b', '+', { by: 'LEX' }), ['banana', 'cherry']);
    assert.deepEqual(
      await target.client.zrange(lex, '+', '-', { by: 'LEX', rev: true, limit: { offset: 0, count: 1 } }),
      ['cherry'],
    );
  });

  test('zrangeWithScores returns { member, score } objects', async () => {
    const key = await abcd();
    assert.deepEqual(await target.client.zrangeWithScores(key, 0, 1), [
      { member: 'a', score: 1 },
      { member: 'b', score: 2 },
    ]);
    assert.deepEqual(await target.client.zrangeWithScores(key, 4, 3, { by: 'SCORE', rev: true }), [
      { member: 'd', score: 4 },
      { member: 'c', score: 3 },
    ]);
    assert.deepEqual(await target.client.zrangeWithScores(target.uniqueKey('missing'), 0, -1), []);
  });

  test('zrange refuses limit without by, and scores with by LEX', async () => {
    await assert.rejects(
      target.client.zrange('k', 0, 1, { limit: { offset: 0, count: 1 } }),
      argumentError(/^ZRANGE: limit/),
    );
    await assert.rejects(
      target.client.zrangeWithScores('k', '-', '+', { by: 'LEX' }),
      argumentError(/^ZRANGE: scores/),
    );
    await assert.rejects(
      target.client.zrange('k', 0, 1, { by: 'RANK' as never }),
      argumentError(/^ZRANGE: by/),
    );
  });

  test('zrangebyscore and zrangebyscoreWithScores, with limit', async () => {
    const key = await abcd();
    assert.deepEqual(await target.client.zrangebyscore(key, 2, '+inf'), ['b', 'c', 'd']);
    assert.deepEqual(
      await target.client.zrangebyscore(key, '-inf', '+inf', { limit: { offset: 1, count: 1 } }),
      ['b'],
    );
    assert.deepEqual(await target.client.zrangebyscoreWithScores(key, '(1', 3), [
      { member: 'b', score: 2 },
      { member: 'c', score: 3 },
    ]);
    assert.deepEqual(
      await target.client.zrangebyscoreWithScores(key, 0, 10, { limit: { offset: 3, count: 5 } }),
      [{ member: 'd', score: 4 }],
    );
  });

  test('zpopmin and zpopmax return arrays of { member, score }, with or without count', async () => {
    const key = await abcd();
    // Without count RESP3 sends one flat pair, with count an array of pairs: the shape is the same.
    assert.deepEqual(await target.client.zpopmin(key), [{ member: 'a', score: 1 }]);
    assert.deepEqual(await target.client.zpopmax(key), [{ member: 'd', score: 4 }]);
    assert.deepEqual(await target.client.zpopmin(key, 1), [{ member: 'b', score: 2 }]);
    await target.client.zadd(key, { e: 5, f: Number.POSITIVE_INFINITY });
    assert.deepEqual(await target.client.zpopmax(key, 2), [
      { member: 'f', score: Number.POSITIVE_INFINITY },
      { member: 'e', score: 5 },
    ]);
    assert.deepEqual(await target.client.zpopmin(key, 10), [{ member: 'c', score: 3 }]);
    assert.deepEqual(await target.client.zpopmin(key), []);
    assert.deepEqual(await target.client.zpopmax(key, 3), []);
    await assert.rejects(target.client.zpopmin(key, -1), argumentError(/^ZPOPMIN: count/));
  });

  test('zpopmin on a buffers view gives Buffer members and number scores', async () => {
    const key = await abcd();
    const [popped] = await target.client.withOptions({ buffers: true }).zpopmin(key);
    assert.ok(Buffer.isBuffer(popped.member));
    assert.equal(popped.member.toString(), 'a');
    assert.equal(popped.score, 1);
  });

  test('zmpop pops from the first non-empty key as { key, members }', async () => {
    const [empty, full] = target.sameSlot(2);
    await target.client.zadd(full, { a: 1, b: 2, c: 3 });
    assert.deepEqual(await target.client.zmpop([empty, full], 'MIN'), {
      key: full,
      members: [{ member: 'a', score: 1 }],
    });
    assert.deepEqual(await target.client.zmpop([empty, full], 'MAX', 5), {
      key: full,
      members: [
        { member: 'c', score: 3 },
        { member: 'b', score: 2 },
      ],
    });
    assert.equal(await target.client.zmpop([empty, full], 'MIN'), null);
    await assert.rejects(target.client.zmpop([full], 'LOW' as never), argumentError(/^ZMPOP: where/));
  });

  test('bzpopmin and bzpopmax return { key, member, score } or null after the timeout', async () => {
    const [empty, full] = target.sameSlot(2);
    await target.client.zadd(full, { a: 1, b: 2.5 });
    const blocking = await target.newClient();
    assert.deepEqual(await blocking.bzpopmin([empty, full], 1), { key: full, member: 'a', score: 1 });
    assert.deepEqual(await blocking.bzpopmax(full, 1), { key: full, member: 'b', score: 2.5 });
    assert.equal(await blocking.bzpopmin(empty, 0.05), null);
    const waiting = blocking.bzpopmax(empty, 5);
    await sleep(50);
    await target.client.zadd(empty, { late: Number.NEGATIVE_INFINITY });
    assert.deepEqual(await waiting, { key: empty, member: 'late', score: Number.NEGATIVE_INFINITY });
    await assert.rejects(target.client.bzpopmin(full, -1), argumentError(/^BZPOPMIN: timeout/));
  });

  test('zremrangebyscore and zremrangebyrank count members removed', async () => {
    const key = await abcd();
    assert.equal(await target.client.zremrangebyscore(key, '(1', 2), 1);
    assert.equal(await target.client.zremrangebyrank(key, 0, 0), 1);
    assert.deepEqual(await target.client.zrange(key, 0, -1), ['c', 'd']);
  });

  test('zunionstore and zinterstore combine with weights and aggregate', async () => {
    const [a, b, destination] = target.sameSlot(3);
    await target.client.zadd(a, { x: 1, y: 2 });
    await target.client.zadd(b, { y: 10, z: 20 });
    assert.equal(await target.client.zunionstore(destination, [a, b]), 3);
    assert.deepEqual(await target.client.zrangeWithScores(destination, 0, -1), [
      { member: 'x', score: 1 },
      { member: 'y', score: 12 },
      { member: 'z', score: 20 },
    ]);
    assert.equal(
      await target.client.zinterstore(destination, [a, b], { weights: [2, 1], aggregate: 'MAX' }),
      1,
    );
    assert.deepEqual(await target.client.zrangeWithScores(destination, 0, -1), [{ member: 'y', score: 10 }]);
    assert.equal(await target.client.zunionstore(destination, [a, b], { aggregate: 'MIN' }), 3);
    assert.equal(await target.client.zscore(destination, 'y'), 2);
  });

  test('zunionstore and zinterstore write a destination of any slot; a cluster refuses it before sending', async () => {
    const [a, b] = target.sameSlot(2);
    let [destination] = target.sameSlot(1);
    while (slotOf(destination) === slotOf(a)) [destination] = target.sameSlot(1);
    await target.client.zadd(a, { x: 1, y: 2 });
    await target.client.zadd(b, { y: 10 });
    if (target.kind === 'standalone') {
      assert.equal(await target.client.zunionstore(destination, [a, b]), 2);
      assert.equal(await target.client.zinterstore(destination, [a, b]), 1);
      assert.deepEqual(await target.client.zrangeWithScores(destination, 0, -1), [
        { member: 'y', score: 12 },
      ]);
      return;
    }
    // The destination is a key too: in another slot than the sources, no node could run it.
    const crossSlot = (error: unknown) => {
      assert.ok(error instanceof ClusterError, String(error));
      assert.equal(error.code, 'CROSSSLOT');
      assert.equal(error.mayHaveRun, false);
      return true;
    };
    await assert.rejects(target.client.zunionstore(destination, [a, b]), crossSlot);
    await assert.rejects(target.client.zinterstore(destination, [a, b]), crossSlot);
    assert.equal(await target.client.exists(destination), 0);
  });

  test('zunionstore refuses mismatched weights, unknown aggregates and no keys', async () => {
    await assert.rejects(
      target.client.zunionstore('d', ['a', 'b'], { weights: [1] }),
      argumentError(/^ZUNIONSTORE: weights needs one weight per key/),
    );
    await assert.rejects(
      target.client.zinterstore('d', ['a'], { aggregate: 'AVG' as never }),
      argumentError(/^ZINTERSTORE: aggregate/),
    );
    await assert.rejects(
      target.client.zinterstore('d', []),
      argumentError(/^ZINTERSTORE: needs at least one key/),
    );
  });

  test('zscan pages through { member, score } with a string cursor', async () => {
    const key = target.uniqueKey();
    const expected = new Map<string, number>();
    for (let i = 0; i < 300; i++) expected.set(`member:${i}`, i / 4);
    expected.set('infinite', Number.POSITIVE_INFINITY);
    await target.client.zadd(key, expected);
    const seen = new Map<string, number>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await target.client.zscan(key, cursor, { count: 50 });
      assert.deepEqual(Object.keys(page), ['cursor', 'members']);
      assert.equal(typeof page.cursor, 'string');
      for (const { member, score } of page.members) seen.set(member, score);
      cursor = page.cursor;
      pages++;
    } while (cursor !== '0');
    assert.ok(pages > 1);
    assert.deepEqual(seen, expected);
  });

  test('zscan filters with match', async () => {
    const key = target.uniqueKey();
    await target.client.zadd(key, { apple: 1, avocado: 2.5, banana: 3 });
    assert.deepEqual(await target.client.zscan(key, 0, { match: 'a*' }), {
      cursor: '0',
      members: [
        { member: 'apple', score: 1 },
        { member: 'avocado', score: 2.5 },
      ],
    });
  });
}

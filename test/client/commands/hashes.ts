import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** The hash commands, on `target`. */
export function hashTests(target: Target): void {
  test('hset takes an object, a Map or pairs and counts the fields added', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.hset(key, { a: '1', b: 2 }), 2);
    assert.equal(
      await target.client.hset(
        key,
        new Map<string, string>([
          ['b', 'two'],
          ['c', '3'],
        ]),
      ),
      1,
    );
    assert.equal(
      await target.client.hset(key, [
        ['d', '4'],
        ['a', 'one'],
      ]),
      1,
    );
    assert.deepEqual({ ...(await target.client.hgetall(key)) }, { a: 'one', b: 'two', c: '3', d: '4' });
  });

  test('hset refuses an empty set of fields before sending', async () => {
    await assert.rejects(
      target.client.hset(target.uniqueKey(), {}),
      argumentError(/^HSET: needs at least one/),
    );
    await assert.rejects(
      target.client.hset(target.uniqueKey(), null as never),
      argumentError(/^HSET: expected/),
    );
  });

  test('hgetall returns a plain object with a null prototype, empty for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { field: 'value', other: '' });
    const all = await target.client.hgetall(key);
    assert.equal(Object.getPrototypeOf(all), null);
    assert.deepEqual({ ...all }, { field: 'value', other: '' });
    assert.deepEqual({ ...(await target.client.hgetall(target.uniqueKey('missing'))) }, {});
  });

  test('hgetall on a buffers view keeps string field names and Buffer values', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { field: Buffer.from([0xff, 0x00]) });
    const all = await target.client.withOptions({ buffers: true }).hgetall(key);
    assert.deepEqual(Object.keys(all), ['field']);
    assert.ok(Buffer.isBuffer(all.field));
    assert.deepEqual([...all.field], [0xff, 0x00]);
  });

  test('hget and hmget return null for missing fields', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { a: '1', b: '2' });
    assert.equal(await target.client.hget(key, 'a'), '1');
    assert.equal(await target.client.hget(key, 'zz'), null);
    assert.equal(await target.client.hget(target.uniqueKey('missing'), 'a'), null);
    assert.deepEqual(await target.client.hmget(key, 'b', 'zz', 'a'), ['2', null, '1']);
  });

  test('hsetnx sets a field only once', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.hsetnx(key, 'f', 'first'), true);
    assert.equal(await target.client.hsetnx(key, 'f', 'second'), false);
    assert.equal(await target.client.hget(key, 'f'), 'first');
  });

  test('hdel counts removed fields and hexists reports presence', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { a: '1', b: '2', c: '3' });
    assert.equal(await target.client.hexists(key, 'a'), true);
    assert.equal(await target.client.hdel(key, 'a', 'b', 'zz'), 2);
    assert.equal(await target.client.hexists(key, 'a'), false);
    assert.equal(await target.client.hexists(target.uniqueKey('missing'), 'a'), false);
  });

  test('hincrby returns the new integer, a bigint beyond the safe range', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.hincrby(key, 'n', 5), 5);
    assert.equal(await target.client.hincrby(key, 'n', -7), -2);
    await target.client.hset(key, { big: '9007199254740993' });
    assert.equal(await target.client.hincrby(key, 'big', 1), 9007199254740994n);
  });

  test('hincrbyfloat returns the new value as a number', async () => {
    const key = target.uniqueKey();
    assert.equal(await target.client.hincrbyfloat(key, 'x', 10.5), 10.5);
    assert.equal(await target.client.hincrbyfloat(key, 'x', 0.1), 10.6);
    assert.equal(await target.client.hincrbyfloat(key, 'x', -20), -9.4);
  });

  test('hkeys, hvals, hlen and hstrlen describe the hash', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, [
      ['a', 'x'],
      ['b', 'yy'],
      ['c', 'zzz'],
    ]);
    assert.deepEqual((await target.client.hkeys(key)).sort(), ['a', 'b', 'c']);
    assert.deepEqual((await target.client.hvals(key)).sort(), ['x', 'yy', 'zzz']);
    assert.equal(await target.client.hlen(key), 3);
    assert.equal(await target.client.hstrlen(key, 'c'), 3);
    assert.equal(await target.client.hstrlen(key, 'zz'), 0);
    assert.deepEqual(await target.client.hkeys(target.uniqueKey('missing')), []);
    assert.equal(await target.client.hlen(target.uniqueKey('missing')), 0);
  });

  test('hrandfield returns a field, or null for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { a: '1', b: '2', c: '3' });
    assert.ok(['a', 'b', 'c'].includes((await target.client.hrandfield(key))!));
    assert.equal(await target.client.hrandfield(target.uniqueKey('missing')), null);
  });

  test('hrandfieldCount returns distinct fields, or repeats with a negative count', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { a: '1', b: '2', c: '3' });
    assert.deepEqual((await target.client.hrandfieldCount(key, 10)).sort(), ['a', 'b', 'c']);
    const two = await target.client.hrandfieldCount(key, 2);
    assert.equal(new Set(two).size, 2);
    const repeated = await target.client.hrandfieldCount(key, -7);
    assert.equal(repeated.length, 7);
    for (const field of repeated) assert.ok(['a', 'b', 'c'].includes(field));
    assert.deepEqual(await target.client.hrandfieldCount(target.uniqueKey('missing'), 3), []);
    await assert.rejects(target.client.hrandfieldCount(key, 1.5), argumentError(/^HRANDFIELD: count/));
  });

  test('hrandfieldWithValues returns [field, value] pairs in both protocols', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { a: '1', b: '2', c: '3' });
    const pairs = await target.client.hrandfieldWithValues(key, 10);
    assert.deepEqual(
      pairs.sort(([x], [y]) => x.localeCompare(y)),
      [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ],
    );
    const repeated = await target.client.hrandfieldWithValues(key, -4);
    assert.equal(repeated.length, 4);
    for (const [field, value] of repeated) assert.equal(value, { a: '1', b: '2', c: '3' }[field]);
    assert.deepEqual(await target.client.hrandfieldWithValues(target.uniqueKey('missing'), 3), []);
  });

  test('hscan pages through [field, value] pairs with a string cursor', async () => {
    const key = target.uniqueKey();
    const expected: Array<[string, string]> = [];
    // More fields than hash-max-listpack-entries (512): a listpack is scanned in one page.
    for (let i = 0; i < 1000; i++) expected.push([`field:${i}`, `value:${i}`]);
    await target.client.hset(key, expected);
    const seen = new Map<string, string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await target.client.hscan(key, cursor, { count: 50 });
      assert.deepEqual(Object.keys(page), ['cursor', 'entries']);
      assert.equal(typeof page.cursor, 'string');
      for (const entry of page.entries) {
        assert.equal(entry.length, 2);
        seen.set(entry[0], entry[1]);
      }
      cursor = page.cursor;
      pages++;
    } while (cursor !== '0');
    assert.ok(pages > 1);
    assert.deepEqual(new Map(expected), seen);
  });

  test('hscan filters fields with match', async () => {
    const key = target.uniqueKey();
    await target.client.hset(key, { apple: '1', avocado: '2', banana: '3' });
    const page = await target.client.hscan(key, 0, { match: 'a*' });
    assert.equal(page.cursor, '0');
    assert.deepEqual(
      page.entries.sort(([x], [y]) => x.localeCompare(y)),
      [
        ['apple', '1'],
        ['avocado', '2'],
      ],
    );
    assert.deepEqual(await target.client.hscan(target.uniqueKey('missing'), 0), { cursor: '0', entries: [] });
  });
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplyError } from '../../../src/errors.js';
import { forEachProtocol, uniqueKey } from '../../helpers.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** Keys sharing a hash tag, so multi-key commands stay valid on a cluster too. */
function taggedKeys(count: number): string[] {
  const tag = uniqueKey('tag');
  return Array.from({ length: count }, (_, i) => `{${tag}}:${i}`);
}

forEachProtocol((redis) => {
  test('exists counts existing keys, a key named twice twice', async () => {
    const [a, b, missing] = taggedKeys(3);
    await redis.client.set(a, '1');
    await redis.client.set(b, '2');
    assert.equal(await redis.client.exists(a, b, missing), 2);
    assert.equal(await redis.client.exists(a, a), 2);
    assert.equal(await redis.client.exists(missing), 0);
  });

  test('del and unlink return how many keys they removed', async () => {
    const [a, b, c, missing] = taggedKeys(4);
    await redis.client.mset({ [a]: '1', [b]: '2', [c]: '3' });
    assert.equal(await redis.client.del(a, missing), 1);
    assert.equal(await redis.client.unlink(b, c, missing), 2);
    assert.equal(await redis.client.exists(a, b, c), 0);
  });

  test('expire sets a timeout that ttl and pttl report, as numbers', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'v');
    assert.equal(await redis.client.ttl(key), -1);
    assert.equal(await redis.client.expire(key, 100), true);
    const ttl = await redis.client.ttl(key);
    assert.ok(ttl === 100 || ttl === 99, `ttl ${ttl}`);
    const pttl = await redis.client.pttl(key);
    assert.ok(pttl > 98_000 && pttl <= 100_000, `pttl ${pttl}`);
    assert.equal(await redis.client.ttl(uniqueKey('missing')), -2);
    assert.equal(await redis.client.pttl(uniqueKey('missing')), -2);
    assert.equal(await redis.client.expire(uniqueKey('missing'), 10), false);
  });

  test('expire conditions NX, XX, GT and LT resolve false when not met', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'v');
    assert.equal(await redis.client.expire(key, 100, 'XX'), false);
    assert.equal(await redis.client.expire(key, 100, 'NX'), true);
    assert.equal(await redis.client.expire(key, 200, 'NX'), false);
    assert.equal(await redis.client.expire(key, 50, 'GT'), false);
    assert.equal(await redis.client.expire(key, 300, 'GT'), true);
    assert.equal(await redis.client.pexpire(key, 400_000, 'LT'), false);
    assert.equal(await redis.client.pexpire(key, 5_000, 'LT'), true);
    const pttl = await redis.client.pttl(key);
    assert.ok(pttl > 3_000 && pttl <= 5_000, `pttl ${pttl}`);
  });

  test('expire refuses an unknown condition before sending', async () => {
    await assert.rejects(
      redis.client.expire(uniqueKey(), 10, 'YES' as never),
      argumentError(/^EXPIRE: condition/),
    );
    await assert.rejects(
      redis.client.pexpireat(uniqueKey(), 10, 'nx' as never),
      argumentError(/^PEXPIREAT:/),
    );
  });

  test('expireat and pexpireat set the times expiretime and pexpiretime report', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'v');
    const at = Math.floor(Date.now() / 1000) + 1000;
    assert.equal(await redis.client.expireat(key, at), true);
    assert.equal(await redis.client.expiretime(key), at);
    assert.equal(await redis.client.pexpireat(key, at * 1000 + 123), true);
    assert.equal(await redis.client.pexpiretime(key), at * 1000 + 123);
    assert.equal(await redis.client.expireat(key, at + 10, 'LT'), false);
    assert.equal(await redis.client.expiretime(uniqueKey('missing')), -2);
    assert.equal(await redis.client.pexpiretime(uniqueKey('missing')), -2);
  });

  test('persist removes a timeout once', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'v', { ex: 100 });
    assert.equal(await redis.client.persist(key), true);
    assert.equal(await redis.client.persist(key), false);
    assert.equal(await redis.client.ttl(key), -1);
    assert.equal(await redis.client.expiretime(key), -1);
  });

  test('type names the type of each kind of value', async () => {
    const [str, list, hash, set, zset, missing] = taggedKeys(6);
    await redis.client.set(str, 'v');
    await redis.client.rpush(list, 'a');
    await redis.client.hset(hash, { f: 'v' });
    await redis.client.sadd(set, 'm');
    await redis.client.zadd(zset, { m: 1 });
    const types = [];
    for (const key of [str, list, hash, set, zset, missing]) types.push(await redis.client.type(key));
    assert.deepEqual(types, ['string', 'list', 'hash', 'set', 'zset', 'none']);
  });

  test('rename moves a key; renamenx refuses to overwrite', async () => {
    const [a, b, c] = taggedKeys(3);
    await redis.client.set(a, '1');
    await redis.client.set(c, '3');
    assert.equal(await redis.client.rename(a, b), 'OK');
    assert.equal(await redis.client.get(b), '1');
    assert.equal(await redis.client.renamenx(b, c), false);
    assert.equal(await redis.client.renamenx(b, a), true);
    assert.equal(await redis.client.get(a), '1');
    await assert.rejects(redis.client.rename(uniqueKey('missing'), b), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'ERR');
      return true;
    });
  });

  test('touch counts the keys that exist', async () => {
    const [a, b, missing] = taggedKeys(3);
    await redis.client.mset({ [a]: '1', [b]: '2' });
    assert.equal(await redis.client.touch(a, b, missing), 2);
  });

  test('copy copies unless the destination exists, or with replace, or into another db', async () => {
    const [source, destination] = taggedKeys(2);
    await redis.client.set(source, 'one');
    assert.equal(await redis.client.copy(source, destination), true);
    await redis.client.set(source, 'two');
    assert.equal(await redis.client.copy(source, destination), false);
    assert.equal(await redis.client.get(destination), 'one');
    assert.equal(await redis.client.copy(source, destination, { replace: true }), true);
    assert.equal(await redis.client.get(destination), 'two');
    assert.equal(await redis.client.copy(source, destination, { db: 1 }), true);
    const other = await redis.newClient({ db: 1 });
    assert.equal(await other.get(destination), 'two');
  });

  test('copy refuses a db that is not a non-negative integer', async () => {
    await assert.rejects(redis.client.copy('a', 'b', { db: -1 }), argumentError(/^COPY: db/));
    await assert.rejects(redis.client.copy('a', 'b', { db: 1.5 }), argumentError(/^COPY: db/));
  });

  test('randomkey returns a key, or null in an empty database', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'v');
    assert.equal(typeof (await redis.client.randomkey()), 'string');
    const empty = await redis.newClient({ db: 9 });
    assert.equal(await empty.randomkey(), null);
  });

  test('keys lists the keys matching a pattern', async () => {
    const prefix = uniqueKey('keys');
    await redis.client.mset({ [`${prefix}:a`]: '1', [`${prefix}:b`]: '2', [`${prefix}x`]: '3' });
    const found = await redis.client.keys(`${prefix}:*`);
    assert.deepEqual(found.sort(), [`${prefix}:a`, `${prefix}:b`]);
    assert.deepEqual(await redis.client.keys(`${prefix}:nothing*`), []);
  });

  test('scan pages through matching keys with a string cursor until it is "0"', async () => {
    const prefix = uniqueKey('scan');
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) expected.push(`${prefix}:${i}`);
    await redis.client.mset(expected.map((key): [string, string] => [key, 'v']));
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await redis.client.scan(cursor, { match: `${prefix}:*`, count: 10 });
      assert.deepEqual(Object.keys(page), ['cursor', 'keys']);
      assert.equal(typeof page.cursor, 'string');
      assert.ok(Array.isArray(page.keys));
      for (const key of page.keys) seen.add(key);
      cursor = page.cursor;
      pages++;
    } while (cursor !== '0');
    assert.ok(pages > 1, 'the scan took more than one page');
    assert.deepEqual([...seen].sort(), expected.sort());
  });

  test('scan filters by type', async () => {
    const prefix = uniqueKey('scantype');
    await redis.client.set(`${prefix}:string`, 'v');
    await redis.client.hset(`${prefix}:hash`, { f: 'v' });
    const seen: string[] = [];
    let cursor = '0';
    do {
      const page = await redis.client.scan(cursor, { match: `${prefix}:*`, count: 1000, type: 'hash' });
      seen.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== '0');
    assert.deepEqual(seen, [`${prefix}:hash`]);
  });

  test('scan cursors stay strings on a buffers view', async () => {
    const page = await redis.client.withOptions({ buffers: true }).scan(0, { count: 1000 });
    assert.equal(typeof page.cursor, 'string');
    for (const key of page.keys) assert.ok(Buffer.isBuffer(key));
  });

  test('scan refuses a count that is not a positive integer', async () => {
    await assert.rejects(redis.client.scan(0, { count: 0 }), argumentError(/^SCAN: count/));
    await assert.rejects(redis.client.scan(0, { count: 2.5 }), argumentError(/^SCAN: count/));
  });

  test('dump returns a Buffer that restore turns back into the value', async () => {
    const [source, copy] = taggedKeys(2);
    await redis.client.rpush(source, 'a', 'b', 'c');
    const payload = await redis.client.dump(source);
    assert.ok(Buffer.isBuffer(payload));
    assert.equal(await redis.client.restore(copy, 0, payload!), 'OK');
    assert.deepEqual(await redis.client.lrange(copy, 0, -1), ['a', 'b', 'c']);
    assert.equal(await redis.client.ttl(copy), -1);
    assert.equal(await redis.client.dump(uniqueKey('missing')), null);
  });

  test('restore refuses an existing key unless replace; applies ttl, absttl and idletime', async () => {
    const [source, target] = taggedKeys(2);
    await redis.client.set(source, 'value');
    await redis.client.set(target, 'old');
    const payload = (await redis.client.dump(source))!;
    await assert.rejects(redis.client.restore(target, 0, payload), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'BUSYKEY');
      return true;
    });
    assert.equal(
      await redis.client.restore(target, 50_000, payload, { replace: true, idletime: 1000 }),
      'OK',
    );
    // Before any read: reading the key resets its idle time.
    assert.ok((await redis.client.objectIdletime(target))! >= 1000);
    assert.equal(await redis.client.get(target), 'value');
    const pttl = await redis.client.pttl(target);
    assert.ok(pttl > 45_000 && pttl <= 50_000, `pttl ${pttl}`);
    const at = Date.now() + 100_000;
    assert.equal(await redis.client.restore(target, at, payload, { replace: true, absttl: true }), 'OK');
    assert.equal(await redis.client.pexpiretime(target), at);
  });

  test('restore refuses idletime together with freq, and out-of-range values', async () => {
    const payload = Buffer.from('x');
    await assert.rejects(
      redis.client.restore('k', 0, payload, { idletime: 1, freq: 1 }),
      argumentError(/^RESTORE: idletime and freq/),
    );
    await assert.rejects(
      redis.client.restore('k', 0, payload, { freq: 256 }),
      argumentError(/^RESTORE: freq/),
    );
    await assert.rejects(
      redis.client.restore('k', 0, payload, { idletime: -1 }),
      argumentError(/^RESTORE: idletime/),
    );
  });

  test('object subcommands describe a key, or return null for a missing one', async () => {
    const [text, number, missing] = taggedKeys(3);
    await redis.client.set(text, 'abc');
    await redis.client.set(number, '12345');
    assert.equal(await redis.client.objectEncoding(text), 'embstr');
    assert.equal(await redis.client.objectEncoding(number), 'int');
    assert.equal(typeof (await redis.client.objectRefcount(text)), 'number');
    assert.equal(typeof (await redis.client.objectIdletime(text)), 'number');
    assert.equal(await redis.client.objectEncoding(missing), null);
    assert.equal(await redis.client.objectRefcount(missing), null);
    assert.equal(await redis.client.objectIdletime(missing), null);
    await assert.rejects(redis.client.objectFreq(text), ReplyError);
  });

  test('watch and unwatch reply OK', async () => {
    const [a, b] = taggedKeys(2);
    const own = await redis.newClient();
    assert.equal(await own.watch(a, b), 'OK');
    assert.equal(await own.unwatch(), 'OK');
  });
});

forEachProtocol(
  (redis) => {
    test('objectFreq reports the access frequency under an LFU policy', async () => {
      const key = uniqueKey();
      await redis.client.set(key, 'v');
      const freq = await redis.client.objectFreq(key);
      assert.equal(typeof freq, 'number');
      assert.equal(await redis.client.objectFreq(uniqueKey('missing')), null);
    });
  },
  { config: { 'maxmemory-policy': 'allkeys-lfu' } },
);

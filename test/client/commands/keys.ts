import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplyError } from '../../../src/errors.js';
import { slotOf } from '../../../src/index.js';
import { keyOwnedBy } from '../../cluster/cluster-helpers.js';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** A ReplyError with `code` whose message matches `message`, for `assert.rejects`. */
function replyError(code: string, message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ReplyError, `expected a ReplyError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  };
}

/**
 * The keys among `keys` that a keyless command (SCAN, RANDOMKEY) can see: all of them on a
 * server; on a cluster only those of the primary serving slot 0, which answers keyless commands.
 */
async function seenByKeyless(target: Target, keys: string[]): Promise<string[]> {
  if (target.kind === 'standalone') return keys;
  const owner = target.cluster.cluster.primaries[0].port;
  const ranges = (await target.cluster.slotRanges()).get(owner) ?? [];
  return keys.filter((key) => ranges.some(([start, end]) => slotOf(key) >= start && slotOf(key) <= end));
}

/** A fresh `{hash tag}` whose keys a keyless command sees on either kind of target. */
async function keylessTag(target: Target, prefix: string): Promise<string> {
  if (target.kind === 'standalone') return `{${target.uniqueKey(prefix)}}`;
  return `{${await keyOwnedBy(target.cluster, target.cluster.cluster.primaries[0], prefix)}}`;
}

/** The generic key commands, on `target`. */
export function keyTests(target: Target): void {
  test('exists counts existing keys, a key named twice twice', async () => {
    const [a, b, missing] = target.sameSlot(3);
    await target.client.set(a, '1');
    await target.client.set(b, '2');
    assert.equal(await target.client.exists(a, b, missing), 2);
    assert.equal(await target.client.exists(a, a), 2);
    assert.equal(await target.client.exists(missing), 0);
  });

  test('del and unlink return how many keys they removed', async () => {
    const [a, b, c, missing] = target.sameSlot(4);
    await target.client.mset({ [a]: '1', [b]: '2', [c]: '3' });
    assert.equal(await target.client.del(a, missing), 1);
    assert.equal(await target.client.unlink(b, c, missing), 2);
    assert.equal(await target.client.exists(a, b, c), 0);
  });

  test('expire sets a timeout that ttl and pttl report, as numbers', async () => {
    const key = target.uniqueKey();
    await target.client.set(key, 'v');
    assert.equal(await target.client.ttl(key), -1);
    assert.equal(await target.client.expire(key, 100), true);
    const ttl = await target.client.ttl(key);
    assert.ok(ttl === 100 || ttl === 99, `ttl ${ttl}`);
    const pttl = await target.client.pttl(key);
    assert.ok(pttl > 98_000 && pttl <= 100_000, `pttl ${pttl}`);
    assert.equal(await target.client.ttl(target.uniqueKey('missing')), -2);
    assert.equal(await target.client.pttl(target.uniqueKey('missing')), -2);
    assert.equal(await target.client.expire(target.uniqueKey('missing'), 10), false);
  });

  test('expire conditions NX, XX, GT and LT resolve false when not met', async () => {
    const key = target.uniqueKey();
    await target.client.set(key, 'v');
    assert.equal(await target.client.expire(key, 100, 'XX'), false);
    assert.equal(await target.client.expire(key, 100, 'NX'), true);
    assert.equal(await target.client.expire(key, 200, 'NX'), false);
    assert.equal(await target.client.expire(key, 50, 'GT'), false);
    assert.equal(await target.client.expire(key, 300, 'GT'), true);
    assert.equal(await target.client.pexpire(key, 400_000, 'LT'), false);
    assert.equal(await target.client.pexpire(key, 5_000, 'LT'), true);
    const pttl = await target.client.pttl(key);
    assert.ok(pttl > 3_000 && pttl <= 5_000, `pttl ${pttl}`);
  });

  test('expire refuses an unknown condition before sending', async () => {
    await assert.rejects(
      target.client.expire(target.uniqueKey(), 10, 'YES' as never),
      argumentError(/^EXPIRE: condition/),
    );
    await assert.rejects(
      target.client.pexpireat(target.uniqueKey(), 10, 'nx' as never),
      argumentError(/^PEXPIREAT:/),
    );
  });

  test('expireat and pexpireat set the times expiretime and pexpiretime report', async () => {
    const key = target.uniqueKey();
    await target.client.set(key, 'v');
    const at = Math.floor(Date.now() / 1000) + 1000;
    assert.equal(await target.client.expireat(key, at), true);
    assert.equal(await target.client.expiretime(key), at);
    assert.equal(await target.client.pexpireat(key, at * 1000 + 123), true);
    assert.equal(await target.client.pexpiretime(key), at * 1000 + 123);
    assert.equal(await target.client.expireat(key, at + 10, 'LT'), false);
    assert.equal(await target.client.expiretime(target.uniqueKey('missing')), -2);
    assert.equal(await target.client.pexpiretime(target.uniqueKey('missing')), -2);
  });

  test('persist removes a timeout once', async () => {
    const key = target.uniqueKey();
    await target.client.set(key, 'v', { ex: 100 });
    assert.equal(await target.client.persist(key), true);
    assert.equal(await target.client.persist(key), false);
    assert.equal(await target.client.ttl(key), -1);
    assert.equal(await target.client.expiretime(key), -1);
  });

  test('type names the type of each kind of value', async () => {
    const [str, list, hash, set, zset, missing] = target.sameSlot(6);
    await target.client.set(str, 'v');
    await target.client.rpush(list, 'a');
    await target.client.hset(hash, { f: 'v' });
    await target.client.sadd(set, 'm');
    await target.client.zadd(zset, { m: 1 });
    const types = [];
    for (const key of [str, list, hash, set, zset, missing]) types.push(await target.client.type(key));
    assert.deepEqual(types, ['string', 'list', 'hash', 'set', 'zset', 'none']);
  });

  test('rename moves a key; renamenx refuses to overwrite', async () => {
    const [a, b, c, missing] = target.sameSlot(4);
    await target.client.set(a, '1');
    await target.client.set(c, '3');
    assert.equal(await target.client.rename(a, b), 'OK');
    assert.equal(await target.client.get(b), '1');
    assert.equal(await target.client.renamenx(b, c), false);
    assert.equal(await target.client.renamenx(b, a), true);
    assert.equal(await target.client.get(a), '1');
    await assert.rejects(target.client.rename(missing, b), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'ERR');
      return true;
    });
  });

  test('touch counts the keys that exist', async () => {
    const [a, b, missing] = target.sameSlot(3);
    await target.client.mset({ [a]: '1', [b]: '2' });
    assert.equal(await target.client.touch(a, b, missing), 2);
  });

  test('copy copies unless the destination exists, or with replace', async () => {
    const [source, destination] = target.sameSlot(2);
    await target.client.set(source, 'one');
    assert.equal(await target.client.copy(source, destination), true);
    await target.client.set(source, 'two');
    assert.equal(await target.client.copy(source, destination), false);
    assert.equal(await target.client.get(destination), 'one');
    assert.equal(await target.client.copy(source, destination, { replace: true }), true);
    assert.equal(await target.client.get(destination), 'two');
  });

  test('copy into another db: copied on a server; a cluster, which has only db 0, refuses it', async () => {
    const [source, destination] = target.sameSlot(2);
    await target.client.set(source, 'value');
    if (target.kind === 'cluster') {
      await assert.rejects(
        target.client.copy(source, destination, { db: 1 }),
        replyError('ERR', /not allowed in cluster mode/),
      );
      assert.equal(await target.client.exists(destination), 0);
      return;
    }
    assert.equal(await target.client.copy(source, destination, { db: 1 }), true);
    const other = await target.newClient({ db: 1 });
    assert.equal(await other.get(destination), 'value');
    assert.equal(await target.client.exists(destination), 0);
  });

  test('copy refuses a db that is not a non-negative integer', async () => {
    await assert.rejects(target.client.copy('a', 'b', { db: -1 }), argumentError(/^COPY: db/));
    await assert.rejects(target.client.copy('a', 'b', { db: 1.5 }), argumentError(/^COPY: db/));
  });

  test('randomkey returns a key, or null in an empty database', async () => {
    if (target.kind === 'cluster') {
      // Keyless, so answered by the primary serving slot 0: one of its keys (every db 0 is shared).
      const { primaries } = target.cluster.cluster;
      await target.client.set(await keyOwnedBy(target.cluster, primaries[0], 'random'), 'v');
      const key = await target.client.randomkey();
      assert.equal(typeof key, 'string');
      assert.equal((await target.cluster.ownerOf(slotOf(key!))).port, primaries[0].port);
      return;
    }
    await target.client.set(target.uniqueKey(), 'v');
    assert.equal(typeof (await target.client.randomkey()), 'string');
    const empty = await target.newClient({ db: 9 });
    assert.equal(await empty.randomkey(), null);
  });

  test('keys lists the keys matching a pattern, from every primary of a cluster', async () => {
    // On a cluster these keys are on every primary.
    const keys = await target.spread(6, 'keys');
    const prefix = keys[0].slice(0, keys[0].lastIndexOf(':'));
    await Promise.all([...keys, `${prefix}x`].map((key) => target.client.set(key, 'v')));
    const found = await target.client.keys(`${prefix}:*`);
    assert.deepEqual(found.sort(), keys.sort());
    assert.deepEqual(await target.client.keys(`${prefix}:nothing*`), []);
  });

  test('scan pages through matching keys with a string cursor until it is "0"; refused on a cluster', async () => {
    if (target.kind === 'cluster') {
      // One page would cover one primary and look complete: refused, pointing to scanIterator.
      await assert.rejects(target.client.scan(0), argumentError(/scanIterator/));
      return;
    }
    const written = await target.spread(40, 'scan');
    const prefix = written[0].slice(0, written[0].lastIndexOf(':'));
    await Promise.all(written.map((key) => target.client.set(key, 'v')));
    const expected = await seenByKeyless(target, written);
    const seen = new Set<string>();
    let cursor = '0';
    let pages = 0;
    do {
      const page = await target.client.scan(cursor, { match: `${prefix}:*`, count: 10 });
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
    if (target.kind === 'cluster') {
      // One page would cover one primary and look complete: refused, pointing to scanIterator.
      await assert.rejects(target.client.scan(0), argumentError(/scanIterator/));
      return;
    }
    const prefix = await keylessTag(target, 'scantype');
    await target.client.set(`${prefix}:string`, 'v');
    await target.client.hset(`${prefix}:hash`, { f: 'v' });
    const seen: string[] = [];
    let cursor = '0';
    do {
      const page = await target.client.scan(cursor, { match: `${prefix}:*`, count: 1000, type: 'hash' });
      seen.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== '0');
    assert.deepEqual(seen, [`${prefix}:hash`]);
  });

  test('scan cursors stay strings on a buffers view', async () => {
    if (target.kind === 'cluster') {
      // One page would cover one primary and look complete: refused, pointing to scanIterator.
      await assert.rejects(target.client.scan(0), argumentError(/scanIterator/));
      return;
    }
    const page = await target.client.withOptions({ buffers: true }).scan(0, { count: 1000 });
    assert.equal(typeof page.cursor, 'string');
    for (const key of page.keys) assert.ok(Buffer.isBuffer(key));
  });

  test('scan refuses a count that is not a positive integer', async () => {
    await assert.rejects(target.client.scan(0, { count: 0 }), argumentError(/^SCAN: count/));
    await assert.rejects(target.client.scan(0, { count: 2.5 }), argumentError(/^SCAN: count/));
  });

  test('dump returns a Buffer that restore turns back into the value', async () => {
    const [source, copy] = target.sameSlot(2);
    await target.client.rpush(source, 'a', 'b', 'c');
    const payload = await target.client.dump(source);
    assert.ok(Buffer.isBuffer(payload));
    assert.equal(await target.client.restore(copy, 0, payload!), 'OK');
    assert.deepEqual(await target.client.lrange(copy, 0, -1), ['a', 'b', 'c']);
    assert.equal(await target.client.ttl(copy), -1);
    assert.equal(await target.client.dump(target.uniqueKey('missing')), null);
  });

  test('restore refuses an existing key unless replace; applies ttl, absttl and idletime', async () => {
    const [source, restored] = target.sameSlot(2);
    await target.client.set(source, 'value');
    await target.client.set(restored, 'old');
    const payload = (await target.client.dump(source))!;
    await assert.rejects(target.client.restore(restored, 0, payload), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'BUSYKEY');
      return true;
    });
    assert.equal(
      await target.client.restore(restored, 50_000, payload, { replace: true, idletime: 1000 }),
      'OK',
    );
    // Before any read: reading the key resets its idle time.
    assert.ok((await target.client.objectIdletime(restored))! >= 1000);
    assert.equal(await target.client.get(restored), 'value');
    const pttl = await target.client.pttl(restored);
    assert.ok(pttl > 45_000 && pttl <= 50_000, `pttl ${pttl}`);
    const at = Date.now() + 100_000;
    assert.equal(await target.client.restore(restored, at, payload, { replace: true, absttl: true }), 'OK');
    assert.equal(await target.client.pexpiretime(restored), at);
  });

  test('restore refuses idletime together with freq, and out-of-range values', async () => {
    const payload = Buffer.from('x');
    await assert.rejects(
      target.client.restore('k', 0, payload, { idletime: 1, freq: 1 }),
      argumentError(/^RESTORE: idletime and freq/),
    );
    await assert.rejects(
      target.client.restore('k', 0, payload, { freq: 256 }),
      argumentError(/^RESTORE: freq/),
    );
    await assert.rejects(
      target.client.restore('k', 0, payload, { idletime: -1 }),
      argumentError(/^RESTORE: idletime/),
    );
  });

  test('object subcommands describe a key, or return null for a missing one', async () => {
    const [text, number, missing] = target.sameSlot(3);
    await target.client.set(text, 'abc');
    await target.client.set(number, '12345');
    assert.equal(await target.client.objectEncoding(text), 'embstr');
    assert.equal(await target.client.objectEncoding(number), 'int');
    assert.equal(typeof (await target.client.objectRefcount(text)), 'number');
    assert.equal(typeof (await target.client.objectIdletime(text)), 'number');
    assert.equal(await target.client.objectEncoding(missing), null);
    assert.equal(await target.client.objectRefcount(missing), null);
    assert.equal(await target.client.objectIdletime(missing), null);
    await assert.rejects(target.client.objectFreq(text), ReplyError);
  });

  test('watch and unwatch reply OK', async () => {
    const [a, b] = target.sameSlot(2);
    const own = await target.newClient();
    assert.equal(await own.watch(a, b), 'OK');
    assert.equal(await own.unwatch(), 'OK');
  });

  test('objectFreq reports the access frequency under an LFU policy', async () => {
    // The policy is per node: set on every node that holds data, and put back after.
    const nodes = await target.eachNode();
    await Promise.all(nodes.map((node) => node.configSet({ 'maxmemory-policy': 'allkeys-lfu' })));
    try {
      const key = target.uniqueKey();
      await target.client.set(key, 'v');
      const freq = await target.client.objectFreq(key);
      assert.equal(typeof freq, 'number');
      assert.equal(await target.client.objectFreq(target.uniqueKey('missing')), null);
    } finally {
      await Promise.all(nodes.map((node) => node.configSet({ 'maxmemory-policy': 'noeviction' })));
    }
  });
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachProtocol, uniqueKey } from '../helpers.js';

// The values a buffers view answers with, on real servers: what test/fixtures/buffer-types-ok.ts
// declares at compile time. Blob strings are Buffers; simple strings (OK, PONG, TYPE's answer)
// and the cursors redmoon builds stay strings.

forEachProtocol((redis) => {
  test('blob-string replies are Buffers, inside arrays, objects and tuples too', async () => {
    const view = redis.client.withOptions({ buffers: true });
    const key = uniqueKey();
    await redis.client.hset(`${key}:h`, { f: 'v', g: 'w' });
    await redis.client.rpush(`${key}:l`, 'a', 'b');
    await redis.client.zadd(`${key}:z`, [{ score: 1, member: 'm' }]);
    await redis.client.set(key, 'v');

    assert.deepEqual(await view.get(key), Buffer.from('v'));
    assert.deepEqual(await view.mget(key, `${key}:missing`), [Buffer.from('v'), null]);
    const hash = await view.hgetall(`${key}:h`);
    assert.deepEqual(Object.keys(hash).sort(), ['f', 'g']);
    assert.deepEqual(hash.f, Buffer.from('v'));
    assert.deepEqual(await view.lrange(`${key}:l`, 0, -1), [Buffer.from('a'), Buffer.from('b')]);
    const [pair] = await view.hrandfieldWithValues(`${key}:h`, 1);
    assert.ok(Buffer.isBuffer(pair[0]) && Buffer.isBuffer(pair[1]));
    assert.deepEqual(await view.zrangeWithScores(`${key}:z`, 0, -1), [
      { member: Buffer.from('m'), score: 1 },
    ]);
    assert.deepEqual(await view.blpop(`${key}:l`, 1), [Buffer.from(`${key}:l`), Buffer.from('a')]);
    assert.deepEqual(await view.set(key, 'new', { get: true }), Buffer.from('v'));
    assert.deepEqual(await view.ping('hello'), Buffer.from('hello'));
  });

  test('simple strings and cursors stay strings on a buffers view', async () => {
    const view = redis.client.withOptions({ buffers: true });
    const key = uniqueKey();
    assert.equal(await view.set(key, 'v'), 'OK');
    assert.equal(await view.ping(), 'PONG');
    assert.equal(await view.type(key), 'string');
    assert.equal(await view.rename(key, `${key}:renamed`), 'OK');
    const page = await view.scan(0, { match: `${key}*`, count: 1000 });
    assert.equal(typeof page.cursor, 'string');
    assert.ok(page.keys.every((found) => Buffer.isBuffer(found)));
  });

  test('pipelines and transactions of a buffers view answer with Buffers', async () => {
    const view = redis.client.withOptions({ buffers: true });
    const key = uniqueKey();
    await redis.client.set(key, 'v');
    const pipe = view.pipeline();
    const queued = pipe.get(key);
    assert.deepEqual(await pipe.exec(), [Buffer.from('v')]);
    assert.deepEqual(await queued, Buffer.from('v'));
    const tx = view.multi();
    const inTx = tx.get(key);
    await tx.exec();
    assert.deepEqual(await inTx, Buffer.from('v'));
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { forEachProtocol, uniqueKey } from '../helpers.js';

forEachProtocol((redis) => {
  test('integers outside the safe range come back exact as bigint', async () => {
    const key = uniqueKey();
    await redis.client.set(key, '9007199254740991');
    assert.equal(await redis.client.incr(key), 9007199254740992n);
    assert.equal(
      await redis.client.incrby(key, 9223372036854775000n - 9007199254740992n),
      9223372036854775000n,
    );
    assert.equal(await redis.client.decrby(key, 9223372036854775000n), 0);
    assert.equal(await redis.client.incrby(key, -9223372036854775807n), -9223372036854775807n);
  });

  test('small integers are plain numbers', async () => {
    const key = uniqueKey();
    assert.equal(await redis.client.incr(key), 1);
    assert.equal(typeof (await redis.client.incr(key)), 'number');
  });

  test('binary values round-trip as Buffers when asked for', async () => {
    const key = uniqueKey();
    const value = Buffer.from([0, 255, 13, 10, 36, 42, 0xc3, 0x28, 7]);
    await redis.client.set(key, value);
    const raw = await redis.client.withOptions({ buffers: true }).get(key);
    assert.ok(Buffer.isBuffer(raw));
    assert.deepEqual(raw, value);
    assert.equal(typeof (await redis.client.get(key)), 'string');
    assert.deepEqual(await redis.client.withOptions({ buffers: true }).call('GET', key), value);
  });

  test('binary keys work', async () => {
    const key = Buffer.concat([Buffer.from(uniqueKey()), Buffer.from([0, 1, 2, 255])]);
    await redis.client.set(key, 'v');
    assert.equal(await redis.client.get(key), 'v');
    assert.equal(await redis.client.get(Buffer.concat([key, Buffer.from([0])])), null);
  });

  test('UTF-8 strings keep their characters', async () => {
    const key = uniqueKey('ключ');
    const value = 'héllo wörld — 你好 🌙'.repeat(3);
    await redis.client.set(key, value);
    assert.equal(await redis.client.get(key), value);
    assert.equal(await redis.client.strlen(key), Buffer.byteLength(value));
  });

  test('numbers encode exactly: floats, negatives, infinities', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 10);
    assert.equal(await redis.client.incrbyfloat(key, 0.5), 10.5);
    assert.equal(await redis.client.incrbyfloat(key, -20), -9.5);
    assert.equal(await redis.client.call('ECHO', Number.POSITIVE_INFINITY), '+inf');
  });

  test('a 64 MiB value round-trips intact', async () => {
    const key = uniqueKey();
    const value = randomBytes(64 * 1024 * 1024);
    assert.equal(await redis.client.set(key, value), 'OK');
    const back = await redis.client.withOptions({ buffers: true }).get(key);
    assert.ok(Buffer.isBuffer(back));
    assert.equal(back.length, value.length);
    assert.ok(back.equals(value));
    await redis.client.call('DEL', key);
  });

  test('a 20 MiB string value round-trips intact', async () => {
    const key = uniqueKey();
    const value = 'abcdefghij'.repeat(2 * 1024 * 1024);
    await redis.client.set(key, value);
    assert.equal(await redis.client.get(key), value);
    await redis.client.call('DEL', key);
  });

  test('call() returns nil as null, arrays as arrays, errors as ReplyError', async () => {
    assert.equal(await redis.client.call('GET', uniqueKey()), null);
    assert.deepEqual(await redis.client.call('MGET', uniqueKey(), uniqueKey()), [null, null]);
    await assert.rejects(redis.client.call('NOSUCHCOMMAND'), {
      name: 'ReplyError',
      code: 'ERR',
      command: 'NOSUCHCOMMAND',
    });
    const key = uniqueKey();
    await redis.client.call('LPUSH', key, 'x');
    await assert.rejects(redis.client.call('GET', key), {
      code: 'WRONGTYPE',
      command: 'GET',
      mayHaveRun: false,
    });
  });

  test('RESP3 maps are Maps and RESP2 the flat arrays they come as, through call()', async () => {
    const key = uniqueKey();
    await redis.client.call('HSET', key, 'a', '1');
    const reply = await redis.client.call('HGETALL', key);
    if (redis.resp === 3) assert.deepEqual(reply, new Map([['a', '1']]));
    else assert.deepEqual(reply, ['a', '1']);
  });
});

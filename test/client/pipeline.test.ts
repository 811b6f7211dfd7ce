import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ReplyError } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

forEachProtocol((redis) => {
  test('a pipeline resolves each command on its own and exec() gives them in order', async () => {
    const key = uniqueKey();
    const pipe = redis.client.pipeline();
    const set = pipe.set(key, 5);
    const incr = pipe.incr(key);
    const get = pipe.get(key);
    assert.equal(pipe.length, 3);
    assert.deepEqual(await pipe.exec(), ['OK', 6, '6']);
    assert.equal(await set, 'OK');
    assert.equal(await incr, 6);
    assert.equal(await get, '6');
  });

  test('an error reply in the middle of a pipeline fails that command only', async () => {
    const key = uniqueKey();
    const list = uniqueKey();
    await redis.client.call('LPUSH', list, 'x');
    const pipe = redis.client.pipeline();
    pipe.set(key, 1);
    const failing = pipe.incr(list);
    pipe.incr(key);
    const results = await pipe.exec();
    assert.equal(results[0], 'OK');
    assert.ok(results[1] instanceof ReplyError);
    assert.equal((results[1] as ReplyError).code, 'WRONGTYPE');
    assert.equal(results[2], 2);
    await assert.rejects(failing, { code: 'WRONGTYPE' });
  });

  test('a refused argument refuses the whole pipeline before anything is sent', async () => {
    const key = uniqueKey();
    const pipe = redis.client.pipeline();
    pipe.set(key, 1);
    pipe.set(key, undefined as unknown as string);
    await assert.rejects(pipe.exec(), ArgumentError);
    assert.equal(await redis.client.get(key), null);
  });

  test('a pipeline cannot be executed twice', async () => {
    const pipe = redis.client.pipeline();
    pipe.call('PING');
    await pipe.exec();
    await assert.rejects(pipe.exec(), /already executed/);
  });

  test('an empty pipeline resolves to an empty list', async () => {
    assert.deepEqual(await redis.client.pipeline().exec(), []);
  });
});

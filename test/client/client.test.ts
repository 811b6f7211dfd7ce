import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachProtocol, uniqueKey } from '../helpers.js';

forEachProtocol((redis) => {
  test('sets and gets a string', async () => {
    const key = uniqueKey();
    assert.equal(await redis.client.set(key, 'hello'), 'OK');
    assert.equal(await redis.client.get(key), 'hello');
    assert.equal(redis.client.resp, redis.resp);
  });
});

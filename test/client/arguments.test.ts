import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Client } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

const BAD_VALUES: Array<[string, unknown, RegExp]> = [
  ['undefined', undefined, /argument 2 is undefined/],
  ['null', null, /argument 2 is null/],
  ['NaN', Number.NaN, /argument 2 is NaN/],
  ['an object', { a: 1 }, /argument 2 is an object/],
  ['an array', [1], /argument 2 is an array/],
  ['a boolean', true, /argument 2 is a boolean/],
  ['a function', () => 1, /argument 2 is a function/],
  ['a symbol', Symbol('s'), /argument 2 is a symbol/],
];

forEachProtocol((redis) => {
  for (const [label, value, message] of BAD_VALUES) {
    test(`refuses ${label} as an argument before sending, naming it, and stays usable`, async () => {
      const key = uniqueKey();
      await assert.rejects(redis.client.set(key, value as string), (error: unknown) => {
        assert.ok(error instanceof ArgumentError);
        assert.equal(error.code, 'ERR_ARGUMENT');
        assert.equal(error.mayHaveRun, false);
        assert.match(error.message, /^SET: /);
        assert.match(error.message, message);
        return true;
      });
      assert.equal(await redis.client.get(key), null);
      assert.equal(await redis.client.call('PING'), 'PONG');
    });
  }

  test('refuses a bad argument through call() too', async () => {
    await assert.rejects(
      redis.client.call('SET', 'k', undefined as unknown as string),
      /SET: argument 2 is undefined/,
    );
    await assert.rejects(redis.client.call('ECHO', null as unknown as string), ArgumentError);
  });

  test('refuses non-string and empty command names', async () => {
    for (const name of [undefined, null, 42, '', 'GET X', {}]) {
      await assert.rejects(redis.client.call(name as string), ArgumentError);
    }
  });

  test('refuses commands that would break a shared connection', async () => {
    await assert.rejects(redis.client.call('SUBSCRIBE', 'news'), /dedicated connection/);
    await assert.rejects(redis.client.call('select', 1), /db/);
    await assert.rejects(redis.client.call('MULTI'), /client\.multi\(\)/);
    assert.equal(await redis.client.call('PING'), 'PONG');
  });

  test('refuses a bad SET option', async () => {
    await assert.rejects(
      redis.client.set('k', 'v', { condition: 'YES' as 'NX' }),
      /condition must be 'NX' or 'XX'/,
    );
  });

  test('a refused call between good ones leaves the others intact', async () => {
    const key = uniqueKey();
    const calls = [
      redis.client.set(key, 1),
      redis.client.set(key, undefined as unknown as string),
      redis.client.incr(key),
    ];
    const results = await Promise.allSettled(calls);
    assert.deepEqual(results[0], { status: 'fulfilled', value: 'OK' });
    assert.equal(results[1].status, 'rejected');
    assert.deepEqual(results[2], { status: 'fulfilled', value: 2 });
  });
});

test('refuses bad client options with the option named and no password shown', () => {
  assert.throws(() => new Client({ port: 70000 }), /port must be an integer from 1 to 65535/);
  assert.throws(() => new Client({ resp: 4 as 3 }), /resp must be 2 or 3/);
  assert.throws(() => new Client({ db: -1 }), /db must be/);
  assert.throws(() => new Client({ url: 'http://x' }), /redis:\/\/ or rediss:\/\//);
  assert.throws(
    () => new Client({ url: 'redis://u:hunter2@host:99999' }),
    (error: unknown) => {
      assert.ok(error instanceof ArgumentError);
      assert.ok(!String((error as Error).message).includes('hunter2'));
      return true;
    },
  );
});

test('a command before connect() fails with NOT_CONNECTED, not run', async () => {
  const client = new Client({ port: 1 });
  await assert.rejects(client.get('k'), { code: 'NOT_CONNECTED', mayHaveRun: false });
});

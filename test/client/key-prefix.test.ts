import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Script } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

forEachProtocol((redis) => {
  test('keyPrefix prefixes the keys of typed commands, pipelines, transactions and scripts', async () => {
    const prefixed = await redis.newClient({ keyPrefix: 'app:' });
    const key = uniqueKey('p');
    await prefixed.set(key, 'v');
    assert.equal(await redis.client.get(`app:${key}`), 'v');
    assert.equal(await redis.client.get(key), null);
    assert.equal(await prefixed.get(key), 'v');

    const [a, b] = [uniqueKey('m'), uniqueKey('m')];
    await prefixed.mset({ [a]: '1', [b]: '2' });
    assert.deepEqual(await redis.client.mget(`app:${a}`, `app:${b}`), ['1', '2']);

    const pipe = prefixed.pipeline();
    pipe.incr(a);
    const tx = prefixed.multi();
    tx.incr(b);
    await pipe.exec();
    await tx.exec();
    assert.deepEqual(await redis.client.mget(`app:${a}`, `app:${b}`), ['2', '3']);

    const echoKeys = Script.fromLua('return KEYS');
    assert.deepEqual(await echoKeys.evalshaWithReload(prefixed, [a, b]), [`app:${a}`, `app:${b}`]);
    assert.deepEqual(await prefixed.eval('return KEYS[1]', [a]), `app:${a}`);
  });

  test('keyPrefix prefixes the keys of isolated() sessions, WATCH and their transactions included', async () => {
    const prefixed = await redis.newClient({ keyPrefix: 'iso:' });
    const key = uniqueKey('w');
    await redis.client.set(`iso:${key}`, '5');
    const result = await prefixed.isolated(async (conn) => {
      await conn.watch(key);
      const value = Number(await conn.get(key));
      const tx = conn.multi();
      tx.set(key, value + 1);
      return tx.exec();
    });
    assert.deepEqual(result, ['OK']);
    assert.equal(await redis.client.get(`iso:${key}`), '6');
    assert.equal(await redis.client.get(key), null);
  });

  test('keyPrefix leaves patterns and the caller’s arrays alone', async () => {
    const prefixed = await redis.newClient({ keyPrefix: 'app2:' });
    const keys: string[] = [uniqueKey('q')];
    await prefixed.del(keys[0], ...keys.slice(1));
    assert.deepEqual(keys, [keys[0]], 'the caller’s array was changed');
    await prefixed.set(keys[0], 'x');
    // KEYS takes a pattern, not a key: it sees the real, prefixed names.
    assert.deepEqual(await prefixed.keys(`app2:${keys[0]}`), [`app2:${keys[0]}`]);
  });

  test('connect() twice is the same connect; a Client and a command before connect() fail alike', async () => {
    const client = new Client({ url: redis.server.url, resp: redis.resp });
    await assert.rejects(client.ping(), { code: 'NOT_CONNECTED' });
    const first = client.connect();
    const second = client.connect();
    await Promise.all([first, second]);
    await client.connect();
    assert.equal(await client.ping(), 'PONG');
    await client.quit();
    await assert.rejects(client.connect(), { code: 'CONNECTION_CLOSED' });
  });
});

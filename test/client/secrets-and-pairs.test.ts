import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRedisUrl } from '../../src/client/options.js';
import { ArgumentError, Client } from '../../src/index.js';
import { useServer } from '../helpers.js';

const SECRET = 's3cr3tP4ss';

describe('A url that cannot be read never shows its password (issue 9, item 5)', () => {
  // Unencoded '/', '@', '#', '?' or '%' in a password shift what the URL parser sees as the
  // scheme, host, path, query or fragment; every one of those must stay out of the message.
  const urls = [
    `redis://default:6379/${SECRET}@127.0.0.1:6379`,
    `redis://default:${SECRET.slice(0, 4)}/${SECRET.slice(4)}@127.0.0.1:6379/0`,
    `redis://:${SECRET.slice(0, 4)}#${SECRET.slice(4)}@127.0.0.1:6379`,
    `redis://:${SECRET.slice(0, 4)}?${SECRET.slice(4)}@127.0.0.1:6379`,
    `redis://:${SECRET}%zz@127.0.0.1:6379`,
    `${SECRET}:${SECRET}@127.0.0.1:6379`,
    `redis://user:${SECRET}@[::1`,
    `redis://:${SECRET}@127.0.0.1:6379/${SECRET}`,
  ];
  for (const url of urls) {
    test(`refuses ${url.replace(SECRET, '<secret>')} without any of it in the message`, () => {
      let refusal: unknown;
      try {
        new Client({ url });
      } catch (error) {
        refusal = error;
      }
      assert.ok(refusal instanceof ArgumentError, `refused with ${String(refusal)}`);
      for (const piece of [SECRET, SECRET.slice(0, 4), SECRET.slice(4), 'P4ss', 's3cr']) {
        assert.ok(!refusal.message.includes(piece), `"${refusal.message}" shows "${piece}"`);
        assert.ok(!String(refusal.stack).includes(piece));
      }
    });
  }

  test('still reads a password that is %-encoded', () => {
    const parsed = parseRedisUrl(
      `redis://default:${encodeURIComponent(`a/b@c#d?e%${SECRET}`)}@127.0.0.1:6390/2`,
    );
    assert.deepEqual(parsed, {
      host: '127.0.0.1',
      port: 6390,
      username: 'default',
      password: `a/b@c#d?e%${SECRET}`,
      db: 2,
    });
  });
});

describe('Pair-taking commands given a flat array (issue 9, item 6)', () => {
  const redis = useServer({}, { resp: 3 });

  test('mset, hset and configSet refuse it and write nothing, where they used to split strings into characters', async () => {
    const client = redis.client;
    await client.flushdb();
    await assert.rejects(
      client.mset(['key1', 'val1'] as never),
      /MSET: entry 1 is "key1"; expected \[key, value\] pairs/,
    );
    await assert.rejects(client.hset('h', ['field', 'value'] as never), /HSET: entry 1 is "field"/);
    await assert.rejects(client.mset([['a', 'b', 'c']] as never), /MSET: entry 1 is an array/);
    await assert.rejects(client.mset(Buffer.from('ab') as never), /MSET: expected an object, Map or array/);
    await assert.rejects(client.configSet(['maxmemory', '0'] as never), ArgumentError);
    assert.deepEqual(await client.keys('*'), []);
  });

  test('the documented shapes still write the right keys and fields', async () => {
    const client = redis.client;
    await client.flushdb();
    assert.equal(await client.mset([['key1', 'val1']]), 'OK');
    assert.equal(await client.mset({ key2: 'val2' }), 'OK');
    assert.equal(await client.mset([['key3', 'val3']]), 'OK');
    assert.equal(await client.hset('h', [['field', 'value']]), 1);
    assert.deepEqual(await client.mget('key1', 'key2', 'key3'), ['val1', 'val2', 'val3']);
    assert.deepEqual({ ...(await client.hgetall('h')) }, { field: 'value' });
    assert.deepEqual((await client.keys('*')).sort(), ['h', 'key1', 'key2', 'key3']);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachProtocol, uniqueKey } from '../../helpers.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

forEachProtocol((redis) => {
  test('ping answers PONG, or echoes its message', async () => {
    assert.equal(await redis.client.ping(), 'PONG');
    assert.equal(await redis.client.ping('hello'), 'hello');
  });

  test('echo returns its message', async () => {
    assert.equal(await redis.client.echo('héllo wörld'), 'héllo wörld');
  });

  test('info returns the raw text of the default or named sections', async () => {
    const all = await redis.client.info();
    assert.equal(typeof all, 'string');
    assert.match(all, /^# Server\r\n/);
    assert.match(all, /\r\nredis_version:/);
    const server = await redis.client.info('server');
    assert.match(server, /# Server/);
    assert.doesNotMatch(server, /# Clients/);
    const two = await redis.client.info('server', 'clients');
    assert.match(two, /# Server/);
    assert.match(two, /# Clients/);
  });

  test('dbsize counts keys; flushdb empties the database', async () => {
    const other = await redis.newClient({ db: 3 });
    await other.mset({ a: '1', b: '2', c: '3' });
    assert.equal(await other.dbsize(), 3);
    assert.equal(await other.flushdb(), 'OK');
    assert.equal(await other.dbsize(), 0);
    await other.set('a', '1');
    assert.equal(await other.flushdb('ASYNC'), 'OK');
    await other.set('a', '1');
    assert.equal(await other.flushdb('SYNC'), 'OK');
    assert.equal(await other.dbsize(), 0);
  });

  test('flushdb and flushall refuse an unknown mode', async () => {
    await assert.rejects(redis.client.flushdb('LATER' as never), argumentError(/^FLUSHDB: mode/));
    await assert.rejects(redis.client.flushall('async' as never), argumentError(/^FLUSHALL: mode/));
  });

  test('time returns { seconds, microseconds } as numbers', async () => {
    const time = await redis.client.time();
    assert.deepEqual(Object.keys(time), ['seconds', 'microseconds']);
    assert.ok(Number.isInteger(time.seconds) && Number.isInteger(time.microseconds));
    assert.ok(Math.abs(time.seconds - Date.now() / 1000) < 5);
    assert.ok(time.microseconds >= 0 && time.microseconds < 1_000_000);
  });

  test('configGet returns a plain object of matching parameters', async () => {
    const policy = await redis.client.configGet('maxmemory-policy');
    assert.equal(Object.getPrototypeOf(policy), null);
    assert.deepEqual({ ...policy }, { 'maxmemory-policy': 'noeviction' });
    const several = await redis.client.configGet('maxmemory-policy', 'hz');
    assert.deepEqual({ ...several }, { 'maxmemory-policy': 'noeviction', hz: '10' });
    const globbed = await redis.client.configGet('maxmemory-*');
    assert.ok(Object.keys(globbed).length > 1);
    for (const [name, value] of Object.entries(globbed)) {
      assert.match(name, /^maxmemory-/);
      assert.equal(typeof value, 'string');
    }
    assert.deepEqual({ ...(await redis.client.configGet('no-such-parameter')) }, {});
  });

  test('configSet sets parameters from an object or pairs', async () => {
    assert.equal(
      await redis.client.configSet({ 'slowlog-max-len': 64, 'slowlog-log-slower-than': '5000' }),
      'OK',
    );
    assert.deepEqual(
      { ...(await redis.client.configGet('slowlog-max-len', 'slowlog-log-slower-than')) },
      { 'slowlog-max-len': '64', 'slowlog-log-slower-than': '5000' },
    );
    assert.equal(await redis.client.configSet([['slowlog-max-len', '128']]), 'OK');
    assert.deepEqual({ ...(await redis.client.configGet('slowlog-max-len')) }, { 'slowlog-max-len': '128' });
    await assert.rejects(redis.client.configSet({}), argumentError(/^CONFIG SET: needs at least one/));
  });

  test('configResetstat replies OK', async () => {
    assert.equal(await redis.client.configResetstat(), 'OK');
  });

  test('clientId, clientSetname and clientGetname describe this connection', async () => {
    const own = await redis.newClient();
    const id = await own.clientId();
    assert.ok(Number.isInteger(id) && id > 0);
    assert.equal(await own.clientGetname(), null);
    assert.equal(await own.clientSetname('moon'), 'OK');
    assert.equal(await own.clientGetname(), 'moon');
    const list = await own.clientList();
    assert.equal(typeof list, 'string');
    assert.match(list, new RegExp(`(^|\\n)id=${id} .* name=moon `));
    assert.match(await own.clientList({ type: 'normal' }), new RegExp(`id=${id} `));
    assert.equal(await own.clientList({ type: 'pubsub' }), '');
  });

  test('commandCount and lastsave return numbers', async () => {
    assert.ok((await redis.client.commandCount()) > 200);
    const lastsave = await redis.client.lastsave();
    assert.ok(Number.isInteger(lastsave) && Math.abs(lastsave - Date.now() / 1000) < 3600);
  });

  test('swapdb swaps two databases', async () => {
    const key = uniqueKey();
    const five = await redis.newClient({ db: 5 });
    const six = await redis.newClient({ db: 6 });
    await five.set(key, 'from five');
    assert.equal(await five.swapdb(5, 6), 'OK');
    assert.equal(await five.get(key), null);
    assert.equal(await six.get(key), 'from five');
    assert.equal(await six.swapdb(5, 6), 'OK');
    assert.equal(await five.get(key), 'from five');
  });

  test('wait returns the number of replicas that acknowledged (none here)', async () => {
    await redis.client.set(uniqueKey(), 'v');
    assert.equal(await redis.client.wait(0, 10), 0);
    await assert.rejects(redis.client.wait(1, -1), argumentError(/^WAIT: timeout/));
  });

  test('role returns the raw reply', async () => {
    const role = await redis.client.role();
    assert.equal(role[0], 'master');
    assert.equal(typeof role[1], 'number');
    assert.deepEqual(role[2], []);
  });

  test('memoryUsage returns bytes, or null for a missing key', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'x'.repeat(1000));
    const bytes = await redis.client.memoryUsage(key);
    assert.ok(bytes !== null && bytes > 1000, `bytes ${bytes}`);
    assert.equal(typeof (await redis.client.memoryUsage(key, { samples: 0 })), 'number');
    assert.equal(await redis.client.memoryUsage(uniqueKey('missing')), null);
    await assert.rejects(
      redis.client.memoryUsage(key, { samples: -1 }),
      argumentError(/^MEMORY USAGE: samples/),
    );
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplyError } from '../../../src/index.js';
import { keyOwnedBy } from '../../cluster/cluster-helpers.js';
import type { Target } from '../../targets.js';

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** The server and connection commands, on `target`. */
export function serverTests(target: Target): void {
  test('ping answers PONG, or echoes its message', async () => {
    assert.equal(await target.client.ping(), 'PONG');
    assert.equal(await target.client.ping('hello'), 'hello');
  });

  test('echo returns its message', async () => {
    assert.equal(await target.client.echo('héllo wörld'), 'héllo wörld');
  });

  test('info returns the raw text of the default or named sections', async () => {
    const all = await target.client.info();
    assert.equal(typeof all, 'string');
    assert.match(all, /^# Server\r\n/);
    assert.match(all, /\r\nredis_version:/);
    const server = await target.client.info('server');
    assert.match(server, /# Server/);
    assert.doesNotMatch(server, /# Clients/);
    const two = await target.client.info('server', 'clients');
    assert.match(two, /# Server/);
    assert.match(two, /# Clients/);
  });

  test('dbsize counts keys; flushdb empties the database', async () => {
    if (target.kind === 'cluster') {
      // Both go to every primary: FLUSHDB empties each, DBSIZE adds their counts up.
      const nodes = await target.eachNode();
      assert.equal(await target.client.flushdb(), 'OK');
      const { primaries } = target.cluster.cluster;
      for (const node of [...primaries, primaries[1], primaries[2], primaries[2]]) {
        await target.client.set(await keyOwnedBy(target.cluster, node, 'dbsize'), 'v');
      }
      assert.deepEqual(await Promise.all(nodes.map((node) => node.dbsize())), [1, 2, 3]);
      assert.equal(await target.client.dbsize(), 6);
      assert.equal(await target.client.flushdb('ASYNC'), 'OK');
      await target.client.set(target.uniqueKey(), 'v');
      assert.equal(await target.client.flushdb('SYNC'), 'OK');
      assert.deepEqual(
        await Promise.all(nodes.map((node) => node.dbsize())),
        nodes.map(() => 0),
      );
      assert.equal(await target.client.dbsize(), 0);
      return;
    }
    const other = await target.newClient({ db: 3 });
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
    await assert.rejects(target.client.flushdb('LATER' as never), argumentError(/^FLUSHDB: mode/));
    await assert.rejects(target.client.flushall('async' as never), argumentError(/^FLUSHALL: mode/));
  });

  test('time returns { seconds, microseconds } as numbers', async () => {
    const time = await target.client.time();
    assert.deepEqual(Object.keys(time), ['seconds', 'microseconds']);
    assert.ok(Number.isInteger(time.seconds) && Number.isInteger(time.microseconds));
    assert.ok(Math.abs(time.seconds - Date.now() / 1000) < 5);
    assert.ok(time.microseconds >= 0 && time.microseconds < 1_000_000);
  });

  test('configGet returns a plain object of matching parameters', async () => {
    const policy = await target.client.configGet('maxmemory-policy');
    assert.equal(Object.getPrototypeOf(policy), null);
    assert.deepEqual({ ...policy }, { 'maxmemory-policy': 'noeviction' });
    const several = await target.client.configGet('maxmemory-policy', 'hz');
    assert.deepEqual({ ...several }, { 'maxmemory-policy': 'noeviction', hz: '10' });
    const globbed = await target.client.configGet('maxmemory-*');
    assert.ok(Object.keys(globbed).length > 1);
    for (const [name, value] of Object.entries(globbed)) {
      assert.match(name, /^maxmemory-/);
      assert.equal(typeof value, 'string');
    }
    assert.deepEqual({ ...(await target.client.configGet('no-such-parameter')) }, {});
  });

  test('configSet sets parameters from an object or pairs', async () => {
    assert.equal(
      await target.client.configSet({ 'slowlog-max-len': 64, 'slowlog-log-slower-than': '5000' }),
      'OK',
    );
    assert.deepEqual(
      { ...(await target.client.configGet('slowlog-max-len', 'slowlog-log-slower-than')) },
      { 'slowlog-max-len': '64', 'slowlog-log-slower-than': '5000' },
    );
    assert.equal(await target.client.configSet([['slowlog-max-len', '128']]), 'OK');
    assert.deepEqual({ ...(await target.client.configGet('slowlog-max-len')) }, { 'slowlog-max-len': '128' });
    await assert.rejects(target.client.configSet({}), argumentError(/^CONFIG SET: needs at least one/));
  });

  test('configResetstat replies OK', async () => {
    assert.equal(await target.client.configResetstat(), 'OK');
  });

  test('clientId, clientSetname and clientGetname describe this connection', async () => {
    const own = await target.newClient();
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
    assert.ok((await target.client.commandCount()) > 200);
    const lastsave = await target.client.lastsave();
    assert.ok(Number.isInteger(lastsave) && Math.abs(lastsave - Date.now() / 1000) < 3600);
  });

  test('swapdb swaps two databases; a cluster, which has only db 0, refuses it', async () => {
    if (target.kind === 'cluster') {
      await assert.rejects(target.client.swapdb(0, 1), (error: unknown) => {
        assert.ok(error instanceof ReplyError, String(error));
        assert.equal(error.code, 'ERR');
        assert.match(error.message, /not allowed in cluster mode/);
        return true;
      });
      return;
    }
    const key = target.uniqueKey();
    const five = await target.newClient({ db: 5 });
    const six = await target.newClient({ db: 6 });
    await five.set(key, 'from five');
    assert.equal(await five.swapdb(5, 6), 'OK');
    assert.equal(await five.get(key), null);
    assert.equal(await six.get(key), 'from five');
    assert.equal(await six.swapdb(5, 6), 'OK');
    assert.equal(await five.get(key), 'from five');
  });

  test('wait returns the number of replicas that acknowledged (none here)', async () => {
    await target.client.set(target.uniqueKey(), 'v');
    assert.equal(await target.client.wait(0, 10), 0);
    await assert.rejects(target.client.wait(1, -1), argumentError(/^WAIT: timeout/));
  });

  test('role returns the raw reply', async () => {
    const role = await target.client.role();
    assert.equal(role[0], 'master');
    assert.equal(typeof role[1], 'number');
    assert.deepEqual(role[2], []);
  });

  test('memoryUsage returns bytes, or null for a missing key', async () => {
    const key = target.uniqueKey();
    await target.client.set(key, 'x'.repeat(1000));
    const bytes = await target.client.memoryUsage(key);
    assert.ok(bytes !== null && bytes > 1000, `bytes ${bytes}`);
    assert.equal(typeof (await target.client.memoryUsage(key, { samples: 0 })), 'number');
    assert.equal(await target.client.memoryUsage(target.uniqueKey('missing')), null);
    await assert.rejects(
      target.client.memoryUsage(key, { samples: -1 }),
      argumentError(/^MEMORY USAGE: samples/),
    );
  });
}

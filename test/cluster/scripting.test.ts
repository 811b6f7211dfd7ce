import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Client, FanOutError, Library, ReplyError, Script, sha1 } from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { sleep, uniqueKey } from '../helpers.js';
import {
  type ClusterContext,
  delta,
  forEachProtocol,
  keyOwnedBy,
  settledWithin,
  useCluster,
} from './cluster-helpers.js';

// Scripts and function libraries on a real 3-primary cluster: what the cluster client says is
// checked on each primary directly (SCRIPT EXISTS, FUNCTION LIST, INFO commandstats).
// busy-reply-threshold is 100 ms so that a looping script makes its node BUSY (and killable) fast.

const shared = useCluster({
  primaries: 3,
  replicasPerPrimary: 1,
  config: { 'busy-reply-threshold': 100 },
});

const echoLua = `#!lua name=echolib
redis.register_function{
  function_name = 'echo',
  callback = function(keys, args) return {keys[1], keys[2], args[1], args[2]} end,
  flags = { 'no-writes' },
}
`;

const LOOP = 'local i = 0 while true do i = i + 1 end';
const SPIN_LIBRARY = `#!lua name=clusterspin
redis.register_function('cluster_spin', function(keys, args) local i = 0 while true do i = i + 1 end end)
`;
const LIMIT = { timeout: 30_000 };
const WAIT = { timeout: 10_000 };

async function everyPrimary<T>(redis: ClusterContext, ask: (client: Client) => Promise<T>): Promise<T[]> {
  return Promise.all(redis.cluster.primaries.map(async (node) => ask(await redis.direct(node))));
}

/** The library names each primary has loaded, sorted. */
async function librariesPerPrimary(redis: ClusterContext): Promise<string[][]> {
  return everyPrimary(redis, async (client) =>
    (await client.functionList()).map((library) => library.libraryName).sort(),
  );
}

const address = (node: RedisServer) => `${node.host}:${node.port}`;

/** Polls `node` (not the busy connection) until it answers BUSY. */
async function waitUntilBusy(client: Client): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    try {
      await client.withOptions(WAIT).ping();
    } catch (error) {
      if (error instanceof ReplyError && error.code === 'BUSY') return;
      throw error;
    }
    await sleep(10);
  }
  throw new Error('the node never became busy');
}

/** Kills whatever still runs on every primary, over fresh connections, whatever happened. */
async function killLeftovers(redis: ClusterContext): Promise<void> {
  for (const node of redis.cluster.primaries) {
    const rescuer = new Client({ url: node.url, reconnect: false });
    try {
      await rescuer.connect();
      for (const kind of ['SCRIPT', 'FUNCTION']) await rescuer.call(kind, 'KILL').catch(() => undefined);
    } finally {
      rescuer.disconnect();
    }
  }
}

forEachProtocol(shared, (redis) => {
  test('runs the DESIGN §1 walkthrough on a cluster, with scripts and libraries on every primary', async () => {
    const client = redis.client;
    await client.scriptFlush();
    await client.functionFlush();

    const SCRIPT = 'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}';
    const keys = ['foo{1}', 'bar{1}'];
    const hash = sha1(SCRIPT);
    assert.equal(await client.scriptExists(hash), false);
    assert.equal(await client.scriptLoad(SCRIPT), hash);
    assert.equal(await client.scriptExists(hash), true);
    assert.deepEqual(await everyPrimary(redis, (node) => node.scriptExists(hash)), [true, true, true]);
    assert.deepEqual(await client.evalsha(hash, keys, [1, 2]), ['foo{1}', 'bar{1}', '1', '2']);
    assert.deepEqual(await client.eval(SCRIPT, keys, [1, 2]), ['foo{1}', 'bar{1}', '1', '2']);

    await client.scriptFlush();
    const script = Script.fromLua(SCRIPT);
    assert.equal(script.sha1, hash);
    assert.equal(await script.load(client), hash);
    assert.deepEqual(await everyPrimary(redis, (node) => node.scriptExists(hash)), [true, true, true]);
    assert.deepEqual(await script.evalsha(client, keys, [1, 2]), ['foo{1}', 'bar{1}', '1', '2']);
    assert.deepEqual(await script.evalshaWithReload(client, keys, [1, 2]), ['foo{1}', 'bar{1}', '1', '2']);
    assert.equal(Script.fromHash(hash).sha1, hash);

    const lib = await Library.fromCode(client, echoLua);
    assert.equal(lib.name, 'echolib');
    assert.deepEqual(await librariesPerPrimary(redis), [['echolib'], ['echolib'], ['echolib']]);
    const echo = lib.functions.get('echo')!;
    assert.deepEqual(echo.flags, ['no-writes']);
    assert.deepEqual(await echo.fcall(client, keys, ['3', '4']), ['foo{1}', 'bar{1}', '3', '4']);
    assert.deepEqual(await echo.fcallRo(client, keys, ['3', '4']), ['foo{1}', 'bar{1}', '3', '4']);
    const again = await Library.fromName(client, 'echolib');
    assert.deepEqual([...again.functions.keys()], ['echo']);
  });

  test('a function runs on whichever primary owns its keys', async () => {
    const lib = await Library.fromCode(redis.client, echoLua);
    const echo = lib.functions.get('echo')!;
    for (const node of redis.cluster.primaries) {
      const key = await keyOwnedBy(redis, node, 'fn');
      const before = (await redis.callsOn([node], 'fcall_ro'))[0];
      assert.deepEqual(await echo.fcall(redis.client, [key], ['x']), [key]);
      assert.equal((await redis.callsOn([node], 'fcall_ro'))[0], before + 1, `ran on ${node.port}`);
    }
  });

  test('SCRIPT FLUSH through the cluster empties the script cache of every primary', async () => {
    const script = Script.fromLua(`return '${uniqueKey('flush')}'`);
    await script.load(redis.client);
    assert.deepEqual(await everyPrimary(redis, (node) => node.scriptExists(script.sha1)), [true, true, true]);
    assert.equal(await redis.client.scriptFlush(), 'OK');
    assert.deepEqual(await everyPrimary(redis, (node) => node.scriptExists(script.sha1)), [
      false,
      false,
      false,
    ]);
    assert.equal(await redis.client.scriptExists(script.sha1), false);
  });

  test('scriptExists is false when a single primary lacks the script', async () => {
    const script = Script.fromLua(`return '${uniqueKey('exists')}'`);
    const other = Script.fromLua(`return '${uniqueKey('exists')}'`);
    await script.load(redis.client);
    await other.load(redis.client);
    assert.deepEqual(await redis.client.scriptExists([script.sha1, other.sha1]), [true, true]);

    await (await redis.direct(redis.cluster.primaries[1])).scriptFlush();
    assert.equal(await redis.client.scriptExists(script.sha1), false);
    assert.deepEqual(await redis.client.scriptExists([script.sha1, other.sha1]), [false, false]);

    await (await redis.direct(redis.cluster.primaries[1])).scriptLoad(other.lua);
    assert.deepEqual(await redis.client.scriptExists([script.sha1, other.sha1]), [false, true]);
  });

  test('evalshaWithReload loads the script on the primary that answered NOSCRIPT, and only there', async () => {
    const script = Script.fromLua(`return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${uniqueKey('reload')}`);
    await script.load(redis.client);
    const { primaries } = redis.cluster;
    const flushed = primaries[2];
    await (await redis.direct(flushed)).scriptFlush();
    const key = await keyOwnedBy(redis, flushed, 'reload');

    await assert.rejects(script.evalsha(redis.client, [key], [5]), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'NOSCRIPT');
      assert.equal(error.command, 'EVALSHA');
      return true;
    });
    const loadsBefore = await redis.callsOn(primaries, 'script|load');
    assert.equal(await script.evalshaWithReload(redis.client, [key], [5]), 5);
    assert.deepEqual(delta(loadsBefore, await redis.callsOn(primaries, 'script|load')), [0, 0, 1]);
    assert.equal(await (await redis.direct(flushed)).scriptExists(script.sha1), true);
    assert.equal(await script.evalsha(redis.client, [key], [5]), 10);
    assert.equal(await redis.client.get(key), '10');
  });

  test('FUNCTION DELETE, FLUSH, DUMP and RESTORE apply to every primary', async () => {
    const client = redis.client;
    await client.functionFlush();
    const first = `#!lua name=dumped\nredis.register_function('dumped_fn', function() return 'dumped' end)`;
    const second = `#!lua name=later\nredis.register_function('later_fn', function() return 'later' end)`;
    await Library.fromCode(client, first);
    const dump = await client.functionDump();
    assert.ok(Buffer.isBuffer(dump) && dump.length > 0);

    assert.equal(await client.functionDelete('dumped'), 'OK');
    assert.deepEqual(await librariesPerPrimary(redis), [[], [], []]);

    assert.equal(await client.functionRestore(dump), 'OK');
    assert.deepEqual(await librariesPerPrimary(redis), [['dumped'], ['dumped'], ['dumped']]);

    assert.equal(await client.functionFlush(), 'OK');
    assert.deepEqual(await librariesPerPrimary(redis), [[], [], []]);

    await client.functionLoad(second);
    assert.deepEqual(await librariesPerPrimary(redis), [['later'], ['later'], ['later']]);
    assert.equal(await client.functionRestore(dump, 'FLUSH'), 'OK');
    assert.deepEqual(await librariesPerPrimary(redis), [['dumped'], ['dumped'], ['dumped']]);
    for (const node of redis.cluster.primaries) {
      const key = await keyOwnedBy(redis, node, 'restored');
      assert.equal(await client.fcall('dumped_fn', [key]), 'dumped');
    }
    await client.functionFlush();
  });

  test('FUNCTION LOAD refused by one primary fails with a FanOutError naming it, with the others results', async () => {
    const client = redis.client;
    await client.functionFlush();
    const name = `fanout_${redis.resp}`;
    const code = `#!lua name=${name}\nredis.register_function('${name}_fn', function() return 1 end)`;
    const { primaries } = redis.cluster;
    const refusing = primaries[1];
    await (await redis.direct(refusing)).functionLoad(code);

    await assert.rejects(client.functionLoad(code), (error: unknown) => {
      assert.ok(error instanceof FanOutError, String(error));
      assert.equal(error.code, 'FANOUT_FAILED');
      assert.equal(error.mayHaveRun, true);
      assert.deepEqual([...error.errors.keys()], [address(refusing)]);
      const refusal = error.errors.get(address(refusing));
      assert.ok(refusal instanceof ReplyError);
      assert.match(refusal.message, /already exists/);
      assert.deepEqual(
        [...error.results.keys()].sort(),
        [address(primaries[0]), address(primaries[2])].sort(),
      );
      assert.deepEqual([...error.results.values()], [name, name]);
      assert.ok(error.message.includes(address(refusing)), error.message);
      return true;
    });
    assert.deepEqual(await librariesPerPrimary(redis), [[name], [name], [name]]);
    // REPLACE is accepted everywhere.
    assert.equal(await client.functionLoad(code, { replace: true }), name);
    await client.functionFlush();
  });

  test('scriptKill stops a script looping on any one primary and resolves OK', LIMIT, async () => {
    for (const busyNode of redis.cluster.primaries) {
      const key = await keyOwnedBy(redis, busyNode, 'loop');
      const running = redis.client.withOptions(WAIT).eval(LOOP, [key]);
      running.catch(() => undefined);
      try {
        await waitUntilBusy(await redis.direct(busyNode));
        assert.equal(
          await redis.client.withOptions(WAIT).scriptKill(),
          'OK',
          `killing a script on ${busyNode.port}`,
        );
        await assert.rejects(running, (error: unknown) => {
          assert.ok(error instanceof ReplyError);
          assert.match(error.message, /Script killed by user with SCRIPT KILL/);
          return true;
        });
      } finally {
        await killLeftovers(redis);
      }
      await redis.client.set(key, 'after');
      assert.equal(await redis.client.get(key), 'after');
    }
  });

  test('functionKill stops a function looping on one primary and resolves OK', LIMIT, async () => {
    const { primaries } = redis.cluster;
    const busyNode = primaries[1];
    await redis.client.functionLoad(SPIN_LIBRARY, { replace: true });
    const key = await keyOwnedBy(redis, busyNode, 'spin');
    const running = redis.client.withOptions(WAIT).fcall('cluster_spin', [key]);
    running.catch(() => undefined);
    try {
      await waitUntilBusy(await redis.direct(busyNode));
      assert.equal(await redis.client.withOptions(WAIT).functionKill(), 'OK');
      await assert.rejects(running, (error: unknown) => {
        assert.ok(error instanceof ReplyError);
        assert.match(error.message, /killed by user/);
        return true;
      });
    } finally {
      await killLeftovers(redis);
    }
    assert.equal(await redis.client.set(key, 'after'), 'OK');
  });

  test(
    'a kill on a busy primary gets through while the cluster client waits on that primary',
    LIMIT,
    async () => {
      const { primaries } = redis.cluster;
      const busyNode = primaries[0];
      const key = await keyOwnedBy(redis, busyNode, 'queued');
      const running = redis.client.withOptions(WAIT).eval(LOOP, [key]);
      running.catch(() => undefined);
      try {
        await waitUntilBusy(await redis.direct(busyNode));
        // Queued behind the script on the cluster's connection to that primary.
        const queued = redis.client.withOptions(WAIT).get(key);
        const killed = await settledWithin(redis.client.withOptions(WAIT).scriptKill(), 5000);
        assert.notEqual(killed, 'pending', 'SCRIPT KILL is not queued behind the script');
        assert.ok(typeof killed === 'object' && 'value' in killed, `scriptKill failed: ${inspect(killed)}`);
        await assert.rejects(running, ReplyError);
        assert.equal(await queued, null);
      } finally {
        await killLeftovers(redis);
      }
    },
  );

  test('scriptKill and functionKill reject with NOTBUSY when nothing runs', async () => {
    await assert.rejects(redis.client.scriptKill(), { name: 'ReplyError', code: 'NOTBUSY' });
    await assert.rejects(redis.client.functionKill(), { name: 'ReplyError', code: 'NOTBUSY' });
  });
});

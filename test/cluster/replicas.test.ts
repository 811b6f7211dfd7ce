import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Cluster, Library, Script } from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { uniqueKey } from '../helpers.js';
import {
  type ClusterContext,
  delta,
  eventually,
  forEachProtocol,
  keyOwnedBy,
  useCluster,
} from './cluster-helpers.js';

// Replica reads on a real 3-primary/3-replica cluster. Which node served a command is read from
// INFO commandstats of each node: replicas count the writes they replicate (SET, INCR, ...) but
// never a read nobody sent them, so GET, EVAL_RO, EVALSHA_RO and FCALL_RO calls on a replica can
// only come from a client. Replicas are the harness's `replicas[i]`, the replica of `primaries[i]`.

const shared = useCluster();

const READS = ['get', 'mget', 'eval_ro', 'evalsha_ro', 'fcall_ro'];

const READ_LIBRARY = `#!lua name=replicareads
redis.register_function{
  function_name = 'replica_get',
  callback = function(keys) return redis.call('GET', keys[1]) end,
  flags = { 'no-writes' },
}
redis.register_function('replica_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
`;

/** A key on each shard, written through `client`, and read back equal through it (replicated). */
async function replicatedKeys(redis: ClusterContext, client: Cluster, prefix: string): Promise<string[]> {
  const keys = await Promise.all(redis.cluster.primaries.map((node) => keyOwnedBy(redis, node, prefix)));
  for (const key of keys) await client.set(key, `value of ${key}`);
  for (const key of keys) {
    assert.ok(
      await eventually(async () => (await client.get(key)) === `value of ${key}`),
      `${key} reached its replica`,
    );
  }
  return keys;
}

/** Reads until the cluster's replica connections are up (reads fall back to primaries until then). */
async function replicasServing(redis: ClusterContext): Promise<void> {
  const { primaries, replicas } = redis.cluster;
  const keys = await Promise.all(primaries.map((node) => keyOwnedBy(redis, node, 'warm')));
  const ready = await eventually(async () => {
    const before = await redis.callsOn(replicas, 'get');
    await Promise.all(keys.map((key) => redis.client.get(key)));
    return delta(before, await redis.callsOn(replicas, 'get')).every((calls) => calls === 1);
  });
  assert.ok(ready, 'every replica serves reads');
}

/** Calls of each read command per node, for `nodes`. */
async function readCalls(redis: ClusterContext, nodes: readonly RedisServer[]): Promise<number[][]> {
  return Promise.all(READS.map((command) => redis.callsOn(nodes, command)));
}

forEachProtocol(
  shared,
  (redis) => {
    test('GET and MGET are served by the replica of the shard that owns the key, never a primary', async () => {
      const { primaries, replicas } = redis.cluster;
      await replicasServing(redis);
      const keys = await replicatedKeys(redis, redis.client, 'get');
      const primaryBefore = await redis.callsOn(primaries, 'get');
      const replicaBefore = await redis.callsOn(replicas, 'get');
      const mgetBefore = await redis.callsOn(replicas, 'mget');
      for (let round = 0; round < 10; round++)
        for (const key of keys) assert.equal(await redis.client.get(key), `value of ${key}`);
      for (const key of keys)
        assert.deepEqual(await redis.client.mget(key, key), [`value of ${key}`, `value of ${key}`]);
      assert.deepEqual(delta(primaryBefore, await redis.callsOn(primaries, 'get')), [0, 0, 0]);
      assert.deepEqual(delta(replicaBefore, await redis.callsOn(replicas, 'get')), [10, 10, 10]);
      assert.deepEqual(delta(mgetBefore, await redis.callsOn(replicas, 'mget')), [1, 1, 1]);
    });

    test('a value written through the cluster is read back from the replica after WAIT', async () => {
      const { primaries, replicas } = redis.cluster;
      await replicasServing(redis);
      // WAIT is keyless, so it goes to slot 0's primary, on the connection that carried the SET.
      const key = await keyOwnedBy(redis, primaries[0], 'wait');
      for (let round = 0; round < 5; round++) {
        await redis.client.set(key, `round ${round}`);
        // WAIT returns as soon as the replica acknowledged: the 10 s only matter to a stalled one.
        assert.ok((await redis.client.wait(1, 10_000)) >= 1, 'the replica acknowledged the write');
        const before = await redis.callsOn(replicas, 'get');
        assert.equal(await redis.client.get(key), `round ${round}`);
        assert.deepEqual(delta(before, await redis.callsOn(replicas, 'get')), [1, 0, 0]);
      }
    });

    test('EVAL_RO and a no-writes Script run on replicas; evalshaWithReload loads it there', async () => {
      const { primaries, replicas } = redis.cluster;
      await replicasServing(redis);
      const keys = await replicatedKeys(redis, redis.client, 'script');
      const script = Script.fromLua(
        `#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1]) -- ${uniqueKey('ro')}`,
      );
      assert.equal(script.readOnly, true);
      const primaryBefore = await readCalls(redis, primaries);
      const evalRoBefore = await redis.callsOn(replicas, 'eval_ro');
      const evalshaRoBefore = await redis.callsOn(replicas, 'evalsha_ro');
      for (const key of keys) {
        assert.equal(
          await redis.client.evalRo("return redis.call('GET', KEYS[1])", [key]),
          `value of ${key}`,
        );
        assert.equal(await script.eval(redis.client, [key]), `value of ${key}`);
        assert.equal(await script.evalshaWithReload(redis.client, [key]), `value of ${key}`);
        assert.equal(await script.evalshaWithReload(redis.client, [key]), `value of ${key}`);
      }
      assert.deepEqual(await readCalls(redis, primaries), primaryBefore, 'no primary served a read');
      assert.deepEqual(delta(evalRoBefore, await redis.callsOn(replicas, 'eval_ro')), [2, 2, 2]);
      // Two runs each, plus the NOSCRIPT answer that made the first call load the script there.
      const ran = delta(evalshaRoBefore, await redis.callsOn(replicas, 'evalsha_ro'));
      assert.ok(
        ran.every((calls) => calls >= 2),
        `EVALSHA_RO ran on every replica: ${ran}`,
      );
      for (const node of replicas)
        assert.equal(await (await redis.direct(node)).scriptExists(script.sha1), true, `${node.port}`);
    });

    test('evalshaRo is served by replicas that hold the script', async () => {
      const { primaries, replicas } = redis.cluster;
      await replicasServing(redis);
      const keys = await replicatedKeys(redis, redis.client, 'evalsha-ro');
      const lua = `return redis.call('GET', KEYS[1]) -- ${uniqueKey('evalsharo')}`;
      const sha = await redis.client.scriptLoad(lua);
      for (const node of replicas) await (await redis.direct(node)).scriptLoad(lua);
      const primaryBefore = await readCalls(redis, primaries);
      const before = await redis.callsOn(replicas, 'evalsha_ro');
      for (const key of keys) assert.equal(await redis.client.evalshaRo(sha, [key]), `value of ${key}`);
      assert.deepEqual(delta(before, await redis.callsOn(replicas, 'evalsha_ro')), [1, 1, 1]);
      assert.deepEqual(await readCalls(redis, primaries), primaryBefore);
    });

    test('a script loaded through the cluster runs read-only with evalsha when replicas serve reads', async () => {
      await replicasServing(redis);
      const keys = await replicatedKeys(redis, redis.client, 'loaded');
      const script = Script.fromLua(
        `#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1]) -- ${uniqueKey('loaded')}`,
      );
      await script.load(redis.client);
      assert.equal(await redis.client.scriptExists(script.sha1), true);
      // Script.load is documented as "on a cluster: every primary" — but with replica reads the
      // EVALSHA_RO goes to a replica, and Redis 7 does not replicate SCRIPT LOAD.
      for (const key of keys) assert.equal(await script.evalsha(redis.client, [key]), `value of ${key}`);
      for (const key of keys)
        assert.equal(await redis.client.evalshaRo(script.sha1, [key]), `value of ${key}`);
    });

    test('a no-writes function is called on replicas; a writing function and writes go to primaries', async () => {
      const { primaries, replicas } = redis.cluster;
      await replicasServing(redis);
      const library = await Library.fromCode(redis.client, READ_LIBRARY);
      for (const node of replicas) {
        const replica = await redis.direct(node);
        assert.ok(
          await eventually(async () =>
            (await replica.functionList({ libraryName: 'replicareads' })).some(
              (entry) => entry.libraryName === 'replicareads',
            ),
          ),
          `the library reached ${node.port}`,
        );
      }
      const reader = library.functions.get('replica_get')!;
      const writer = library.functions.get('replica_set')!;
      assert.equal(reader.readOnly, true);
      assert.equal(writer.readOnly, false);
      const keys = await Promise.all(primaries.map((node) => keyOwnedBy(redis, node, 'fn')));

      const fcallBefore = await redis.callsOn(primaries, 'fcall');
      const setBefore = await redis.callsOn(primaries, 'set');
      const replicaRejectedBefore = await Promise.all(
        ['set', 'fcall', 'incr'].map((command) => redis.rejectedOn(replicas, command)),
      );
      for (const key of keys) {
        assert.equal(await writer.fcall(redis.client, [key], ['by function']), 'OK');
        assert.equal(await redis.client.set(`{${key}}:plain`, 'x'), 'OK');
        assert.equal(await redis.client.incr(`{${key}}:counter`), 1);
      }
      assert.deepEqual(delta(fcallBefore, await redis.callsOn(primaries, 'fcall')), [1, 1, 1]);
      // SET from the client and from inside the function (Redis counts both).
      assert.deepEqual(delta(setBefore, await redis.callsOn(primaries, 'set')), [2, 2, 2]);
      assert.deepEqual(
        await Promise.all(['set', 'fcall', 'incr'].map((command) => redis.rejectedOn(replicas, command))),
        replicaRejectedBefore,
        'no write was sent to a replica',
      );

      for (const key of keys)
        assert.ok(await eventually(async () => (await reader.fcall(redis.client, [key])) === 'by function'));
      const primaryReads = await readCalls(redis, primaries);
      const replicaBefore = await redis.callsOn(replicas, 'fcall_ro');
      for (const key of keys) assert.equal(await reader.fcall(redis.client, [key]), 'by function');
      for (const key of keys) assert.equal(await reader.fcallRo(redis.client, [key]), 'by function');
      assert.deepEqual(delta(replicaBefore, await redis.callsOn(replicas, 'fcall_ro')), [2, 2, 2]);
      assert.deepEqual(await readCalls(redis, primaries), primaryReads);
    });

    test('the cluster client keeps a READONLY connection to every replica', async () => {
      await replicasServing(redis);
      for (const node of redis.cluster.replicas) {
        const list = await (await redis.direct(node)).clientList();
        const ours = list.split('\n').filter((line) => line.includes(`name=replica-reads-${redis.resp} `));
        assert.equal(ours.length, 1, `${node.port}: ${list}`);
        assert.match(ours[0], /flags=r /);
      }
    });

    test('with replica reads off, replicas receive nothing and primaries serve every read', async () => {
      const { primaries, replicas } = redis.cluster;
      const name = `primaries-only-${redis.resp}`;
      const client = await redis.newCluster({ resp: redis.resp, name });
      const keys = await Promise.all(primaries.map((node) => keyOwnedBy(redis, node, 'off')));
      const script = Script.fromLua(
        `#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1]) -- ${uniqueKey('off')}`,
      );
      await Library.fromCode(client, READ_LIBRARY);
      const reader = (await Library.fromName(client, 'replicareads')).functions.get('replica_get')!;
      const replicaBefore = await readCalls(redis, replicas);
      const primaryBefore = await redis.callsOn(primaries, 'get');
      for (const key of keys) {
        await client.set(key, 'primary');
        assert.equal(await client.get(key), 'primary');
        assert.deepEqual(await client.mget(key), ['primary']);
        assert.equal(await client.evalRo("return redis.call('GET', KEYS[1])", [key]), 'primary');
        assert.equal(await script.evalshaWithReload(client, [key]), 'primary');
        assert.equal(await reader.fcall(client, [key]), 'primary');
        assert.equal(await client.ping(), 'PONG');
      }
      assert.deepEqual(await readCalls(redis, replicas), replicaBefore, 'no replica served a read');
      // GET from the client, and from inside EVAL_RO, the script and the function: 4 per shard.
      assert.deepEqual(delta(primaryBefore, await redis.callsOn(primaries, 'get')), [4, 4, 4]);
      for (const node of replicas) {
        const list = await (await redis.direct(node)).clientList();
        assert.ok(!list.includes(`name=${name} `), `${node.port} has no connection from it: ${list}`);
      }
    });
  },
  (resp) => ({ replicaReads: true, name: `replica-reads-${resp}` }),
);

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterError, slotOf } from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { uniqueKey } from '../helpers.js';
import { type ClusterContext, delta, forEachProtocol, useCluster } from './cluster-helpers.js';

// Where commands go on a real 3-primary cluster. Every check of "where" asks the nodes directly:
// CLUSTER KEYSLOT / CLUSTER SLOTS for the owner, CLUSTER GETKEYSINSLOT for who holds a key, and
// INFO commandstats — a command a node refused with MOVED or CROSSSLOT shows as `rejected_calls`,
// so "no rejected calls anywhere" means every command went straight to its owner. What each
// command does on a cluster (hash-tagged MSET/MGET/DEL, DBSIZE and FLUSHDB on every primary) is
// in the command suites, test/client/commands/, which run on a cluster too.

const shared = useCluster();

/** A fresh key (unique to this run) whose hash slot is `slot`. */
function keyInSlot(slot: number, prefix: string): string {
  const base = uniqueKey(prefix);
  for (let n = 0; ; n++) {
    const key = `${base}:${n}`;
    if (slotOf(key) === slot) return key;
  }
}

/** A fresh key owned by `node`, for a test that needs a key away from slot 0's primary. */
async function keyOwnedBy(redis: ClusterContext, node: RedisServer, prefix: string): Promise<string> {
  const ranges = (await redis.slotRanges()).get(node.port);
  assert.ok(ranges !== undefined && ranges.length > 0, `${node.port} serves slots`);
  const [start, end] = ranges[0];
  return keyInSlot(Math.floor((start + end) / 2), prefix);
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

forEachProtocol(shared, (redis) => {
  test('writes to keys in every slot range land only on the primary that owns the slot', async () => {
    const { primaries } = redis.cluster;
    const ranges = await redis.slotRanges();
    assert.equal(ranges.size, 3);
    const keys: Array<string | Buffer | number> = [];
    for (const list of ranges.values()) {
      for (const [start, end] of list) {
        for (const slot of [start, start + 1, Math.floor((start + end) / 2), end - 1, end])
          keys.push(keyInSlot(slot, 'route:edge'));
      }
    }
    for (let i = 0; i < 40; i++) keys.push(uniqueKey('route:any'));
    keys.push(Buffer.from(uniqueKey('route:buffer')));
    keys.push(Date.now() * 1000 + Math.floor(Math.random() * 1000));
    keys.push(`${uniqueKey('route:utf8')}:é`);

    const rejectedBefore = await redis.rejectedOn(primaries, 'set');
    const replies = await Promise.all(keys.map((key, index) => redis.client.set(key, `value:${index}`)));
    assert.ok(replies.every((reply) => reply === 'OK'));
    assert.deepEqual(await redis.rejectedOn(primaries, 'set'), rejectedBefore, 'no SET was redirected');

    const perPrimary = new Map<number, number>();
    for (const [index, key] of keys.entries()) {
      const name = Buffer.isBuffer(key) ? key.toString() : String(key);
      const owner = await redis.ownerOf(await redis.keyslot(key));
      const holders = await redis.holdersOf(name);
      assert.deepEqual(
        holders.map((node) => node.port),
        [owner.port],
        `${name} (slot ${slotOf(key)}) is on its owner ${owner.port} only`,
      );
      assert.equal(await (await redis.direct(owner)).get(key), `value:${index}`);
      assert.equal(await redis.client.get(key), `value:${index}`);
      perPrimary.set(owner.port, (perPrimary.get(owner.port) ?? 0) + 1);
    }
    assert.equal(perPrimary.size, 3, 'every primary received keys');
    for (const count of perPrimary.values()) assert.ok(count >= 5);
  });

  test('cross-slot MGET, DEL, EVAL, EVALSHA and FCALL are refused with CROSSSLOT and reach no node', async () => {
    const { primaries } = redis.cluster;
    const first = await keyOwnedBy(redis, primaries[0], 'cross:a');
    const second = await keyOwnedBy(redis, primaries[2], 'cross:b');
    await redis.client.set(first, 'one');
    await redis.client.set(second, 'two');
    const commands = ['mget', 'del', 'eval', 'evalsha', 'fcall'];
    const count = async () =>
      Promise.all(
        commands.map(
          async (command) =>
            sum(await redis.callsOn(primaries, command)) + sum(await redis.rejectedOn(primaries, command)),
        ),
      );
    const before = await count();

    const refused = (error: unknown) => {
      assert.ok(error instanceof ClusterError, String(error));
      assert.equal(error.code, 'CROSSSLOT');
      assert.equal(error.mayHaveRun, false);
      assert.ok(error.message.includes(`"${first}" (slot ${slotOf(first)})`), error.message);
      assert.ok(error.message.includes(`"${second}" (slot ${slotOf(second)})`), error.message);
      return true;
    };
    await assert.rejects(redis.client.mget(first, second), refused);
    await assert.rejects(redis.client.del(first, second), refused);
    await assert.rejects(redis.client.eval('return 1', [first, second]), refused);
    await assert.rejects(redis.client.evalsha('f'.repeat(40), [first, second]), refused);
    await assert.rejects(redis.client.fcall('nothing', [first, second]), refused);

    assert.deepEqual(await count(), before, 'no primary saw any of them');
    assert.equal(await redis.client.get(first), 'one');
    assert.equal(await redis.client.get(second), 'two');
  });

  test('keyless commands are answered by the primary that serves slot 0', async () => {
    assert.equal(await redis.client.ping(), 'PONG');
    assert.equal(await redis.client.call('PING'), 'PONG');
    assert.equal(await redis.client.echo('hello'), 'hello');
    const info = String(await redis.client.call('INFO', 'server'));
    assert.match(info, /redis_mode:cluster/);
    assert.match(info, new RegExp(`tcp_port:${redis.cluster.primaries[0].port}\\r\\n`));
    assert.match(await redis.client.info('server'), /redis_version:/);
  });

  test('call() routes commands redmoon does not describe by the server key specs, straight to the owner', async () => {
    const { primaries } = redis.cluster;
    // Away from slot 0's primary, where a keyless guess would have sent them.
    const owner = primaries[1];
    const stream = await keyOwnedBy(redis, owner, 'call:stream');
    const text = await keyOwnedBy(redis, owner, 'call:text');
    const names = ['xadd', 'xlen', 'getex'];
    const rejectedBefore = await Promise.all(names.map((name) => redis.rejectedOn(primaries, name)));

    assert.match(String(await redis.client.call('XADD', stream, '*', 'f', 'v')), /^\d+-\d+$/);
    assert.match(String(await redis.client.call('XADD', stream, '*', 'f', 'w')), /^\d+-\d+$/);
    assert.equal(await redis.client.call('XLEN', stream), 2);
    await redis.client.set(text, 'kept');
    assert.equal(await redis.client.call('GETEX', text), 'kept');
    assert.equal(await redis.client.call('GETEX', text, 'EX', 600), 'kept');

    const rejectedAfter = await Promise.all(names.map((name) => redis.rejectedOn(primaries, name)));
    assert.deepEqual(rejectedAfter, rejectedBefore, 'nothing was redirected');
    const callsOnOwner = await Promise.all(
      names.map(async (name) => (await redis.callsOn([owner], name))[0]),
    );
    assert.ok(
      callsOnOwner.every((calls) => calls > 0),
      `the owner ran them: ${callsOnOwner}`,
    );
    assert.deepEqual(
      (await redis.holdersOf(stream)).map((node) => node.port),
      [owner.port],
    );
    const ttl = Number(await (await redis.direct(owner)).call('TTL', text));
    assert.ok(ttl > 500 && ttl <= 600, `GETEX EX 600 set the TTL on the owner: ${ttl}`);
  });

  test('call() routes a command with movable keys (ZUNION) and refuses its cross-slot keys', async () => {
    const { primaries } = redis.cluster;
    const tag = (await keyOwnedBy(redis, primaries[2], 'zu')).replace(/[{}]/g, '');
    const a = `{${tag}}:a`;
    const b = `{${tag}}:b`;
    assert.equal(await redis.ownerOf(slotOf(a)), primaries[2]);
    await redis.client.call('ZADD', a, 1, 'x');
    await redis.client.call('ZADD', b, 2, 'y');
    const rejectedBefore = await redis.rejectedOn(primaries, 'zunion');
    assert.deepEqual(await redis.client.call('ZUNION', 2, a, b), ['x', 'y']);
    assert.deepEqual(await redis.rejectedOn(primaries, 'zunion'), rejectedBefore);

    const elsewhere = await keyOwnedBy(redis, primaries[0], 'zu:other');
    const callsBefore = await redis.callsOn(primaries, 'zunion');
    await assert.rejects(redis.client.call('ZUNION', 2, a, elsewhere), {
      name: 'ClusterError',
      code: 'CROSSSLOT',
      mayHaveRun: false,
    });
    assert.deepEqual(await redis.callsOn(primaries, 'zunion'), callsBefore);
    assert.deepEqual(await redis.rejectedOn(primaries, 'zunion'), rejectedBefore);
  });

  test('FLUSHALL empties every primary', async () => {
    const { primaries } = redis.cluster;
    for (const node of primaries) await redis.client.set(await keyOwnedBy(redis, node, 'flush'), 'x');
    assert.equal(await redis.client.flushall(), 'OK');
    assert.deepEqual(
      await Promise.all(primaries.map(async (node) => (await redis.direct(node)).dbsize())),
      [0, 0, 0],
    );
    assert.equal(await redis.client.dbsize(), 0);
  });

  test('5,000 concurrent INCRs over 500 keys in every slot range are each counted once', async () => {
    const { primaries } = redis.cluster;
    const keys = Array.from({ length: 500 }, () => uniqueKey('incr'));
    const callsBefore = await redis.callsOn(primaries, 'incr');
    const rejectedBefore = await redis.rejectedOn(primaries, 'incr');
    const replies = await Promise.all(
      Array.from({ length: 5000 }, (_, index) => redis.client.incr(keys[index % keys.length])),
    );
    const seen = new Map<string, number[]>();
    replies.forEach((reply, index) => {
      const key = keys[index % keys.length];
      seen.set(key, [...(seen.get(key) ?? []), Number(reply)]);
    });
    for (const [key, values] of seen)
      assert.deepEqual(
        values.sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        key,
      );
    const finals = await Promise.all(keys.map((key) => redis.client.get(key)));
    assert.ok(finals.every((value) => value === '10'));
    const ran = delta(callsBefore, await redis.callsOn(primaries, 'incr'));
    assert.equal(sum(ran), 5000);
    assert.ok(
      ran.every((calls) => calls > 1000),
      `every primary served its share: ${ran}`,
    );
    assert.deepEqual(await redis.rejectedOn(primaries, 'incr'), rejectedBefore);
  });
});

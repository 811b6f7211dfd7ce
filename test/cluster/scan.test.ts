import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Cluster, slotOf } from '../../src/index.js';
import { parseNodes } from '../../src/testing/cluster-state.js';
import type { RedisServer } from '../../src/testing/index.js';
import { sleep, uniqueKey } from '../helpers.js';
import {
  type ClusterContext,
  commandStat,
  eventually,
  forEachProtocol,
  THREE_BY_ONE,
  useCluster,
} from './cluster-helpers.js';

// Iteration over a real 3-primary cluster (a replica each): scanIterator covers every primary and
// follows a manual failover in the middle of a primary's scan; collections iterate on the
// primary of their slot; the one-page scan() is refused. Which node holds what is asked of the
// nodes directly (ROLE, KEYS), never of the cluster client under test.

const NODE_TIMEOUT_MS = 2000;
const shared = useCluster({ ...THREE_BY_ONE, config: { 'cluster-node-timeout': NODE_TIMEOUT_MS } });

// Redis 7.0 botches a failover that comes too soon after an earlier one (cluster.c):
// - a replica starts a new election only if its last one began 2 x max(2000, 2 x node timeout) ms
//   ago; sooner, it "wins" on the votes of the old one, with its old epoch, and is turned back
//   into a replica at once (seen here: the test then waited 15 s for a demotion that never came);
// - a primary votes for a replica of P only if it did not vote for one of P's replicas in the last
//   2 x node timeout ms, so the manual failover times out after 5 s.
// So each failover takes the shard that rested longest (four failovers over three shards break
// neither rule) and waits out whatever is left.
const ELECTION_RETRY_MS = 2 * Math.max(2000, 2 * NODE_TIMEOUT_MS);
const VOTE_RETRY_MS = 2 * NODE_TIMEOUT_MS;
/** When each node (by port) was last promoted, and when each last lost its primary role. */
const promotedAt = new Map<number, number>();
const replacedAt = new Map<number, number>();

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

const sorted = <T>(items: T[]): T[] => [...items].sort();

/** Writes `count` keys `<prefix>:<n>` through the cluster, in one pipeline. */
async function writeKeys(cluster: Cluster, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}:${i}`);
  const pipeline = cluster.pipeline();
  for (const key of keys) pipeline.set(key, 'v');
  await pipeline.exec();
  return keys;
}

/** The keys matching `pattern` that each node holds, by port, asked of the node (KEYS). */
async function keysPerNode(redis: ClusterContext, nodes: readonly RedisServer[], pattern: string) {
  const held = new Map<number, string[]>();
  for (const node of nodes) held.set(node.port, (await (await redis.direct(node)).keys(pattern)) as string[]);
  return held;
}

/** The nodes that are primaries now, and the replica of each, from ROLE on every node. */
async function currentRoles(
  redis: ClusterContext,
): Promise<Array<{ primary: RedisServer; replica: RedisServer }>> {
  const pairs: Array<{ primary: RedisServer; replica: RedisServer }> = [];
  for (const node of redis.cluster.nodes) {
    const role = (await (await redis.direct(node)).call('ROLE')) as unknown[];
    if (role[0] !== 'master') continue;
    const replicas = role[2] as unknown[][];
    const replica = redis.cluster.nodes.find((other) =>
      replicas.some((entry) => Number(entry[1]) === other.port),
    );
    assert.ok(replica !== undefined, `primary ${node.port} has a replica`);
    pairs.push({ primary: node, replica });
  }
  assert.equal(pairs.length, 3);
  return pairs;
}

/** The current primary and replica of the shard that failed over longest ago (or never). */
async function restedShard(redis: ClusterContext): Promise<{ primary: RedisServer; replica: RedisServer }> {
  const lastFailover = ({ primary, replica }: { primary: RedisServer; replica: RedisServer }) =>
    Math.max(promotedAt.get(primary.port) ?? -Infinity, promotedAt.get(replica.port) ?? -Infinity);
  const pairs = await currentRoles(redis);
  return pairs.reduce((rested, pair) => (lastFailover(pair) < lastFailover(rested) ? pair : rested));
}

/** A fresh key in the first slot range `primary` serves, as `primary` itself says (CLUSTER SLOTS). */
async function keyServedBy(redis: ClusterContext, primary: RedisServer, prefix: string): Promise<string> {
  const slots = (await (await redis.direct(primary)).call('CLUSTER', 'SLOTS')) as unknown[][];
  const range = slots.find((entry) => Number((entry[2] as unknown[])[1]) === primary.port);
  assert.ok(range !== undefined, `${primary.port} serves slots`);
  const [start, end] = [Number(range[0]), Number(range[1])];
  const base = uniqueKey(prefix);
  for (let n = 0; ; n++) {
    const key = `${base}:${n}`;
    if (slotOf(key) >= start && slotOf(key) <= end) return key;
  }
}

/** The primary that holds `key` now (CLUSTER GETKEYSINSLOT on each current primary). */
async function holderNow(redis: ClusterContext, key: string): Promise<RedisServer> {
  const slot = await redis.keyslot(key);
  for (const { primary } of await currentRoles(redis)) {
    const keys = (await (
      await redis.direct(primary)
    ).call('CLUSTER', 'GETKEYSINSLOT', slot, 100_000)) as string[];
    if (keys.includes(key)) return primary;
  }
  throw new Error(`no primary holds ${key}`);
}

/**
 * CLUSTER FAILOVER on `replica`; waits until it is a primary and `oldPrimary` a replica in sync.
 * A manual failover gives up by itself after 5 s (a busy machine, a replica still syncing after
 * the previous test's failover), so it is asked again, a few times.
 */
async function failOver(redis: ClusterContext, replica: RedisServer, oldPrimary: RedisServer): Promise<void> {
  const promoted = await redis.direct(replica);
  const role = async (client: Awaited<ReturnType<ClusterContext['direct']>>) =>
    (await client.call('ROLE')) as unknown[];
  assert.ok(
    await eventually(async () => (await role(promoted))[3] === 'connected', 15_000),
    `${replica.port} replicates before the failover: ROLE ${JSON.stringify(await role(promoted))}`,
  );
  // The replica asks its primary over the cluster bus to start, and a primary ignores that from a
  // node it does not yet know as its own replica: right after an earlier failover of this shard,
  // gossip takes up to a second to tell it, and the request would wait out the 5 s in vain.
  const current = await redis.direct(oldPrimary);
  assert.ok(
    await eventually(async () => {
      const id = String(await current.call('CLUSTER', 'MYID'));
      const nodes = parseNodes(String(await current.call('CLUSTER', 'NODES')));
      return nodes.some((node) => node.port === replica.port && node.primaryId === id);
    }, 15_000),
    `${oldPrimary.port} knows ${replica.port} as its replica before the failover`,
  );
  const ready = Math.max(
    (promotedAt.get(replica.port) ?? -Infinity) + ELECTION_RETRY_MS,
    (replacedAt.get(oldPrimary.port) ?? -Infinity) + VOTE_RETRY_MS,
  );
  if (ready > performance.now()) await sleep(ready - performance.now());
  let promotedInTime = false;
  for (let attempt = 0; attempt < 3 && !promotedInTime; attempt++) {
    assert.equal(await promoted.call('CLUSTER', 'FAILOVER'), 'OK');
    promotedInTime = await eventually(async () => (await role(promoted))[0] === 'master', 6000);
  }
  assert.ok(promotedInTime, `${replica.port} took over from ${oldPrimary.port}`);
  promotedAt.set(replica.port, performance.now());
  replacedAt.set(oldPrimary.port, performance.now());
  const demoted = await redis.direct(oldPrimary);
  assert.ok(
    await eventually(async () => {
      const state = await role(demoted);
      return state[0] === 'slave' && state[3] === 'connected';
    }, 15_000),
    `${oldPrimary.port} replicates from ${replica.port}: ROLE ${JSON.stringify(await role(demoted))}`,
  );
}

forEachProtocol(shared, (redis) => {
  test('scan() refuses on a cluster, pointing to scanIterator, on every path', async () => {
    const refusal = { name: 'ArgumentError', code: 'ERR_ARGUMENT', message: /scanIterator/ };
    await assert.rejects(redis.client.scan(0), refusal);
    await assert.rejects(redis.client.withOptions({ timeout: 1000 }).scan(0), refusal);
    await assert.rejects(redis.client.call('SCAN', 0), refusal);
    const pipeline = redis.client.pipeline();
    pipeline.scan(0);
    await assert.rejects(pipeline.exec(), refusal);
  });

  test('scanIterator finds all of 10,000 keys spread over every primary', async () => {
    const prefix = uniqueKey('scanall');
    const keys = await writeKeys(redis.client, prefix, 10_000);
    const roles = await currentRoles(redis);
    const held = await keysPerNode(
      redis,
      roles.map((pair) => pair.primary),
      `${prefix}:*`,
    );
    for (const [port, list] of held)
      assert.ok(list.length > 1000, `primary ${port} holds ${list.length} keys`);
    assert.equal(
      [...held.values()].reduce((total, list) => total + list.length, 0),
      10_000,
    );

    const seen = await collect(redis.client.scanIterator({ match: `${prefix}:*`, count: 500 }));
    assert.equal(new Set(seen).size, 10_000);
    assert.deepEqual(sorted([...new Set(seen)]), sorted(keys));
  });

  test('scanIterator applies match and type on every primary; a buffers view yields Buffers', async () => {
    const prefix = uniqueKey('scanfilter');
    const hashes = Array.from({ length: 30 }, (_, i) => `${prefix}:hash:${i}`);
    for (const key of hashes) await redis.client.hset(key, { f: 'v' });
    await writeKeys(redis.client, `${prefix}:string`, 30);
    const found = await collect(
      redis.client.scanIterator({ match: `${prefix}:*`, type: 'hash', count: 100 }),
    );
    assert.deepEqual(sorted(found), sorted(hashes));
    const owners = new Set(
      await Promise.all(hashes.map(async (key) => (await redis.holdersOf(key))[0]?.port)),
    );
    assert.equal(owners.size, 3, 'the hashes live on all three primaries');
    const buffers = await collect(
      redis.client.withOptions({ buffers: true }).scanIterator({ match: `${prefix}:hash:*`, count: 100 }),
    );
    assert.ok(buffers.every((key) => Buffer.isBuffer(key)));
    assert.deepEqual(sorted(buffers.map(String)), sorted(hashes));
  });

  test('a manual failover in the middle of a primary scan: every key is still found, on the new primary', async () => {
    const prefix = uniqueKey('scanfailover');
    const keys = await writeKeys(redis.client, prefix, 3000);
    const { primary: victim, replica } = await restedShard(redis);
    const victimKeys = new Set((await keysPerNode(redis, [victim], `${prefix}:*`)).get(victim.port));
    assert.ok(victimKeys.size > 300);
    const scansBefore = await commandStat(await redis.direct(replica), 'scan', 'calls');

    const seen: string[] = [];
    let failedOver = false;
    for await (const key of redis.client.scanIterator({ match: `${prefix}:*`, count: 50 })) {
      seen.push(key);
      if (!failedOver && victimKeys.has(key)) {
        // The iterator is in the middle of the victim's scan (it scans one primary at a time).
        failedOver = true;
        await failOver(redis, replica, victim);
      }
    }
    assert.ok(failedOver);
    assert.deepEqual(sorted([...new Set(seen)]), sorted(keys));
    assert.ok(seen.length > keys.length, 'the victim was scanned again: some keys came twice');
    const scansAfter = await commandStat(await redis.direct(replica), 'scan', 'calls');
    assert.ok(scansAfter > scansBefore, 'the scan was resumed on the promoted replica');
  });

  test('hscanIterator follows a failover of its key\u2019s primary: every field, restarted on the new owner', async () => {
    const pair = await restedShard(redis);
    const key = await keyServedBy(redis, pair.primary, 'hscanfailover');
    const fields = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, `v${i}`]));
    await redis.client.hset(key, fields);
    assert.equal((await holderNow(redis, key)).port, pair.primary.port, 'the hash is on the rested shard');
    const pairs: Array<[string, string]> = [];
    for await (const entry of redis.client.hscanIterator(key, { count: 20 })) {
      pairs.push(entry);
      if (pairs.length === 100) await failOver(redis, pair.replica, pair.primary);
    }
    assert.deepEqual(Object.fromEntries(pairs), fields);
    assert.ok(pairs.length > 1000, 'the iteration restarted from cursor 0 after MOVED');
  });

  test('sscanIterator and zscanIterator run on the primary of their key', async () => {
    const set = uniqueKey('sscan');
    const members = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await redis.client.sadd(set, members[0], ...members.slice(1));
    assert.deepEqual(
      sorted([...new Set(await collect(redis.client.sscanIterator(set, { count: 30 })))]),
      sorted(members),
    );
    const zset = uniqueKey('zscan');
    await redis.client.call('ZADD', zset, 1, 'a', 2.5, 'b');
    const scored = await collect(redis.client.zscanIterator(zset));
    assert.deepEqual(scored.map(({ member, score }) => [member, score]).sort(), [
      ['a', 1],
      ['b', 2.5],
    ]);
    await assert.rejects(collect(redis.client.zscanIterator(set)), { code: 'WRONGTYPE' });
  });
});

test('kill -9 of a primary mid-scan: the scan waits out the failover and still finds every key', {
  // A kill -9 failover waits out cluster-node-timeout: seconds, so it runs with REDMOON_SOAK=1.
  skip: process.env.REDMOON_SOAK !== '1',
}, async () => {
  const redis = Object.create(shared, { resp: { value: 3 } }) as ClusterContext;
  const cluster = await shared.newCluster();
  const prefix = uniqueKey('scankill');
  const keys = await writeKeys(cluster, prefix, 3000);
  const [{ primary: victim, replica }] = await currentRoles(redis);
  const victimKeys = new Set((await keysPerNode(redis, [victim], `${prefix}:*`)).get(victim.port));
  // Replication is asynchronous: let the replica hold every key before the primary dies.
  assert.ok(
    await eventually(
      async () =>
        (await keysPerNode(redis, [replica], `${prefix}:*`)).get(replica.port)?.length === victimKeys.size,
    ),
  );
  const seen: string[] = [];
  let killed = false;
  for await (const key of cluster.scanIterator({ match: `${prefix}:*`, count: 50 })) {
    seen.push(key);
    if (!killed && victimKeys.has(key)) {
      killed = true;
      await victim.kill('SIGKILL');
    }
  }
  assert.ok(killed);
  assert.deepEqual(sorted([...new Set(seen)]), sorted(keys));
  await victim.restart();
  await sleep(500);
});

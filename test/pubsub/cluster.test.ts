import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveClientOptions } from '../../src/client/options.js';
import { NodePool } from '../../src/cluster/node-pool.js';
import { ClusterPlacement } from '../../src/cluster/pubsub-placement.js';
import { Client, type Cluster, type Subscription, slotOf } from '../../src/index.js';
import { Topic } from '../../src/pubsub/topic.js';
import type { RedisCluster, RedisServer } from '../../src/testing/index.js';
import { forEachProtocol, THREE_BY_ONE, useCluster } from '../cluster/cluster-helpers.js';
import { sleep, uniqueKey, waitUntil } from '../helpers.js';

// One 3×1 cluster for the file. Where a subscription lives is asked of the nodes themselves
// (PUBSUB SHARDNUMSUB / NUMSUB on each), never of the client under test.

/** A short-lived client to one node; `reconnect: false`, so a dead node fails fast. */
async function withNode<T>(node: RedisServer, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ url: node.url, resp: 2, reconnect: false });
  await client.connect();
  try {
    return await run(client);
  } finally {
    client.disconnect();
  }
}

/** The node (of all of them, replicas included) that is the primary serving `slot` now. */
async function ownerOf(harness: RedisCluster, slot: number): Promise<RedisServer> {
  for (const node of harness.nodes) {
    try {
      const port = await withNode(node, async (client) => {
        const slots = (await client.call('CLUSTER', 'SLOTS')) as unknown[][];
        for (const [start, end, primary] of slots as Array<[number, number, unknown[]]>) {
          if (slot >= start && slot <= end) return Number(primary[1]);
        }
        return undefined;
      });
      const owner = harness.nodes.find((candidate) => candidate.port === port);
      if (owner !== undefined) return owner;
    } catch {
      // a node that is down: ask the next one
    }
  }
  throw new Error(`no node knows who serves slot ${slot}`);
}

/** The primaries serving slots now, in slot order (failovers in earlier tests change them). */
async function currentPrimaries(harness: RedisCluster): Promise<RedisServer[]> {
  const owners: RedisServer[] = [];
  for (const slot of [0, 8192, 16383]) {
    const owner = await ownerOf(harness, slot);
    if (!owners.includes(owner)) owners.push(owner);
  }
  for (const node of harness.nodes) {
    if (owners.length >= 3) break;
    const role = await withNode(node, (client) => client.call('ROLE')).catch(() => undefined);
    if (Array.isArray(role) && role[0] === 'master' && !owners.includes(node)) owners.push(node);
  }
  return owners;
}

/** `errorstat_<code>:count=` in INFO errorstats of `node`; 0 when never raised. */
async function errorCount(node: RedisServer, code: string): Promise<number> {
  const text = await withNode(node, (client) => client.info('errorstats'));
  const match = new RegExp(`errorstat_${code}:count=(\\d+)`).exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** Subscribers of shard channel `channel` on `node` (PUBSUB SHARDNUMSUB). */
function shardSubscribers(node: RedisServer, channel: string): Promise<number> {
  return withNode(node, async (client) => {
    const reply = (await client.call('PUBSUB', 'SHARDNUMSUB', channel)) as unknown[];
    return Number(reply[1]);
  });
}

/** Nodes where `channel` has a subscriber (PUBSUB NUMSUB on each). */
async function nodesSubscribedTo(harness: RedisCluster, channel: string): Promise<RedisServer[]> {
  const found: RedisServer[] = [];
  for (const node of harness.nodes) {
    try {
      const count = await withNode(node, async (client) => {
        const reply = (await client.call('PUBSUB', 'NUMSUB', channel)) as unknown[];
        return Number(reply[1]);
      });
      if (count > 0) found.push(node);
    } catch {
      // down
    }
  }
  return found;
}

/** A fresh channel name whose hash slot is served by `owner`, and not `avoidSlot`. */
async function channelOn(
  harness: RedisCluster,
  owner: RedisServer,
  prefix: string,
  avoidSlot = -1,
): Promise<string> {
  const base = uniqueKey(prefix);
  for (let n = 0; ; n++) {
    const name = `${base}:${n}`;
    const slot = slotOf(name);
    if (slot !== avoidSlot && (await ownerOf(harness, slot)).port === owner.port) return name;
  }
}

/** Moves `slot` from `source` to `target` by hand (it holds no keys: channels are not keys). */
async function migrateSlot(harness: RedisCluster, slot: number, source: RedisServer, target: RedisServer) {
  const sourceId = String(await withNode(source, (client) => client.call('CLUSTER', 'MYID')));
  const targetId = String(await withNode(target, (client) => client.call('CLUSTER', 'MYID')));
  await withNode(target, (client) => client.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId));
  await withNode(source, (client) => client.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId));
  for (const node of harness.nodes) {
    const isPrimary = await withNode(
      node,
      async (client) => ((await client.call('ROLE')) as unknown[])[0] === 'master',
    );
    if (isPrimary)
      await withNode(node, (client) => client.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId));
  }
}

/** Waits until every node is up, 3 are primaries and every replica is in sync with its primary. */
async function waitForStableCluster(harness: RedisCluster): Promise<void> {
  await waitUntilAsync(async () => {
    let primaries = 0;
    for (const node of harness.nodes) {
      const role = await withNode(node, (client) => client.call('ROLE')).catch(() => undefined);
      if (!Array.isArray(role)) return false;
      if (role[0] === 'master') primaries++;
      else if (role[3] !== 'connected') return false;
    }
    return primaries === 3;
  }, 20_000);
}

async function waitUntilAsync(probe: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not so within ${ms} ms`);
    await sleep(50);
  }
}

/** Records messages and the interruption events of one subscription. */
function watch<S extends Subscription>(sub: S, events: string[]): S {
  sub.on('interrupted', (error: { code: string }) => events.push(`interrupted ${error.code}`));
  sub.on('resumed', () => events.push('resumed'));
  sub.on('end', (error?: { code: string }) => events.push(`end ${error?.code ?? ''}`));
  return sub;
}

/** Publishes on shard `channel` until the listener saw one (a node may still be taking the slot over). */
async function spublishUntilHeard(
  cluster: Cluster,
  channel: string,
  got: string[],
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  const before = got.length;
  for (let i = 0; got.length === before; i++) {
    if (Date.now() > deadline) throw new Error(`nothing published on ${channel} was heard within ${ms} ms`);
    await cluster.spublish(channel, `probe ${i}`).catch(() => 0);
    await sleep(20);
  }
}

describe('pub/sub on a cluster', () => {
  // A 1 s node timeout (2 s by default): the kill -9 test waits it out before the replica is promoted.
  const shared = useCluster({ ...THREE_BY_ONE, config: { 'cluster-node-timeout': 1000 } });

  forEachProtocol(shared, (redis) => {
    test('ssubscribe takes channels of several slots and nodes; each lives on its slot owner', async () => {
      const harness = redis.cluster;
      const [a, b] = await currentPrimaries(harness);
      const first = await channelOn(harness, a, 'multi');
      const second = await channelOn(harness, a, 'multi', slotOf(first));
      const third = await channelOn(harness, b, 'multi');
      const got: string[] = [];
      const sub = await redis.client.ssubscribe([first, second, third], (message, channel) =>
        got.push(`${channel}=${message}`),
      );
      assert.equal(sub.status, 'live');
      assert.deepEqual(
        await Promise.all([
          shardSubscribers(a, first),
          shardSubscribers(a, second),
          shardSubscribers(b, third),
        ]),
        [1, 1, 1],
      );
      for (const channel of [first, second, third])
        assert.equal(await redis.client.spublish(channel, 'x'), 1);
      await waitUntil(() => got.length === 3);
      assert.deepEqual(got.sort(), [`${first}=x`, `${second}=x`, `${third}=x`].sort());
      await sub.unsubscribe();
      assert.equal(await shardSubscribers(a, first), 0);
    });

    test('after the subscriber connection is lost, channels of several slots come back, one SSUBSCRIBE per slot', async () => {
      const harness = redis.cluster;
      const node = (await currentPrimaries(harness))[1];
      const channels = [await channelOn(harness, node, 'back')];
      channels.push(await channelOn(harness, node, 'back', slotOf(channels[0])));
      const got: string[] = [];
      const events: string[] = [];
      const sub = watch(await redis.client.ssubscribe(channels, (message) => got.push(message)), events);
      const crossSlotBefore = await errorCount(node, 'CROSSSLOT');
      await withNode(node, (client) => client.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
      await waitUntil(() => events.includes('resumed'), 5000, 'resumed');
      assert.deepEqual(events, ['interrupted CONNECTION_LOST', 'resumed']);
      assert.equal(await errorCount(node, 'CROSSSLOT'), crossSlotBefore, 'no resubscribe mixed slots');
      for (const channel of channels) assert.equal(await redis.client.spublish(channel, channel), 1);
      await waitUntil(() => got.length === 2);
      await sub.unsubscribe();
    });

    test('a shard channel follows its slot through a hand-made migration (the server unsubscribes it)', async () => {
      const harness = redis.cluster;
      const [source, , target] = await currentPrimaries(harness);
      const channel = await channelOn(harness, source, `mig${redis.resp}`);
      const slot = slotOf(channel);
      const got: string[] = [];
      const events: string[] = [];
      const sub = watch(await redis.client.ssubscribe(channel, (message) => got.push(message)), events);
      assert.equal(await redis.client.spublish(channel, 'before'), 1);
      await waitUntil(() => got.length === 1);

      await migrateSlot(harness, slot, source, target);
      await waitUntil(() => events.includes('resumed'), 5000, 'resumed after the migration');
      assert.deepEqual(events, ['interrupted SUBSCRIPTION_MOVED', 'resumed']);
      assert.equal(await shardSubscribers(target, channel), 1, 'now subscribed on the new owner');
      assert.equal(await shardSubscribers(source, channel), 0);
      assert.equal(await redis.client.spublish(channel, 'after'), 1);
      await waitUntil(() => got.length === 2);
      assert.deepEqual(got, ['before', 'after']);
      assert.equal(sub.status, 'live');
      await sub.unsubscribe();
    });

    test('SSUBSCRIBE answered MOVED (a stale slot map) is sent to the node the answer names', async () => {
      const harness = redis.cluster;
      // A client whose map is loaded now and never refreshed by itself.
      const stale = await shared.newCluster({ resp: redis.resp, refreshInterval: 0 });
      const [target, source] = await currentPrimaries(harness);
      const channel = await channelOn(harness, source, `moved${redis.resp}`);
      await migrateSlot(harness, slotOf(channel), source, target);
      const movedBefore = await errorCount(source, 'MOVED');
      const got: string[] = [];
      const sub = await stale.ssubscribe(channel, (message) => got.push(message));
      assert.equal(await errorCount(source, 'MOVED'), movedBefore + 1, 'the old owner answered MOVED once');
      assert.equal(await shardSubscribers(target, channel), 1);
      assert.equal(await stale.spublish(channel, 'found'), 1);
      await waitUntil(() => got.length === 1);
      await sub.unsubscribe();
    });

    test('subscribe (not sharded) lives on one node; PUBLISH anywhere reaches it, and it comes back after a loss', async () => {
      const harness = redis.cluster;
      const channel = uniqueKey('bcast');
      const got: string[] = [];
      const events: string[] = [];
      const sub = watch(await redis.client.subscribe(channel, (message) => got.push(message)), events);
      const holders = await nodesSubscribedTo(harness, channel);
      assert.equal(holders.length, 1, 'one node holds the subscription');
      for (const node of await currentPrimaries(harness)) {
        await withNode(node, (client) => client.call('PUBLISH', channel, `via ${node.port}`));
      }
      await waitUntil(() => got.length === 3);
      await withNode(holders[0], (client) => client.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
      await waitUntil(() => events.includes('resumed'), 5000, 'resumed');
      assert.equal((await nodesSubscribedTo(harness, channel)).length, 1);
      await redis.client.publish(channel, 'again');
      await waitUntil(() => got.length === 4);
      await sub.unsubscribe();
    });

    test('a manual failover: the shard channel moves to the promoted replica and keeps receiving', async () => {
      const harness = redis.cluster;
      // A shard of its own per protocol: a manual failover right after one on the same shard times
      // out on the server ("Manual failover timed out"), whatever the client does.
      const shard = (await currentPrimaries(harness))[redis.resp === 2 ? 1 : 2];
      const channel = await channelOn(harness, shard, `fo${redis.resp}`);
      const slot = slotOf(channel);
      const oldPrimary = await ownerOf(harness, slot);
      const got: string[] = [];
      const events: string[] = [];
      const sub = watch(await redis.client.ssubscribe(channel, (message) => got.push(message)), events);
      const replicaPort = await withNode(oldPrimary, async (client) => {
        const role = (await client.call('ROLE')) as [string, number, Array<[string, string, string]>];
        return Number(role[2][0][1]);
      });
      const replica = harness.nodes.find((node) => node.port === replicaPort)!;
      assert.equal(await withNode(replica, (client) => client.call('CLUSTER', 'FAILOVER')), 'OK');
      await waitUntil(() => events.includes('resumed'), 10_000, 'resumed after the failover');
      assert.equal(events[0], 'interrupted SUBSCRIPTION_MOVED');
      // The node asked first may hear of the promotion a little after the old primary did.
      let owner = await ownerOf(harness, slot);
      for (let i = 0; i < 100 && owner.port !== replica.port; i++) {
        await sleep(20);
        owner = await ownerOf(harness, slot);
      }
      assert.equal(owner.port, replica.port, 'the replica serves the slot now');
      assert.equal(await shardSubscribers(replica, channel), 1, 'subscribed on the new primary');
      await spublishUntilHeard(redis.client, channel, got);
      assert.equal(sub.status, 'live');
      await sub.unsubscribe();
      await waitForStableCluster(harness);
    });
  });

  describe('kill -9 of a primary', () => {
    test('its shard channels resume on the promoted replica, and channels on another node', async () => {
      const harness = shared.cluster;
      // The shard of slot 0 was never failed over in this file (see the manual failover test).
      const victim = await ownerOf(harness, 0);
      // Channels go to a primary picked at random: take clients until one picked the victim.
      const broadcast = uniqueKey('killed');
      const heard: string[] = [];
      const events: string[] = [];
      let cluster: Cluster | undefined;
      let sub: Subscription | undefined;
      for (let attempt = 0; attempt < 30 && cluster === undefined; attempt++) {
        const candidate = await shared.newCluster({ reconnect: { initialDelay: 20, maxDelay: 200 } });
        const candidateSub = await candidate.subscribe(broadcast, (message) => heard.push(message));
        const [holder] = await nodesSubscribedTo(harness, broadcast);
        if (holder.port === victim.port) {
          cluster = candidate;
          sub = watch(candidateSub, events);
        } else {
          await candidate.quit();
        }
      }
      assert.ok(cluster !== undefined && sub !== undefined, 'a client subscribed on the victim');
      const channel = await channelOn(harness, victim, 'victim');
      const shardHeard: string[] = [];
      const shardEvents: string[] = [];
      const shardSub = watch(
        await cluster.ssubscribe(channel, (message) => shardHeard.push(message)),
        shardEvents,
      );

      await victim.kill('SIGKILL');
      // The broadcast subscription moves to another node at once; the shard channel waits for the
      // replica's promotion (cluster-node-timeout), interrupted meanwhile.
      await waitUntil(() => events.includes('resumed'), 5000, 'the channel to resume elsewhere');
      assert.deepEqual(events, ['interrupted CONNECTION_LOST', 'resumed']);
      const [holder] = await nodesSubscribedTo(harness, broadcast);
      assert.notEqual(holder.port, victim.port);
      await cluster.publish(broadcast, 'still here');
      await waitUntil(() => heard.length === 1);

      await waitUntil(() => shardEvents.includes('resumed'), 20_000, 'the shard channel to resume').catch(
        async (error: Error) => {
          const owner = await ownerOf(harness, slotOf(channel)).catch((e: Error) => e.message);
          throw new Error(
            `${error.message}: events ${shardEvents.join(', ')}; client primaries ${cluster.primaries.join(', ')}; owner ${typeof owner === 'string' ? owner : owner.port}; victim ${victim.port}`,
          );
        },
      );
      assert.equal(shardEvents[0], 'interrupted CONNECTION_LOST');
      assert.ok(!shardEvents.some((event) => event.startsWith('end')), shardEvents.join(', '));
      await spublishUntilHeard(cluster, channel, shardHeard);
      await Promise.all([sub.unsubscribe(), shardSub.unsubscribe()]);
      await victim.restart();
      await waitForStableCluster(harness);
    });
  });
});

/**
 * The placement behind the manual-failover test above, without its race: after a failover ends
 * a shard subscription on the old primary, the slot map reloaded next may come from a node that
 * has not heard yet and still name the old primary — now a replica, which accepts SSUBSCRIBE.
 * The placement must not put the channel back there at once, nor refuse it for ever.
 */
describe('shard channel placement after a node ended the subscription', () => {
  const shared = useCluster(THREE_BY_ONE);

  test('keeps the channel off that node while the map still names it, a bounded number of times', async () => {
    const seed = shared.cluster.nodes[0];
    const pool = new NodePool(
      [{ host: seed.host, port: seed.port, address: `${seed.host}:${seed.port}` }],
      resolveClientOptions({}).connection,
      false,
    );
    try {
      await pool.refresh();
      const placement = new ClusterPlacement(pool);
      const name = Buffer.from(uniqueKey('placed'));
      const slot = slotOf(name);
      const topic = new Topic('shard', name, name.toString(), slot);
      const owner = placement.homeOf(topic)!;
      assert.equal(owner.address, pool.shardOf(slot)?.primary.address);

      placement.dropped(topic, owner);
      const tries = Array.from({ length: 6 }, () => placement.homeOf(topic)?.address);
      assert.deepEqual(tries, [undefined, undefined, undefined, undefined, undefined, owner.address]);

      // Once the map names another node, the channel goes there at once.
      placement.dropped(topic, owner);
      const other = pool.primaries.find((node) => node.address !== owner.address)!;
      pool.moved(slot, other);
      assert.equal(placement.homeOf(topic)?.address, other.address);
      // And a later drop by that node is judged afresh.
      assert.equal(placement.homeOf(topic)?.address, other.address);
    } finally {
      await pool.close(false);
    }
  });
});

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type Cluster, slotOf } from '../../src/index.js';
import {
  ExpiringCounter,
  FixedWindowLimiter,
  Idempotency,
  Lock,
  Semaphore,
  SlidingLogLimiter,
  TokenBucketLimiter,
} from '../../src/patterns/index.js';
import { forEachProtocol, THREE_BY_ONE, useCluster } from '../cluster/cluster-helpers.js';
import { uniqueKey } from '../helpers.js';
import { failoverTests } from './failover.js';
import { counterKillProperties } from './kill-harness.js';
import { limiterProperties, lockProperties, semaphoreProperties } from './properties.js';

// The same properties as on a single server, on a 3-primary cluster: every call's keys share a
// slot (a hash tag from the resource name), so each script runs whole on the primary of that slot.
// The cluster has a replica per primary for the failover test, which runs last (it kills a
// primary); a node timeout shorter than the harness default (2 s) makes that failover quicker.
const shared = useCluster({ ...THREE_BY_ONE, config: { 'cluster-node-timeout': 1000 } });

forEachProtocol(shared, (context) => {
  test("a lock's keys, and a name's own hash tag, land in one slot on the node that serves it", async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('report');
    const lease = (await lock.tryAcquire(context.client, name))!;
    const key = lock.key(name);
    assert.equal(key, `redmoon:lock:{${name}}`);
    assert.equal(await context.keyslot(`${key}:fence`), await context.keyslot(key));
    assert.deepEqual(
      (await context.holdersOf(key)).map((node) => node.port),
      [(await context.ownerOf(slotOf(key))).port],
    );
    assert.equal((await context.holdersOf(`${key}:fence`)).length, 1);
    await lease.release();

    const tagged = uniqueKey('order:{42}');
    assert.equal(await context.keyslot(lock.key(tagged)), await context.keyslot('{42}'));
  });

  test('checks of names in different slots run from one pipeline, split by node', async () => {
    const limiter = new TokenBucketLimiter({ limit: 1, window: 10_000 });
    const names = Array.from({ length: 12 }, () => uniqueKey('spread'));
    assert.ok(new Set(names.map((name) => slotOf(limiter.key(name)))).size > 1);
    await limiter.check(context.client, names[0]);
    const pipeline = context.client.pipeline();
    const checks = names.map((name) => limiter.check(pipeline, name));
    await pipeline.exec();
    const allowed = (await Promise.all(checks)).map((result) => result.allowed);
    assert.deepEqual(allowed, [false, ...names.slice(1).map(() => true)]);
  });

  test('a transaction may combine a check with other commands on the same slot', async () => {
    const limiter = new FixedWindowLimiter({ limit: 5, window: 10_000 });
    const counter = new ExpiringCounter({ ttl: 10_000 });
    const name = `${uniqueKey('tx')}:{same}`;
    const tx = context.client.multi();
    const check = limiter.check(tx, name);
    const count = counter.incr(tx, name);
    await tx.exec();
    assert.equal((await check).remaining, 4);
    assert.equal((await count).value, 1);
  });

  test('semaphore, counter, sliding log and idempotency work on the cluster as on a client', async () => {
    const semaphore = new Semaphore({ size: 1, lease: 5000 });
    const name = uniqueKey('c');
    const permit = (await semaphore.tryAcquire(context.client, name))!;
    assert.equal(await semaphore.tryAcquire(context.client, name), null);
    assert.equal(await permit.release(), true);
    const log = new SlidingLogLimiter({ limit: 1, window: 10_000 });
    assert.equal((await log.check(context.client, name)).allowed, true);
    assert.equal((await log.check(context.client, name)).allowed, false);
    const once = new Idempotency<number>();
    assert.equal((await once.run(context.client, name, () => 1)).replayed, false);
    assert.equal((await once.run(context.client, name, () => 2)).value, 1);
  });

  limiterProperties({
    get target() {
      return context.client;
    },
    resp: context.resp,
  });
  lockProperties({
    get target() {
      return context.client;
    },
    resp: context.resp,
  });
  semaphoreProperties({
    get target() {
      return context.client;
    },
    resp: context.resp,
  });
});

describe('callers killed between calls (both protocols)', () => {
  let client: Cluster | undefined;
  before(async () => {
    client = await shared.newCluster();
  });
  counterKillProperties({
    get target() {
      if (client === undefined) throw new Error('not connected yet');
      return client;
    },
    get connectTo() {
      return { urls: shared.cluster.urls };
    },
    async keysMatching(pattern) {
      const perNode = await Promise.all(
        shared.cluster.primaries.map(async (node) => (await shared.direct(node)).keys(pattern)),
      );
      return perNode.flat();
    },
  });
});

failoverTests(shared);

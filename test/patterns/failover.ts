import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Client, type Cluster, slotOf } from '../../src/index.js';
import { LeaseLostError, Lock, type LockLease } from '../../src/patterns/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import type { SharedCluster } from '../cluster/cluster-helpers.js';
import { abortedWithin, PROTOCOLS, sleep, uniqueKey } from '../helpers.js';
import { FENCED_WRITE } from './properties.js';

// kill -9 of the primary that serves some locks, on a cluster with one replica per primary.
// Replication is asynchronous: what the primary acknowledged but had not sent to its replica is
// gone after the replica takes over. The test makes both cases certain, for each protocol:
//
// - "replicated" locks were acquired, then the replica caught up: they survive the failover.
// - "lost" locks were acquired after the replication link was cut (the replica is stopped with
//   SIGSTOP, its link killed, the locks taken, the primary killed, the replica resumed): the
//   new primary has never heard of them, so a second client acquires the same lock while the
//   first still believes it holds it. What keeps the protected resource safe is that the second
//   token is higher than every token the old primary issued, and the resource refuses the first.

/**
 * Registers the failover test on `shared`, a cluster with a replica per primary. It kills
 * primaries[0] and does not bring it back: register it after every other test of the file.
 */
export function failoverTests(shared: SharedCluster): void {
  interface Held {
    client: Cluster;
    name: string;
    lease: LockLease;
  }

  /**
   * The slot ranges `node` serves, as the cluster says through `survivor`: a primary the test does
   * not kill (the shared helpers ask primaries[0], which is the one killed here).
   */
  async function rangesOf(node: RedisServer): Promise<Array<[number, number]>> {
    const survivor = await shared.direct(shared.cluster.primaries[1]);
    const slots = (await survivor.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    return slots.filter((entry) => Number(entry[2][1]) === node.port).map(([start, end]) => [start, end]);
  }

  /** A fresh resource name whose lock lives on `node`. */
  async function nameOn(lock: Lock, node: RedisServer, prefix: string): Promise<string> {
    const ranges = await rangesOf(node);
    assert.ok(ranges.length > 0, `${node.port} serves no slots`);
    const base = uniqueKey(prefix);
    for (let n = 0; ; n++) {
      const slot = slotOf(lock.key(`${base}:${n}`));
      if (ranges.some(([start, end]) => slot >= start && slot <= end)) return `${base}:${n}`;
    }
  }

  /** Polls ROLE on the primary until its replica has acknowledged everything it was sent. */
  async function replicaCaughtUp(primary: Client): Promise<void> {
    // A replica reports its offset once a second (REPLCONF ACK): allow for a loaded machine.
    for (let i = 0; i < 1000; i++) {
      const role = (await primary.call('ROLE')) as [string, number, Array<[string, string, string]>];
      if (role[2].length > 0 && role[2].every((replica) => Number(replica[2]) >= role[1])) return;
      await sleep(10);
    }
    throw new Error('the replica did not catch up');
  }

  /** Retries a write to `name`'s lock slot until the promoted replica serves it. */
  async function waitForPromotion(lock: Lock, cluster: Cluster, name: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        await cluster.withOptions({ timeout: 1000 }).set(`${lock.key(name)}:probe`, 'x');
        return;
      } catch {
        await sleep(200); // still failing over
      }
    }
    throw new Error('the replica was not promoted');
  }

  describe('lock across a kill -9 failover (RESP2 and RESP3 clients, one failover)', () => {
    test('replicated locks survive; lost ones can be taken again, with higher tokens that fence out the old holder', async () => {
      const lock = new Lock({ lease: 30_000 });
      const victim = shared.cluster.primaries[0];
      const replica = shared.cluster.replicas[0];
      const survivor = shared.cluster.primaries[1];
      const clients = new Map<2 | 3, Cluster>();
      for (const resp of PROTOCOLS) clients.set(resp, await shared.newCluster({ resp }));
      const primary = await shared.direct(victim);

      // A protected resource on another shard: it survives the failover and checks every token.
      const logBase = await nameOn(lock, survivor, 'fenced');
      const log: [string, string] = [`${lock.key(logBase)}:seen`, `${lock.key(logBase)}:log`];

      // Tokens issued before the failover: a history, the replicated locks, then the lost locks.
      const issued: number[] = [];
      for (const client of clients.values()) {
        for (let i = 0; i < 5; i++) {
          const lease = (await lock.tryAcquire(client, await nameOn(lock, victim, 'history')))!;
          issued.push(lease.token);
          await lease.release();
        }
      }
      const replicated: Held[] = [];
      for (const client of clients.values()) {
        const name = await nameOn(lock, victim, 'replicated');
        const lease = (await lock.tryAcquire(client, name))!;
        issued.push(lease.token);
        replicated.push({ client, name, lease });
      }
      await replicaCaughtUp(primary);

      process.kill(replica.pid, 'SIGSTOP');
      const lost: Held[] = [];
      try {
        await primary.call('CLIENT', 'KILL', 'TYPE', 'replica');
        for (const client of clients.values()) {
          const name = await nameOn(lock, victim, 'lost');
          const lease = (await lock.tryAcquire(client, name, { autoExtend: 200 }))!;
          issued.push(lease.token);
          lost.push({ client, name, lease });
          // The holder writes to the resource under its token while the old primary still stands.
          assert.equal(
            await FENCED_WRITE.evalshaWithReload(client, log, [lease.token, `old:${lease.token}`]),
            1,
          );
        }
        await victim.kill('SIGKILL');
      } finally {
        process.kill(replica.pid, 'SIGCONT');
      }
      for (const { name } of lost) await waitForPromotion(lock, clients.get(3)!, name);
      for (const client of clients.values()) await client.refresh();
      const slot = slotOf(lock.key(lost[0].name));
      assert.ok(
        (await rangesOf(replica)).some(([start, end]) => slot >= start && slot <= end),
        'the replica serves the slots now',
      );
      const highest = Math.max(...issued);

      // Replicated locks: still held by the same holder, on the new primary.
      for (const { client, name, lease } of replicated) {
        assert.equal((await lock.status(client, name)).token, lease.token);
        assert.equal(await lock.tryAcquire(client, name), null, 'a replicated lock stays exclusive');
        assert.equal(await lease.extend(), true);
        assert.equal(await lease.release(), true);
      }

      // Lost locks: the new primary never had them, so someone else gets each, with a higher token.
      for (const { client, name, lease: old } of lost) {
        const status = await lock.status(client, name);
        assert.equal(status.held, false, 'the acquisition the old primary acknowledged is gone');
        assert.ok(status.lastToken === null || status.lastToken < old.token, 'its fence entry is gone too');
        const fresh = (await lock.tryAcquire(client, name))!;
        assert.ok(fresh.token > highest, `token ${fresh.token} after the failover, ${highest} before`);
        assert.equal(
          await FENCED_WRITE.evalshaWithReload(client, log, [fresh.token, `new:${fresh.token}`]),
          1,
        );
        // The old holder: its auto-extension finds the lock taken and aborts its signal; its late
        // writes are refused by the resource, which has seen a higher token.
        assert.ok((await abortedWithin(old.signal, 10_000)) instanceof LeaseLostError);
        assert.equal(await FENCED_WRITE.evalshaWithReload(client, log, [old.token, `stale:${old.token}`]), 0);
        assert.equal(await old.release(), false);
        await fresh.release();
      }
      const entries = (await clients.get(2)!.call('LRANGE', log[1], 0, -1)) as string[];
      assert.equal(entries.filter((entry) => entry.startsWith('stale:')).length, 0);
      assert.equal(entries.length, 2 * lost.length);

      // Every token issued from now on is above every token issued before the failover.
      for (const client of clients.values()) {
        const lease = (await lock.tryAcquire(client, await nameOn(lock, replica, 'after')))!;
        assert.ok(lease.token > highest);
        await lease.release();
      }
    });
  });
}

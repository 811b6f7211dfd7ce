import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Cluster, Library, Script, slotOf } from '../../src/index.js';
import { type RedisCluster, type RedisServer, startCluster } from '../../src/testing/index.js';
import { PROTOCOLS, sleep } from '../helpers.js';
import { assertNothingLost, type LoadResult, loadDuring, loadSummary, total } from '../write-load.js';

const INCR = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");

/** Workers running INCR scripts over `keys` while `during` runs (stopped also when it throws). */
function loadDuringSteps(cluster: Cluster, keys: string[], during: () => Promise<void>): Promise<LoadResult> {
  return loadDuring(keys, (key) => INCR.evalshaWithReload(cluster, [key], [1]), during);
}

async function direct(server: RedisServer): Promise<Client> {
  const client = new Client({ url: server.url, reconnect: false });
  await client.connect();
  return client;
}

/** Waits until the cluster settles: 3 primaries, and every replica connected to its primary. */
async function waitForStableCluster(harness: RedisCluster, primaries: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    let masters = 0;
    let settled = true;
    for (const server of harness.nodes) {
      const client = new Client({ url: server.url, reconnect: false });
      try {
        await client.connect();
        const role = (await client.call('ROLE')) as unknown[];
        if (role[0] === 'master') masters++;
        else if (role[3] !== 'connected') settled = false;
      } catch {
        // a killed node: not part of the count
      } finally {
        client.disconnect();
      }
    }
    if (settled && masters === primaries) return;
    await sleep(100);
  }
  throw new Error('the cluster did not settle');
}

async function ownerOf(harness: RedisCluster, slot: number): Promise<RedisServer> {
  for (const server of harness.nodes) {
    const client = await direct(server);
    try {
      const role = (await client.call('ROLE')) as unknown[];
      if (role[0] !== 'master') continue;
      const slots = (await client.call('CLUSTER', 'SLOTS')) as unknown[][];
      const myId = await client.call('CLUSTER', 'MYID');
      for (const range of slots) {
        const [start, end, primary] = range as [number, number, unknown[]];
        if (slot >= start && slot <= end && primary[2] === myId) return server;
      }
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`no primary serves slot ${slot}`);
}

/** Keys spread over every shard, plus `count` keys sharing the hash tag `tag`. */
function keysFor(tag: string, count: number, spread: number): string[] {
  const keys = Array.from({ length: count }, (_, i) => `{${tag}}:${i}`);
  for (let i = 0; i < spread; i++) keys.push(`${tag}:spread:${i}`);
  return keys;
}

const COUNTER_LIBRARY = `#!lua name=faultlib
redis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)
`;

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: faults under a scripted INCR load`, () => {
    let harness: RedisCluster;
    before(async () => {
      harness = await startCluster({ primaries: 3, replicasPerPrimary: 1 });
    });
    after(() => harness.stop());

    test('a slot migrated by hand during traffic (MIGRATING/IMPORTING, ASK, then MOVED) loses nothing', async () => {
      const cluster = new Cluster({ nodes: [harness.urls[0]], resp });
      await cluster.connect();
      try {
        const keys = keysFor(`mig${resp}`, 20, 20);
        const slot = slotOf(keys[0]);
        const source = await ownerOf(harness, slot);
        const target = harness.primaries.find((server) => server.port !== source.port)!;
        const src = await direct(source);
        const dst = await direct(target);
        const load = await loadDuringSteps(cluster, keys, async () => {
          await sleep(200);

          const sourceId = await src.call('CLUSTER', 'MYID');
          const targetId = await dst.call('CLUSTER', 'MYID');
          await dst.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId as string);
          await src.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId as string);
          for (;;) {
            const batch = (await src.call('CLUSTER', 'GETKEYSINSLOT', slot, 2)) as string[];
            if (batch.length === 0) break;
            await src.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', ...batch);
            await sleep(40);
          }
          for (const server of harness.primaries) {
            const node = await direct(server);
            await node.call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId as string);
            node.disconnect();
          }
          await sleep(300);
        });
        console.log(loadSummary(`RESP${resp} migration`, load));

        assert.ok(total(load.acknowledged) > 200, 'the load kept running through the migration');
        await assertNothingLost((key) => cluster.get(key), keys, load);
        assert.equal(
          await dst.call('CLUSTER', 'COUNTKEYSINSLOT', slot),
          20,
          'the migrated keys live on the target now',
        );
        assert.equal(await src.call('CLUSTER', 'COUNTKEYSINSLOT', slot), 0);
        assert.equal(total(load.uncertain), 0, 'redirects never leave a write in doubt');
        const stats = String(await dst.call('INFO', 'commandstats'));
        assert.match(
          stats,
          /cmdstat_asking:calls=[1-9]/,
          'the load followed ASK redirects to the importing node',
        );
        src.disconnect();
        dst.disconnect();
        await cluster.quit();
      } finally {
        // A failed step leaves the client connected: reconnecting for ever, it would keep the file alive.
        cluster.disconnect();
      }
    });

    test('a manual CLUSTER FAILOVER during traffic loses nothing and traffic resumes', async () => {
      const cluster = new Cluster({ nodes: [harness.urls[0]], resp });
      await cluster.connect();
      try {
        const keys = keysFor(`fo${resp}`, 10, 30);
        const replica = await direct(harness.replicas[0]);
        const load = await loadDuringSteps(cluster, keys, async () => {
          await sleep(200);

          assert.equal(await replica.call('CLUSTER', 'FAILOVER'), 'OK');
          const promotion = Date.now() + 15_000;
          while (Date.now() < promotion) {
            const role = (await replica.call('ROLE')) as unknown[];
            if (role[0] === 'master') break;
            await sleep(50);
          }
          assert.equal(((await replica.call('ROLE')) as unknown[])[0], 'master');
          await sleep(500);
        });
        console.log(loadSummary(`RESP${resp} manual failover`, load));
        // The old primary resynchronises as a replica; let that finish before the next test.
        await waitForStableCluster(harness, 3);
        await assertNothingLost((key) => cluster.get(key), keys, load);
        replica.disconnect();
        await cluster.quit();
      } finally {
        cluster.disconnect();
      }
    });

    test('kill -9 of a primary during traffic: acknowledged increments survive, failures say whether they may have run', async () => {
      const cluster = new Cluster({ nodes: harness.urls, resp });
      await cluster.connect();
      try {
        const keys = keysFor(`kill${resp}`, 10, 30);
        const library = await Library.fromCode(cluster, COUNTER_LIBRARY);
        let victim: { server: RedisServer; client: Client } | undefined;
        const load = await loadDuringSteps(cluster, keys, async () => {
          await sleep(300);

          // Pick a primary that has a replica. Replication is asynchronous, so pause its writes and
          // let the replica catch up before the kill: every write the client saw acknowledged is then
          // on the replica that takes over, and what was in flight fails as "may have run".
          const primaries = await Promise.all(
            harness.nodes.map(async (server) => ({ server, client: await direct(server) })),
          );
          for (const node of primaries) {
            const role = (await node.client.call('ROLE')) as unknown[];
            if (role[0] === 'master' && (role[2] as unknown[]).length > 0) {
              victim = node;
              break;
            }
          }
          assert.ok(victim, 'a primary with a replica');
          // A replica reports its offset once a second (REPLCONF ACK), so catching up takes up to a
          // second and more on a loaded machine; the pause outlasts the wait, which must succeed:
          // killed before, the primary would take acknowledged writes with it.
          await victim.client.call('CLIENT', 'PAUSE', 20_000, 'WRITE');
          const catchUp = Date.now() + 15_000;
          for (;;) {
            const role = (await victim.client.call('ROLE')) as [
              string,
              number,
              Array<[string, string, string]>,
            ];
            if (role[2].every((replica) => Number(replica[2]) === role[1])) break;
            if (Date.now() > catchUp)
              throw new Error(`the replica did not catch up: ROLE ${JSON.stringify(role)}`);
            await sleep(20);
          }
          for (const node of primaries) node.client.disconnect();
          await victim.server.kill('SIGKILL');

          // The replica is promoted after cluster-node-timeout; the load keeps going meanwhile.
          const deadline = Date.now() + 20_000;
          let resumed = false;
          while (Date.now() < deadline && !resumed) {
            await sleep(250);
            try {
              await cluster.withOptions({ timeout: 1000 }).set(`{kill${resp}}:probe`, 'x');
              resumed = true;
            } catch {
              // still failing over
            }
          }
          assert.ok(resumed, 'writes to the failed shard resume after the replica is promoted');
          await sleep(500);
        });
        assert.ok(victim !== undefined);
        console.log(loadSummary(`RESP${resp} kill -9`, load));
        await assertNothingLost((key) => cluster.get(key), keys, load);

        // The promoted replica is a primary now and has the library (functions replicate).
        await cluster.refresh();
        assert.ok(!cluster.primaries.includes(`127.0.0.1:${victim.server.port}`));
        for (const address of cluster.primaries) {
          const node = new Client({ url: `redis://${address}`, reconnect: false });
          await node.connect();
          const names = (await node.functionList()).map((info) => info.libraryName);
          assert.ok(names.includes('faultlib'), `${address} has the library`);
          node.disconnect();
        }
        assert.equal(
          await library.functions.get('bump')!.fcall(cluster, [keys[0]]),
          Number(await cluster.get(keys[0])),
        );
        await cluster.quit();
        await victim.server.restart();
      } finally {
        cluster.disconnect();
      }
    });

    test('a primary that lacks a library gets it when one of its functions is first called', async () => {
      const cluster = new Cluster({ nodes: harness.urls, resp });
      await cluster.connect();
      const code = COUNTER_LIBRARY.replace('faultlib', `heal${resp}`).replace("'bump'", `'heal_bump${resp}'`);
      const library = await Library.fromCode(cluster, code);
      const key = `heal${resp}:key`;
      const owner = await ownerOf(harness, slotOf(key));
      const node = await direct(owner);
      assert.equal(await node.functionDelete(`heal${resp}`), 'OK');
      assert.equal(await library.functions.get(`heal_bump${resp}`)!.fcall(cluster, [key]), 1);
      assert.ok((await node.functionList()).some((info) => info.libraryName === `heal${resp}`));
      node.disconnect();
      await cluster.quit();
    });
  });
}

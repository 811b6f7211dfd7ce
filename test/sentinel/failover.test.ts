import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Client, Library, RedisError, Script, type Sentinel } from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { PROTOCOLS, sleep } from '../helpers.js';
import { nextFailover, useSentinel } from './sentinel-helpers.js';

// Failovers under a write load, with the accounting of test/cluster/faults.test.ts: per counter,
// acknowledged <= actual <= acknowledged + failures that said they may have run.
//
// Redis replication is asynchronous, and Sentinel announces a promotion only after it happened
// (and demotes the old primary ~10 s later), so writes the old primary acknowledges in between
// are lost by design. Each test therefore pauses writes on the primary and lets the replicas
// catch up before failing it over, as the cluster test does before its kill -9: every write the
// client saw acknowledged is then on the replica that takes over, and what was in flight fails
// as "may have run". What is measured is the client: that it follows the failover, keeps its
// promises about what may have run, and that scripts and functions work on the new primary.

const shared = useSentinel();

const INCR = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");
const LIBRARY = `#!lua name=failoverlib
redis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)
`;
const WORKERS = 16;

/** Outcome of a write load per counter, and how the writes were spread in time. */
interface LoadResult {
  acknowledged: Map<string, number>;
  /** Failed with `mayHaveRun: true`: the increment may or may not be there. */
  uncertain: Map<string, number>;
  /** Failed with `mayHaveRun: false`: the increment is certainly not there. */
  notApplied: Map<string, number>;
  errors: Map<string, number>;
  /** The longest time without any acknowledged write, in ms. */
  longestGap: number;
}

/**
 * Workers incrementing `keys` until `stop` resolves: even keys with the INCRBY script
 * (evalshaWithReload), odd keys with plain INCR.
 */
async function runLoad(db: Sentinel, keys: string[], stop: Promise<void>): Promise<LoadResult> {
  const result: LoadResult = {
    acknowledged: new Map(),
    uncertain: new Map(),
    notApplied: new Map(),
    errors: new Map(),
    longestGap: 0,
  };
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let lastAck = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (!stopped) {
        const index = next++ % keys.length;
        const key = keys[index];
        try {
          if (index % 2 === 0) await INCR.evalshaWithReload(db, [key], [1]);
          else await db.incr(key);
          bump(result.acknowledged, key);
          const now = performance.now();
          result.longestGap = Math.max(result.longestGap, now - lastAck);
          lastAck = now;
        } catch (error) {
          assert.ok(error instanceof RedisError, `a failure that is not a RedisError: ${String(error)}`);
          assert.equal(typeof error.mayHaveRun, 'boolean');
          bump(error.mayHaveRun ? result.uncertain : result.notApplied, key);
          bump(result.errors, error.code);
          await sleep(5);
        }
      }
    }),
  );
  return result;
}

/** Every acknowledged increment is on `primary`; only may-have-run failures can add more. */
async function assertNothingLost(primary: Client, keys: string[], load: LoadResult): Promise<void> {
  for (const key of keys) {
    const value = Number((await primary.get(key)) ?? 0);
    const acknowledged = load.acknowledged.get(key) ?? 0;
    const uncertain = load.uncertain.get(key) ?? 0;
    assert.ok(
      value >= acknowledged && value <= acknowledged + uncertain,
      `${key}: value ${value}, acknowledged ${acknowledged}, may have run ${uncertain}`,
    );
  }
}

function total(map: Map<string, number>): number {
  let sum = 0;
  for (const count of map.values()) sum += count;
  return sum;
}

function summary(label: string, load: LoadResult, switchMs: number): string {
  const errors = [...load.errors].map(([code, count]) => `${code}×${count}`).join(' ') || 'none';
  return (
    `${label}: acknowledged ${total(load.acknowledged)}, may-have-run ${total(load.uncertain)}, ` +
    `not applied ${total(load.notApplied)} (errors: ${errors}); client on the new primary ` +
    `${Math.round(switchMs)} ms after the failover began; longest gap between acknowledged ` +
    `writes ${Math.round(load.longestGap)} ms (includes the write pause before the failover)`
  );
}

/** Pauses writes on the primary and waits until every replica has all it wrote. */
async function pauseAndCatchUp(primary: Client): Promise<void> {
  await primary.call('CLIENT', 'PAUSE', 20_000, 'WRITE');
  for (let i = 0; i < 200; i++) {
    const [, offset, replicas] = (await primary.call('ROLE')) as [
      string,
      number,
      Array<[string, string, string]>,
    ];
    if (replicas.length > 0 && replicas.every((replica) => Number(replica[2]) === offset)) return;
    await sleep(20);
  }
  throw new Error('the replicas did not catch up with the paused primary');
}

/**
 * Empties every node's script cache and command statistics, so that scripts loaded and run on the
 * new primary after the failover show in its stats (SCRIPT LOAD and EVALSHA do not replicate).
 */
async function resetNodes(): Promise<void> {
  for (const server of await runningNodes()) {
    const node = await shared.direct(server);
    await node.scriptFlush();
    await node.call('CONFIG', 'RESETSTAT');
  }
}

async function runningNodes(): Promise<RedisServer[]> {
  return [await shared.harness.primary(), ...(await shared.harness.replicas())];
}

/** After a failover: the library replicated to the new primary, and scripts run there. */
async function assertScriptsAndFunctions(db: Sentinel, library: Library, newPrimary: Client, key: string) {
  const names = (await newPrimary.functionList()).map((info) => info.libraryName);
  assert.ok(names.includes('failoverlib'), 'the library reached the new primary by replication');
  const value = Number(await newPrimary.get(key));
  assert.equal(await library.functions.get('bump')!.fcall(db, [key]), value + 1);
  assert.equal(await INCR.evalshaWithReload(db, [key], [1]), value + 2);
}

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: failovers under a scripted INCR load`, () => {
    test('SENTINEL FAILOVER: the client follows, nothing acknowledged is lost, scripts are reloaded', async () => {
      await shared.harness.waitForAgreement();
      await resetNodes();
      const db = await shared.newSentinel({ resp });
      const library = await Library.fromCode(db, LIBRARY);
      const keys = Array.from({ length: 20 }, (_, i) => `failover${resp}:${i}`);
      let finish!: () => void;
      const loading = runLoad(db, keys, new Promise<void>((resolve) => (finish = resolve)));
      await sleep(200);

      const old = await shared.harness.primary();
      const oldClient = await shared.direct(old);
      await pauseAndCatchUp(oldClient);
      const switched = nextFailover(db);
      const began = performance.now();
      const { from, to } = await shared.harness.failover();
      const event = await switched;
      const switchMs = performance.now() - began;
      // Sentinel itself takes about a second; the client must follow its announcement promptly.
      assert.ok(switchMs < 6000, `the client followed the failover after ${Math.round(switchMs)} ms`);
      assert.equal(from, old);
      assert.deepEqual(event, { from: `127.0.0.1:${old.port}`, to: `127.0.0.1:${to.port}` });
      assert.equal(db.primary, `127.0.0.1:${to.port}`);
      // The old primary is a replica now; the writes it held back can only be refused.
      await oldClient.call('CLIENT', 'UNPAUSE');
      const newClient = await shared.direct(to);
      await sleep(300);
      finish();
      const load = await loading;
      console.log(summary(`RESP${resp} SENTINEL FAILOVER`, load, switchMs));

      assert.ok(total(load.acknowledged) > 500, 'the load ran');
      await assertNothingLost(newClient, keys, load);
      assert.ok(
        (await newClient.dbsize()) >= keys.length,
        'the writes after the failover are on the new primary',
      );
      assert.equal(
        await shared.callsOn(to, 'script|load'),
        1,
        'the script was loaded once on the new primary',
      );
      assert.ok((await shared.callsOn(to, 'evalsha')) > 0, 'scripted increments ran on the new primary');
      await assertScriptsAndFunctions(db, library, newClient, keys[0]);
      await db.quit();
    });

    test('kill -9 of the primary: acknowledged increments survive, failures say whether they may have run', async () => {
      await shared.harness.waitForAgreement();
      await resetNodes();
      const db = await shared.newSentinel({ resp });
      const library = await Library.fromCode(db, LIBRARY);
      const keys = Array.from({ length: 20 }, (_, i) => `kill${resp}:${i}`);
      let finish!: () => void;
      const loading = runLoad(db, keys, new Promise<void>((resolve) => (finish = resolve)));
      await sleep(200);

      const old = await shared.harness.primary();
      await pauseAndCatchUp(await shared.direct(old));
      const switched = nextFailover(db);
      const began = performance.now();
      const killed = await shared.harness.killPrimary();
      assert.equal(killed, old);
      const to = await shared.harness.waitForNewPrimary(killed);
      const event = await switched;
      const switchMs = performance.now() - began;
      assert.ok(switchMs < 8000, `the client followed the failover after ${Math.round(switchMs)} ms`);
      assert.deepEqual(event, { from: `127.0.0.1:${old.port}`, to: `127.0.0.1:${to.port}` });
      await sleep(300);
      finish();
      const load = await loading;
      console.log(summary(`RESP${resp} kill -9`, load, switchMs));

      const newClient = await shared.direct(to);
      assert.ok(total(load.acknowledged) > 500, 'the load ran');
      assert.ok(total(load.uncertain) > 0, 'the writes in flight on the killed primary may have run');
      await assertNothingLost(newClient, keys, load);
      assert.equal(
        await shared.callsOn(to, 'script|load'),
        1,
        'the script was loaded once on the new primary',
      );
      assert.ok((await shared.callsOn(to, 'evalsha')) > 0, 'scripted increments ran on the new primary');
      await assertScriptsAndFunctions(db, library, newClient, keys[0]);
      await db.quit();
      await shared.harness.revive(killed);
    });
  });
}

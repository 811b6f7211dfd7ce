import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Client, Library, Script, type Sentinel } from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { PROTOCOLS, sleep, waitUntil } from '../helpers.js';
import { assertNothingLost, type LoadResult, loadSummary, runWriteLoad, total } from '../write-load.js';
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

/**
 * Workers incrementing `keys` until `stop` resolves: even keys with the INCRBY script
 * (evalshaWithReload), odd keys with plain INCR. `progress.acked` counts acknowledgements as
 * they come, so that the test can wait for the load rather than sleep a fixed time.
 */
function runLoad(
  db: Sentinel,
  keys: string[],
  stop: Promise<void>,
  progress: { acked: number },
): Promise<LoadResult> {
  return runWriteLoad(
    keys,
    async (key, index) => {
      const reply = await (index % 2 === 0 ? INCR.evalshaWithReload(db, [key], [1]) : db.incr(key));
      progress.acked++;
      return reply;
    },
    stop,
  );
}

/**
 * When a sentinel first names a primary other than `old` (performance.now()): polled on every
 * sentinel directly, so the time is the announcement's, not the client's.
 */
async function firstAnnouncement(old: RedisServer): Promise<number> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    for (let index = 0; index < shared.harness.sentinels.length; index++) {
      const sentinel = await shared.directSentinel(index);
      const reply = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', shared.harness.name)) as
        | [string, string]
        | null;
      if (reply !== null && Number(reply[1]) !== old.port) return performance.now();
    }
    if (performance.now() > deadline) throw new Error(`no sentinel named a primary other than ${old.port}`);
    await sleep(20);
  }
}

function summary(label: string, load: LoadResult, switchMs: number): string {
  return (
    `${loadSummary(label, load)}; client on the new primary ${Math.round(switchMs)} ms after the ` +
    'failover began; longest gap between acknowledged writes ' +
    `${Math.round(load.longestGap)} ms (includes the write pause before the failover)`
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

/** A failover under way: the client, its load, and the paused primary about to be failed over. */
interface FailoverUnderLoad {
  db: Sentinel;
  library: Library;
  keys: string[];
  /** The primary when the load began, its writes paused and its replicas caught up. */
  old: RedisServer;
  /** The client's next `failover` event. */
  switched: Promise<{ from: string; to: string }>;
  /** When that event came (performance.now()). */
  switchedAt: Promise<number>;
  /** When a sentinel first announced the new primary (performance.now()). */
  announced: Promise<number>;
  /** When the failover began (just before this resolves). */
  began: number;
  /** Lets the load run on for a moment, then stops it and gives its outcome. */
  finish(): Promise<LoadResult>;
  /** Stops the load at once (again: no effect): a test that failed before `finish` calls it. */
  stop(): void;
}

/**
 * Fresh script caches and stats, a new client with the library loaded, a load on 20 new counters
 * (`prefix:0` ...), and the primary paused with its replicas caught up: ready to fail it over.
 */
async function loadAndPause(resp: 2 | 3, prefix: string): Promise<FailoverUnderLoad> {
  await shared.harness.waitForAgreement();
  await resetNodes();
  const db = await shared.newSentinel({ resp });
  const library = await Library.fromCode(db, LIBRARY);
  const keys = Array.from({ length: 20 }, (_, i) => `${prefix}:${i}`);
  let stop!: () => void;
  const progress = { acked: 0 };
  const loading = runLoad(db, keys, new Promise<void>((resolve) => (stop = resolve)), progress);
  loading.catch(() => undefined); // awaited by finish(); a step failing first is what to report
  let old: RedisServer;
  try {
    // 200 ms, and however long a loaded machine takes for the load to get going.
    await sleep(200);
    await waitUntil(() => progress.acked > 500, 15_000, 'the load to get going (500 writes)');
    old = await shared.harness.primary();
    await pauseAndCatchUp(await shared.direct(old));
  } catch (error) {
    // Nobody would stop the load otherwise: it would loop on for ever and the file never end.
    stop();
    throw error;
  }
  // Armed before the failover starts, so it bounds Sentinel's own failover too (an election may
  // have to be repeated, failover-timeout apart): room for a loaded box.
  const switched = nextFailover(db, 30_000);
  const switchedAt = switched.then(() => performance.now());
  switchedAt.catch(() => undefined);
  const announced = firstAnnouncement(old);
  announced.catch(() => undefined);
  const finish = async () => {
    // 300 ms, and at least 100 writes acknowledged by the new primary (so scripts ran there).
    const from = progress.acked;
    await sleep(300);
    await waitUntil(() => progress.acked - from >= 100, 15_000, 'writes acknowledged after the failover');
    stop();
    return loading;
  };
  return {
    db,
    library,
    keys,
    old,
    switched,
    switchedAt,
    announced,
    began: performance.now(),
    finish,
    stop,
  };
}

/**
 * The client follows the sentinels' announcement promptly. Timed from the first sentinel's
 * announcement, not from the start of the failover: how long Sentinel itself takes (its down-after
 * time, an election that may have to be repeated) is not the client's, and varies on a loaded box.
 */
async function assertPrompt(run: FailoverUnderLoad): Promise<number> {
  const lag = (await run.switchedAt) - (await run.announced);
  assert.ok(
    lag < 5000,
    `the client followed the failover ${Math.round(lag)} ms after a sentinel announced it`,
  );
  return lag;
}

/**
 * What both failovers must leave: the load ran, nothing acknowledged is lost on the new primary
 * `to`, the script was loaded there once and ran there, and the library's functions work there.
 */
async function assertFollowed(run: FailoverUnderLoad, load: LoadResult, to: RedisServer): Promise<void> {
  const newClient = await shared.direct(to);
  assert.ok(total(load.acknowledged) > 500, 'the load ran');
  await assertNothingLost((key) => newClient.get(key), run.keys, load);
  assert.equal(await shared.callsOn(to, 'script|load'), 1, 'the script was loaded once on the new primary');
  assert.ok((await shared.callsOn(to, 'evalsha')) > 0, 'scripted increments ran on the new primary');
  await assertScriptsAndFunctions(run.db, run.library, newClient, run.keys[0]);
}

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: failovers under a scripted INCR load`, () => {
    test('SENTINEL FAILOVER: the client follows, nothing acknowledged is lost, scripts are reloaded', async () => {
      const run = await loadAndPause(resp, `failover${resp}`);
      try {
        const { from, to } = await shared.harness.failover();
        const event = await run.switched;
        const switchMs = performance.now() - run.began;
        const lag = await assertPrompt(run);
        assert.equal(from, run.old);
        assert.deepEqual(event, { from: `127.0.0.1:${run.old.port}`, to: `127.0.0.1:${to.port}` });
        assert.equal(run.db.primary, `127.0.0.1:${to.port}`);
        // The old primary is a replica now; the writes it held back can only be refused.
        await (await shared.direct(run.old)).call('CLIENT', 'UNPAUSE');
        const load = await run.finish();
        console.log(
          `${summary(`RESP${resp} SENTINEL FAILOVER`, load, switchMs)}; ${Math.round(lag)} ms after a sentinel announced it`,
        );

        await assertFollowed(run, load, to);
        assert.ok(
          (await (await shared.direct(to)).dbsize()) >= run.keys.length,
          'the writes after the failover are on the new primary',
        );
        await run.db.quit();
      } finally {
        run.stop();
      }
    });

    test('kill -9 of the primary: acknowledged increments survive, failures say whether they may have run', async () => {
      const run = await loadAndPause(resp, `kill${resp}`);
      try {
        const killed = await shared.harness.killPrimary();
        assert.equal(killed, run.old);
        const to = await shared.harness.waitForNewPrimary(killed);
        const event = await run.switched;
        const switchMs = performance.now() - run.began;
        const lag = await assertPrompt(run);
        assert.deepEqual(event, { from: `127.0.0.1:${run.old.port}`, to: `127.0.0.1:${to.port}` });
        const load = await run.finish();
        console.log(
          `${summary(`RESP${resp} kill -9`, load, switchMs)}; ${Math.round(lag)} ms after a sentinel announced it`,
        );

        assert.ok(total(load.uncertain) > 0, 'the writes in flight on the killed primary may have run');
        await assertFollowed(run, load, to);
        await run.db.quit();
        await shared.harness.revive(killed);
      } finally {
        run.stop();
      }
    });
  });
}

import assert from 'node:assert/strict';
import { RedisError } from '../src/index.js';
import { sleep } from './helpers.js';

// A write load run through a failover, a kill -9 or a slot migration, and the bookkeeping that
// lets a test check DESIGN §3 afterwards, counter by counter, against what the server holds:
//
//   acknowledged ≤ actual ≤ acknowledged + (failures that said mayHaveRun: true)
//
// Shared by the cluster fault tests and the Sentinel failover tests, which differ only in what
// each write is and in what they do to the servers meanwhile.

/** Outcome of a write load, per key, and how the acknowledgements were spread in time. */
export interface LoadResult {
  acknowledged: Map<string, number>;
  /** Failed with `mayHaveRun: true`: the increment may or may not be there. */
  uncertain: Map<string, number>;
  /** Failed with `mayHaveRun: false`: the increment is certainly not there. */
  notApplied: Map<string, number>;
  /** Failures by error code. */
  errors: Map<string, number>;
  /** The longest time without any acknowledged write, in ms. */
  longestGap: number;
}

/**
 * `workers` loops writing `keys` in turn, `write(key, index)` each (an increment of one), until
 * `stop` resolves. Every failure must be a `RedisError` that says whether it may have run.
 */
export async function runWriteLoad(
  keys: readonly string[],
  write: (key: string, index: number) => Promise<unknown>,
  stop: Promise<void>,
  workers = 16,
): Promise<LoadResult> {
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
    Array.from({ length: workers }, async () => {
      while (!stopped) {
        const index = next++ % keys.length;
        const key = keys[index];
        try {
          await write(key, index);
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

/**
 * `runWriteLoad` for as long as `during` runs. It stops the load when `during` ends, also when it
 * throws: a load that nobody stops loops on for ever (its writes fail fast once the test's client
 * is closed), and its test file never ends. On a failure the load is not waited for (its writes
 * may wait on a node the failed step left down): the caller closes its client.
 */
export async function loadDuring(
  keys: readonly string[],
  write: (key: string, index: number) => Promise<unknown>,
  during: () => Promise<void>,
  workers?: number,
): Promise<LoadResult> {
  let finish!: () => void;
  const loading = runWriteLoad(keys, write, new Promise<void>((resolve) => (finish = resolve)), workers);
  try {
    await during();
  } catch (error) {
    loading.catch(() => undefined); // the step's failure is the one to report
    throw error;
  } finally {
    finish();
  }
  return loading;
}

/** Every acknowledged increment is there (`read` gives a key's value); only may-have-run failures add more. */
export async function assertNothingLost(
  read: (key: string) => Promise<string | null>,
  keys: readonly string[],
  load: LoadResult,
): Promise<void> {
  for (const key of keys) {
    const value = Number((await read(key)) ?? 0);
    const acknowledged = load.acknowledged.get(key) ?? 0;
    const uncertain = load.uncertain.get(key) ?? 0;
    assert.ok(
      value >= acknowledged && value <= acknowledged + uncertain,
      `${key}: value ${value}, acknowledged ${acknowledged}, may have run ${uncertain}`,
    );
  }
}

export function total(map: Map<string, number>): number {
  let sum = 0;
  for (const count of map.values()) sum += count;
  return sum;
}

/** One line for the test's output: the counts, and the failures by code. */
export function loadSummary(label: string, load: LoadResult): string {
  const errors = [...load.errors].map(([code, count]) => `${code}×${count}`).join(' ') || 'none';
  return `${label}: acknowledged ${total(load.acknowledged)}, may-have-run ${total(load.uncertain)}, not applied ${total(load.notApplied)} (errors: ${errors})`;
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Client, type Cluster, Script } from '../../src/index.js';
import {
  FixedWindowLimiter,
  Lock,
  type RateLimiter,
  type RateLimitResult,
  Semaphore,
  SlidingLogLimiter,
  SlidingWindowLimiter,
  TokenBucketLimiter,
} from '../../src/patterns/index.js';
import { sleep, uniqueKey } from '../helpers.js';

// Property tests shared by the standalone and cluster suites: 50 concurrent callers against one
// resource, and a check of the whole history afterwards. Each test is registered by a function
// taking the suite's context, so the same bodies run on {RESP2, RESP3} × {Client, Cluster}.

/** What a suite gives the shared bodies. Read `target` inside tests only. */
export interface PatternContext {
  readonly target: Client | Cluster;
  readonly resp: 2 | 3;
}

export const CALLERS = 50;

/** `REDMOON_SOAK=1` runs every property for much longer (minutes in all instead of seconds). */
export const SOAK = process.env.REDMOON_SOAK === '1';

/** One admission as the server saw it: its decision time, bracketed by TIME in the same MULTI. */
interface Admission {
  /** µs of the server's clock, as the limiter reports it. */
  at: number;
}

const micros = (time: { seconds: number; microseconds: number }) =>
  time.seconds * 1_000_000 + time.microseconds;

/**
 * Runs CALLERS callers against `limiter` for `durationMs`, each check inside a MULTI between two
 * TIME commands, so every decision time the limiter reports is checked against the server's own
 * clock read just before and just after it (a limiter that misreported its clock would fail here).
 * The run goes on (up to 4 × `durationMs`) until the decisions span `durationMs` of the server's
 * clock: on a loaded machine the first rounds of 50 transactions may take most of the run, and
 * the liveness checks (a second window, refills) need that span of decisions, not of waiting.
 */
async function hammer(
  target: Client | Cluster,
  limiter: RateLimiter,
  name: string,
  durationMs: number,
): Promise<{ admitted: Admission[]; refused: number }> {
  const admitted: Admission[] = [];
  let refused = 0;
  const started = Date.now();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const goOn = () => {
    const now = Date.now();
    if (now < started + durationMs) return true;
    return now < started + 4 * durationMs && last - first < durationMs * 1000;
  };
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (goOn()) {
        const tx = target.multi();
        const before = tx.time();
        const decision = limiter.check(tx, name);
        const after = tx.time();
        await tx.exec();
        const result: RateLimitResult = await decision;
        const at = Math.round(result.serverTime * 1000);
        first = Math.min(first, at);
        last = Math.max(last, at);
        assert.ok(
          micros(await before) <= at && at <= micros(await after),
          `decision time ${at} outside the server's TIME bracket`,
        );
        if (result.allowed) admitted.push({ at });
        else {
          refused++;
          assert.ok(result.retryAfter > 0, 'a refusal says when to retry');
        }
      }
    }),
  );
  admitted.sort((a, b) => a.at - b.at);
  return { admitted, refused };
}

/** The most admissions in any half-open interval (t - span, t] of the server's clock. */
function maxInAnyInterval(admitted: Admission[], spanMicros: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < admitted.length; last++) {
    while (admitted[first].at <= admitted[last].at - spanMicros) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

const LIMIT = 10;
const WINDOW_MS = 100;
const RUN_MS = SOAK ? 10_000 : 300;

export function limiterProperties(context: PatternContext): void {
  test(`fixed window: ${CALLERS} callers never get more than the limit into one window`, async () => {
    const limiter = new FixedWindowLimiter({ limit: LIMIT, window: WINDOW_MS });
    const { admitted, refused } = await hammer(context.target, limiter, uniqueKey('fw'), RUN_MS);
    // The windows, replayed from the history: one opens at the first admission after the last closed.
    const windows: number[] = [];
    let start = Number.NEGATIVE_INFINITY;
    for (const { at } of admitted) {
      if (at >= start + WINDOW_MS * 1000) {
        start = at;
        windows.push(0);
      }
      windows[windows.length - 1]++;
    }
    assert.ok(Math.max(...windows) <= LIMIT, `window counts ${windows.join(',')}`);
    assert.ok(maxInAnyInterval(admitted, WINDOW_MS * 1000) <= 2 * LIMIT, 'at most 2 × limit across an edge');
    assert.ok(
      windows.length >= 2 && windows[0] === LIMIT,
      `the first window filled up: ${windows.join(',')}`,
    );
    assert.ok(refused > 0, 'the callers asked for more than the limit');
  });

  test(`sliding log: ${CALLERS} callers never get more than the limit into any window-long interval`, async () => {
    const limiter = new SlidingLogLimiter({ limit: LIMIT, window: WINDOW_MS });
    const { admitted, refused } = await hammer(context.target, limiter, uniqueKey('log'), RUN_MS);
    assert.equal(maxInAnyInterval(admitted, WINDOW_MS * 1000), LIMIT);
    assert.ok(
      admitted.length >= 2 * LIMIT,
      `admitted ${admitted.length}: the log lets new requests in as old ones leave`,
    );
    assert.ok(refused > 0);
  });

  test(`sliding window counter: ${CALLERS} callers stay within the estimate, the limit per aligned window and 2 × limit per interval`, async () => {
    const limiter = new SlidingWindowLimiter({ limit: LIMIT, window: WINDOW_MS });
    const { admitted, refused } = await hammer(context.target, limiter, uniqueKey('swc'), RUN_MS);
    const window = WINDOW_MS * 1000;
    const perWindow = new Map<number, Admission[]>();
    for (const admission of admitted) {
      const index = Math.floor(admission.at / window);
      perWindow.set(index, [...(perWindow.get(index) ?? []), admission]);
    }
    for (const [index, list] of perWindow) {
      assert.ok(list.length <= LIMIT, `window ${index}: ${list.length} admitted`);
      // The estimate the limiter must have computed just before each admission, from the history.
      const previous = perWindow.get(index - 1)?.length ?? 0;
      for (const [position, { at }] of list.entries()) {
        const elapsed = at - index * window;
        const estimate = (previous * (window - elapsed)) / window + position;
        assert.ok(estimate + 1 <= LIMIT + 1e-6, `admitted at estimate ${estimate}`);
      }
    }
    assert.ok(maxInAnyInterval(admitted, window) <= 2 * LIMIT);
    assert.ok(admitted.length >= LIMIT && refused > 0);
  });

  test(`token bucket: ${CALLERS} callers never get more than burst + rate × time in any interval`, async () => {
    const burst = 4;
    const limiter = new TokenBucketLimiter({ limit: LIMIT, window: WINDOW_MS, burst });
    const { admitted, refused } = await hammer(context.target, limiter, uniqueKey('tb'), RUN_MS);
    const interval = (WINDOW_MS * 1000) / LIMIT;
    for (let i = 0; i < admitted.length; i++) {
      for (let j = i; j < admitted.length; j++) {
        const allowance = burst + (admitted[j].at - admitted[i].at) / interval;
        assert.ok(j - i + 1 <= allowance + 1e-6, `${j - i + 1} admitted where ${allowance} fit`);
      }
    }
    // Liveness: the burst, then refills (a loaded machine may not ask often enough for all of them).
    assert.ok(admitted.length > burst, `admitted ${admitted.length}`);
    assert.ok(refused > 0);
  });
}

/**
 * The protected resource of the lock tests: a log that accepts a write only with a fencing token
 * at least as high as the highest it has seen, which is what fencing asks of a resource.
 */
export const FENCED_WRITE = Script.fromLua<{
  keys: [string, string];
  args: [number, string];
  reply: number;
}>(`
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < seen then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
`);

/** Keys of a fenced log (one slot, so FENCED_WRITE runs on a cluster too). */
export function fencedLog(name: string): [string, string] {
  return [`{${name}}:seen`, `{${name}}:log`];
}

/**
 * Acquisitions per caller in the lock and semaphore runs: a count rather than a duration, so a
 * loaded machine makes the run slower, not thinner.
 */
const ROUNDS = SOAK ? 40 : 2;

export function lockProperties(context: PatternContext): void {
  test(`lock: ${CALLERS} callers never hold it at once (a fenced write log shows one holder at a time)`, async () => {
    const lock = new Lock({ lease: 5000 });
    const resource = uniqueKey('lock');
    const log = fencedLog(uniqueKey('fenced'));
    const tokens: number[] = [];
    let refusedWrites = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, caller) => {
        for (let round = 0; round < ROUNDS; round++) {
          const lease = await lock.acquire(context.target, resource, { timeout: 60_000, retryDelay: 1 });
          tokens.push(lease.token);
          for (const step of ['enter', 'exit']) {
            const accepted = await FENCED_WRITE.evalshaWithReload(context.target, log, [
              lease.token,
              `${step}:${lease.token}:${caller}`,
            ]);
            if (accepted !== 1) refusedWrites++;
            if (step === 'enter') await sleep(Math.random() * 2);
          }
          assert.equal(await lease.release(), true, 'the holder releases its own lease');
        }
      }),
    );
    const entries = (await context.target.call('LRANGE', log[1], 0, -1)) as string[];
    assert.equal(refusedWrites, 0, 'no holder ever wrote with a stale token');
    assert.equal(entries.length, 2 * tokens.length);
    let previous = 0;
    for (let i = 0; i < entries.length; i += 2) {
      const [enter, token, caller] = entries[i].split(':');
      assert.equal(enter, 'enter');
      assert.equal(entries[i + 1], `exit:${token}:${caller}`, `someone else wrote inside ${entries[i]}`);
      assert.ok(Number(token) > previous, 'fencing tokens strictly increase');
      previous = Number(token);
    }
    assert.equal(tokens.length, CALLERS * ROUNDS);
  });
}

export function semaphoreProperties(context: PatternContext): void {
  test(`semaphore: ${CALLERS} callers never hold more than its size at once`, async () => {
    const size = 5;
    const semaphore = new Semaphore({ size, lease: 5000 });
    const name = uniqueKey('sem');
    const inside = uniqueKey('inside');
    let most = 0;
    let acquisitions = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const permit = await semaphore.acquire(context.target, name, { timeout: 60_000, retryDelay: 1 });
          acquisitions++;
          // The count of holders as the server sequences them: INCR after acquiring, DECR before releasing.
          most = Math.max(most, Number(await context.target.incr(inside)));
          await sleep(Math.random() * 3);
          await context.target.decr(inside);
          assert.equal(await permit.release(), true);
        }
      }),
    );
    assert.ok(most <= size, `${most} holders at once`);
    assert.equal(most, size, 'the semaphore let `size` holders in at once');
    assert.equal(acquisitions, CALLERS * ROUNDS);
    assert.equal(await semaphore.count(context.target, name), 0, 'every permit was released');
  });
}

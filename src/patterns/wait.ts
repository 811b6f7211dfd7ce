import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../index.js';
import { AcquireTimeoutError } from './errors.js';
import type { Lease } from './lease.js';
import { integerIn, MAX_MS } from './target.js';

/** What one attempt answers: done with a value, or not yet (with the server's hint of how long). */
export type Attempt<T> = { done: true; value: T } | { done: false; retryIn: number };

export interface WaitOptions {
  /** Milliseconds to keep trying (measured locally: this is how long the caller waits, not a lease). */
  timeout: number;
  /** First pause between attempts, in ms; it doubles up to 32 times that, capped by the hint. */
  retryDelay: number;
  signal?: AbortSignal | undefined;
}

/**
 * Runs `attempt` until it is done, pausing between attempts with exponential backoff and full
 * jitter (so 50 waiters do not retry in lockstep), never longer than the server says the holder
 * still has. Acquisition order is not fair: whoever asks first after a release wins.
 */
export async function retryUntil<T>(
  resource: string,
  attempt: () => Promise<Attempt<T>>,
  options: WaitOptions,
): Promise<T> {
  const started = performance.now();
  let backoff = options.retryDelay;
  for (;;) {
    if (options.signal?.aborted) throw new AbortError(false, { cause: options.signal.reason });
    const outcome = await attempt();
    if (outcome.done) return outcome.value;
    const left = options.timeout - (performance.now() - started);
    if (left <= 0) throw new AcquireTimeoutError(resource, options.timeout);
    const pause = Math.min(left, Math.max(1, outcome.retryIn), backoff * (0.5 + Math.random() / 2));
    backoff = Math.min(backoff * 2, options.retryDelay * 32);
    try {
      await sleep(pause, undefined, { signal: options.signal });
    } catch {
      throw new AbortError(false, { cause: options.signal?.reason });
    }
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRY_MS = 10;

/** How a caller of `acquire` (a lock, a semaphore) waits, as given: unchecked, defaults not applied. */
export interface AcquireWait {
  timeout?: number | undefined;
  retryDelay?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The `acquire` of a lock or a semaphore: checks `timeout` (default 10 000 ms) and `retryDelay`
 * (default 10 ms) for `owner`, then retries `attempt` as `retryUntil` does. A lease granted while
 * `signal` aborted is released before the `AbortError`: the caller stopped waiting and will never
 * see it, so it must not stay held until it runs out.
 */
export async function acquireLease<L extends Lease>(
  owner: string,
  resource: string,
  wait: AcquireWait,
  attempt: () => Promise<Attempt<L>>,
): Promise<L> {
  const timeout = integerIn(owner, 'timeout (ms)', wait.timeout ?? DEFAULT_TIMEOUT_MS, 0, MAX_MS);
  const retryDelay = integerIn(owner, 'retryDelay (ms)', wait.retryDelay ?? DEFAULT_RETRY_MS, 1, MAX_MS);
  const lease = await retryUntil(resource, attempt, { timeout, retryDelay, signal: wait.signal });
  if (wait.signal?.aborted) {
    await lease.release().catch(() => false);
    throw new AbortError(false, { cause: wait.signal.reason });
  }
  return lease;
}

/**
 * Runs `work` with `lease` and releases it after, whether `work` resolved or threw. A failed
 * release is ignored: the lease then runs out by itself, and `work`'s outcome is what counts.
 */
export async function whileHeld<L extends Lease, T>(
  lease: L,
  work: (lease: L) => Promise<T> | T,
): Promise<T> {
  try {
    return await work(lease);
  } finally {
    await lease.release().catch(() => false);
  }
}

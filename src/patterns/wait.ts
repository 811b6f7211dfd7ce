import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../index.js';
import { AcquireTimeoutError } from './errors.js';

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

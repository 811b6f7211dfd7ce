import type { Script } from '../index.js';
import { LeaseLostError } from './errors.js';
import { integerIn, type LeaseTarget, MAX_MS, within } from './target.js';

/** How a lease keeps itself alive: `true` extends every third of its duration; a number, every that many ms. */
export type AutoExtend = boolean | number;

/** What a lease asks of its pattern: extend and release it on the server, atomically, as holder only. */
export interface LeaseBackend {
  /**
   * Resolves to whether the server still had the lease as ours (and extended it by `duration`
   * ms). `timeout` is how long an answer is of use: past it the lease is taken as lost anyway.
   */
  extend(duration: number, timeout: number): Promise<boolean>;
  /** Resolves to whether the server still had the lease as ours (and released it). */
  release(): Promise<boolean>;
}

/** A script that extends the lease held in one key, as holder only: `[holder, ms]` -> 1 when extended. */
export type ExtendScript = Script<{ keys: [string]; args: [string, number]; reply: number }>;
/** A script that releases the lease held in one key, as holder only: `[holder]` -> 1 when released. */
export type ReleaseScript = Script<{ keys: [string]; args: [string]; reply: number }>;

/**
 * The backend of a lease kept in `key` under `holder` (what this acquisition wrote there), extended
 * and released by the pattern's own scripts. An extension's duration is checked for `owner` like
 * the one the lease was taken with, and its answer is awaited only for `timeout` (see `extend`).
 */
export function holderBackend(
  owner: string,
  target: LeaseTarget,
  key: string,
  holder: string,
  extend: ExtendScript,
  release: ReleaseScript,
): LeaseBackend {
  return {
    extend: async (duration, timeout) =>
      (await extend.evalshaWithReload(
        within(target, timeout),
        [key],
        [holder, integerIn(owner, 'lease (ms)', duration, 1, MAX_MS)],
      )) === 1,
    release: async () => (await release.evalshaWithReload(target, [key], [holder])) === 1,
  };
}

/** Retry a failed automatic extension (a lost connection, a failover) this often until the lease runs out. */
const EXTEND_RETRY_MS = 50;

/**
 * A time-limited hold on a resource, kept by the server. The server's clock decides when it ends;
 * this object only follows it, conservatively:
 *
 * - `signal` aborts (reason: `LeaseLostError`) as soon as the lease must be taken as lost: an
 *   extension was refused (someone else holds it now), or its duration passed, counted from just
 *   before the request that granted or last extended it was sent, without a confirmed extension.
 *   Counting from the send makes the local deadline fall no later than the server's (for clocks
 *   that tick at the same rate), whatever the round trip took.
 * - With `autoExtend`, it extends itself while held; a failed attempt is retried until the
 *   lease runs out.
 *
 * The signal is advice, not a guarantee: a process paused (GC, swap, SIGSTOP) past the lease
 * wakes up before its timers fire. Only a fencing token checked by the protected resource makes
 * stale work harmless.
 */
export class Lease {
  /** The resource the lease is on. */
  readonly resource: string;
  /** Milliseconds the lease lasts from its last grant or extension. */
  readonly duration: number;
  // Made on first use of `signal`: most leases are released without anyone looking at it, and an
  // AbortController costs more than the rest of an acquisition on the client.
  #controller: AbortController | undefined;
  #lostReason: LeaseLostError | undefined;
  readonly #backend: LeaseBackend;
  readonly #autoExtendEvery: number | undefined;
  #state: 'held' | 'released' | 'lost' = 'held';
  /** `performance.now()` after which the lease must be taken as lost. */
  #deadline: number;
  #expiryTimer: NodeJS.Timeout | undefined;
  #extendTimer: NodeJS.Timeout | undefined;

  constructor(
    resource: string,
    duration: number,
    requestedAt: number,
    backend: LeaseBackend,
    autoExtend: AutoExtend,
  ) {
    this.resource = resource;
    this.duration = duration;
    this.#backend = backend;
    this.#deadline = requestedAt + duration;
    this.#autoExtendEvery =
      autoExtend === true
        ? Math.max(1, Math.floor(duration / 3))
        : autoExtend === false
          ? undefined
          : autoExtend;
    this.#arm(requestedAt);
  }

  /** Aborts when the lease is lost before `release()`; its reason is a `LeaseLostError`. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#lostReason !== undefined) this.#controller.abort(this.#lostReason);
    }
    return this.#controller.signal;
  }

  /** Whether this lease is believed held: not released, not known to be lost. */
  get held(): boolean {
    return this.#state === 'held';
  }

  /** Milliseconds left by the local, conservative estimate; 0 once released or lost. */
  get remaining(): number {
    return this.#state === 'held' ? Math.max(0, this.#deadline - performance.now()) : 0;
  }

  /**
   * Extends the lease to `duration` ms from now (default: its own duration), only if the server
   * still has it as ours. Resolves `false` (and aborts `signal`) when it does not. A connection
   * failure rejects and leaves the lease as it was: it may still be held until it runs out.
   */
  async extend(duration: number = this.duration): Promise<boolean> {
    return this.#extend(duration, Math.max(1, Math.ceil(this.#deadline - performance.now())));
  }

  async #extend(duration: number, timeout: number): Promise<boolean> {
    if (this.#state !== 'held') return false;
    const sentAt = performance.now();
    const extended = await this.#backend.extend(duration, timeout);
    if (!extended) {
      this.#lose('taken');
      return false;
    }
    // Lost locally while the extension was in flight (its deadline passed first): stay lost.
    if (this.#state !== 'held') return false;
    this.#deadline = sentAt + duration;
    this.#arm(sentAt);
    return true;
  }

  /**
   * Releases the lease, only if the server still has it as ours; resolves to whether it did.
   * `false` means it had already expired or been taken: whatever ran under it was not protected
   * to the end. Calling it again resolves `false`.
   */
  async release(): Promise<boolean> {
    if (this.#state === 'released') return false;
    this.#state = 'released';
    this.#clearTimers();
    return this.#backend.release();
  }

  #arm(from: number): void {
    this.#clearTimers();
    const now = performance.now();
    this.#expiryTimer = setTimeout(() => this.#lose('expired'), Math.max(0, this.#deadline - now));
    this.#expiryTimer.unref();
    if (this.#autoExtendEvery !== undefined)
      this.#scheduleExtend(Math.max(0, from + this.#autoExtendEvery - now));
  }

  #scheduleExtend(delay: number): void {
    clearTimeout(this.#extendTimer);
    this.#extendTimer = setTimeout(() => {
      // An answer slower than the period is no use (a stalled node): fail it and try again.
      const timeout = Math.max(
        1,
        Math.ceil(Math.min(this.#deadline - performance.now(), this.#autoExtendEvery!)),
      );
      this.#extend(this.duration, timeout).catch(() => {
        // A lost connection or a failover in progress: try again while the lease may still be ours.
        if (this.#state === 'held') this.#scheduleExtend(EXTEND_RETRY_MS);
      });
    }, delay);
    this.#extendTimer.unref();
  }

  #lose(reason: 'expired' | 'taken'): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    this.#clearTimers();
    this.#lostReason = new LeaseLostError(this.resource, reason);
    this.#controller?.abort(this.#lostReason);
  }

  #clearTimers(): void {
    clearTimeout(this.#expiryTimer);
    clearTimeout(this.#extendTimer);
  }
}

/** Validates `autoExtend`: a period shorter than the lease, or a boolean. */
export function autoExtendOf(owner: string, value: unknown, duration: number): AutoExtend {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  return integerIn(owner, 'autoExtend (ms between extensions)', value, 1, Math.max(1, duration - 1));
}

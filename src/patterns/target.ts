import { randomBytes } from 'node:crypto';
import { Batch } from '../client/batch.js';
import type { Client } from '../client/client.js';
import { ClientView } from '../client/view.js';
import type { Cluster } from '../cluster/cluster.js';
import { ArgumentError } from '../errors.js';
import type { ScriptTarget } from '../scripting/script.js';
import type { Sentinel } from '../sentinel/sentinel.js';

/**
 * Where a stateless pattern call (a limiter check, a counter increment) can run: a `Client`, a
 * `Cluster`, a view of either (`withOptions`), a pipeline or a transaction.
 */
export type PatternTarget = ScriptTarget;

/**
 * Where a lease (a lock, a semaphore permit, an idempotency claim) can be taken: a `Client`, a
 * `Cluster` or a view of either. Not a pipeline: a lease extends and releases itself later, on
 * its own, which a batch that runs once cannot do.
 */
export type LeaseTarget = Client | Cluster | Sentinel | ClientView;

const ignore = () => undefined;

/**
 * The promise of a pattern call: parsed from the script's reply. In a batch, the raw reply is what
 * `exec()` gives, and the caller may never await this promise, so a failure here must not become
 * an unhandled rejection (the batch itself reports it).
 */
export function shaped<R, T>(target: PatternTarget, reply: Promise<R>, parse: (raw: R) => T): Promise<T> {
  const result = reply.then(parse);
  if (target instanceof Batch) result.catch(ignore);
  return result;
}

/**
 * A call refused before anything was queued. A batch is told too, so its `exec()` refuses the
 * whole batch rather than silently running it without this call (as the client's own commands do).
 */
export function refuse(target: PatternTarget, error: unknown): Promise<never> {
  const rejection = Promise.reject(error);
  if (target._refuse !== undefined) {
    target._refuse(error as Error);
    rejection.catch(ignore);
  }
  return rejection;
}

/** `target` with a per-call timeout (kept with whatever options a view of it already has). */
export function within(target: LeaseTarget, timeout: number): LeaseTarget {
  return new ClientView(target as unknown as ConstructorParameters<typeof ClientView>[0], { timeout });
}

/** Refuses a batch where a lease needs a client. */
export function leaseTarget(owner: string, target: unknown): LeaseTarget {
  if (target instanceof Batch) {
    throw new ArgumentError(
      `${owner}: needs a Client or Cluster, not a pipeline or transaction (a lease extends and releases itself later)`,
    );
  }
  if (
    target === null ||
    typeof target !== 'object' ||
    typeof (target as LeaseTarget)._execute !== 'function'
  ) {
    throw new ArgumentError(`${owner}: expected a Client or Cluster, got ${typeof target}`);
  }
  return target as LeaseTarget;
}

/** A whole number in [min, max], or an ArgumentError naming `what`. */
export function integerIn(owner: string, what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'number' ? String(value) : typeof value;
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new ArgumentError(`${owner}: ${what} must be an integer ${range}, got ${shown}`);
  }
  return value;
}

/** The options object of a constructor or call: `undefined` means none. */
export function optionsOf<T extends object>(owner: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw new ArgumentError(
      `${owner}: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  return options;
}

/** Milliseconds as whole microseconds, for scripts that keep time in µs. */
export const MICROS_PER_MS = 1000;

/** The longest window, lease or TTL accepted: 2^31 - 1 ms (about 24.8 days), like setTimeout. */
export const MAX_MS = 2 ** 31 - 1;

/** Random per process, so owner ids of different processes never collide. */
const PROCESS_ID = randomBytes(12).toString('base64url');
let ownerCounter = 0;

/**
 * A unique owner id for one acquisition: this process's random id and a counter. Unique is all
 * it needs to be (it is not a secret: anyone who can run scripts can delete the key anyway), and
 * it costs far less than drawing random bytes per acquisition.
 */
export function newOwnerId(): string {
  ownerCounter++;
  return `${PROCESS_ID}.${ownerCounter.toString(36)}`;
}

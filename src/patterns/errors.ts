import { RedisError } from '../index.js';

/**
 * A lease (a lock, a semaphore permit, an idempotency claim) is no longer held: it expired before
 * it was extended, or the server says someone else holds it now. It is the `reason` of the lease's
 * `AbortSignal`. Work done under the lease after this point is not protected; a resource guarded
 * by fencing tokens refuses it. Retrying means acquiring again.
 */
export class LeaseLostError extends RedisError {
  /** The resource name the lease was for. */
  readonly resource: string;
  /** `expired`: no extension was confirmed in time; `taken`: the server no longer has it as ours. */
  readonly reason: 'expired' | 'taken';

  constructor(resource: string, reason: 'expired' | 'taken') {
    super(
      reason === 'expired'
        ? `the lease on ${JSON.stringify(resource)} expired before an extension was confirmed`
        : `the lease on ${JSON.stringify(resource)} is no longer held (it expired or was taken)`,
      'LEASE_LOST',
      false,
    );
    this.resource = resource;
    this.reason = reason;
  }
}

/** Waiting for a lock or a semaphore permit took longer than its `timeout`. Nothing is held. */
export class AcquireTimeoutError extends RedisError {
  readonly resource: string;

  constructor(resource: string, timeout: number) {
    super(`could not acquire ${JSON.stringify(resource)} within ${timeout} ms`, 'ACQUIRE_TIMEOUT', false);
    this.resource = resource;
  }
}

/**
 * Another caller is running the operation of this idempotency key right now (and this call was
 * told not to wait). The operation did not run here. `retryAfter` is when the other run's claim
 * expires unless it is extended (ms); by then it has finished, failed, or is still extending it.
 */
export class IdempotencyInFlightError extends RedisError {
  readonly key: string;
  readonly retryAfter: number;

  constructor(key: string, retryAfter: number) {
    super(
      `the operation of idempotency key ${JSON.stringify(key)} is running elsewhere`,
      'IDEMPOTENCY_IN_FLIGHT',
      false,
    );
    this.key = key;
    this.retryAfter = retryAfter;
  }
}

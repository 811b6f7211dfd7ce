// `redmoon/patterns`: atomic patterns built on typed Scripts, each a single script call whose
// keys share one hash slot (so they run on a Cluster as on a Client), with the server's clock
// (`TIME`) as the only clock that decides anything. docs/patterns/ says what each guarantees.

export { type CounterValue, ExpiringCounter, type ExpiringCounterOptions } from './counter.js';
export { AcquireTimeoutError, IdempotencyInFlightError, LeaseLostError } from './errors.js';
export { FixedWindowLimiter } from './fixed-window.js';
export {
  Idempotency,
  type IdempotencyOptions,
  type IdempotencyStatus,
  type IdempotentResult,
  type IdempotentRunOptions,
} from './idempotency.js';
export { type AutoExtend, Lease } from './lease.js';
export { Lock, type LockAcquireOptions, LockLease, type LockOptions, type LockStatus } from './lock.js';
export {
  type CheckOptions,
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitResult,
} from './rate-limiter.js';
export { Permit, Semaphore, type SemaphoreAcquireOptions, type SemaphoreOptions } from './semaphore.js';
export { SlidingLogLimiter } from './sliding-log.js';
export { SlidingWindowLimiter } from './sliding-window.js';
export type { LeaseTarget, PatternTarget } from './target.js';
export { TokenBucketLimiter, type TokenBucketOptions } from './token-bucket.js';

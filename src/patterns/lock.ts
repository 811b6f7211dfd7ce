import { Script } from '../index.js';
import { ResourceKeys } from './keys.js';
import { type AutoExtend, autoExtendOf, holderBackend, Lease, type LeaseBackend } from './lease.js';
import { integerIn, type LeaseTarget, leaseTarget, MAX_MS, newOwnerId, optionsOf } from './target.js';
import { acquireLease, whileHeld } from './wait.js';

/**
 * The lock key holds `<token>:<owner>` with the lease as its expiry; the fence key holds the
 * latest token issued for the resource. A token is the server's clock in µs, or one more than the
 * latest token when that is not behind it (same microsecond, or a clock that stepped back): a
 * hybrid logical clock. So tokens strictly increase on one server and, unlike a bare INCR, keep
 * increasing on a replica promoted after the old primary lost unreplicated acquisitions, as long
 * as its clock is not behind the old primary's by more than the failover took (see
 * docs/patterns/lock.md). The fence key expires a week after the last acquisition: by then the
 * clock alone is ahead of every token it issued.
 */
const ACQUIRE = Script.fromLua<{
  keys: [string, string];
  args: [string, number, number];
  reply: [number, number];
}>(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl ~= -2 then return {0, ttl} end
local clock = redis.call('TIME')
local token = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if last >= token then token = last + 1 end
local text = string.format('%.0f', token)
redis.call('SET', KEYS[2], text, 'PX', ARGV[3])
redis.call('SET', KEYS[1], text .. ':' .. ARGV[1], 'PX', ARGV[2])
return {1, token}
`);

/** Holder only: the value must still be the one this acquisition wrote. */
const EXTEND = Script.fromLua<{ keys: [string]; args: [string, number]; reply: number }>(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`);

const RELEASE = Script.fromLua<{ keys: [string]; args: [string]; reply: number }>(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

const STATUS = Script.fromLua<{ keys: [string, string]; args: []; reply: [string, number, string] }>(`
local value = redis.call('GET', KEYS[1]) or ''
return {value, redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2]) or ''}
`);

const FENCE_TTL_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_LEASE_MS = 10_000;

export interface LockOptions {
  /** Default lease, in ms: how long a holder keeps the lock without extending it. Default 10 000. */
  lease?: number;
  /** Prefix of the lock's keys; default `redmoon:lock:`. Must not contain braces. */
  prefix?: string;
}

export interface LockAcquireOptions {
  /** This acquisition's lease, in ms; default the lock's. */
  lease?: number;
  /** Keep extending the lease while held (`true`: every third of it; a number: every that many ms). */
  autoExtend?: AutoExtend;
  /** `acquire` only: ms to keep trying before `AcquireTimeoutError`; default 10 000 (0: one try). */
  timeout?: number;
  /** `acquire` only: first pause between tries, in ms (it backs off with jitter); default 10. */
  retryDelay?: number;
  /** `acquire` only: stops waiting (rejects with `AbortError`). */
  signal?: AbortSignal;
}

/** What `Lock.status` reads. */
export interface LockStatus {
  /** Whether someone holds the lock now. */
  held: boolean;
  /** The holder's fencing token, or `null` when free. */
  token: number | null;
  /** Milliseconds left on the holder's lease (0 when free; -1 when the key has no expiry). */
  remaining: number;
  /** The latest token issued for this resource (`null` if none in the last week). */
  lastToken: number | null;
}

/** A held lock: its fencing token, and the lease it is held under. */
export class LockLease extends Lease {
  /**
   * This acquisition's fencing token: strictly greater than every token issued for the resource
   * before it (on one server; across a failover see docs/patterns/lock.md). Pass it with every
   * write to the protected resource, which must refuse a token lower than the highest it has seen.
   * Only its order means anything (it is derived from the server's clock, not a count).
   */
  readonly token: number;

  constructor(
    resource: string,
    token: number,
    duration: number,
    requestedAt: number,
    backend: LeaseBackend,
    autoExtend: AutoExtend,
  ) {
    super(resource, duration, requestedAt, backend, autoExtend);
    this.token = token;
  }
}

/**
 * A mutual-exclusion lock on a named resource with a lease and fencing tokens, on one Redis
 * primary (a Client, or the primary of the resource's slot on a Cluster). See
 * docs/patterns/lock.md for exactly what it guarantees on one server, with replicas and across a
 * failover, and what it does not.
 */
export class Lock {
  readonly lease: number;
  readonly #keys: ResourceKeys;

  constructor(options?: LockOptions) {
    const given = optionsOf('Lock', options);
    this.lease = integerIn('Lock', 'lease (ms)', given.lease ?? DEFAULT_LEASE_MS, 1, MAX_MS);
    this.#keys = new ResourceKeys('Lock', given.prefix ?? 'redmoon:lock:');
  }

  /** One attempt: the lease, or `null` when someone else holds the lock. */
  async tryAcquire(
    target: LeaseTarget,
    name: string,
    options?: LockAcquireOptions,
  ): Promise<LockLease | null> {
    const attempt = await this.#attempt('Lock.tryAcquire', target, name, options);
    return attempt.done ? attempt.value : null;
  }

  /**
   * Waits for the lock (up to `timeout`), retrying with backoff and jitter; rejects with
   * `AcquireTimeoutError` when it stays held, or `AbortError` when `signal` aborts.
   */
  async acquire(target: LeaseTarget, name: string, options?: LockAcquireOptions): Promise<LockLease> {
    const given = optionsOf('Lock.acquire', options);
    return acquireLease('Lock.acquire', name, given, () =>
      this.#attempt('Lock.acquire', target, name, given),
    );
  }

  /**
   * Acquires (waiting as `acquire` does), runs `work` with the lease extending itself, and
   * releases. `work` gets the lease: pass `lease.token` to the protected resource and stop when
   * `lease.signal` aborts. Resolves to what `work` resolves to; a failed release is ignored (the
   * lease then runs out by itself).
   */
  async withLock<T>(
    target: LeaseTarget,
    name: string,
    work: (lease: LockLease) => Promise<T> | T,
    options?: LockAcquireOptions,
  ): Promise<T> {
    const given = optionsOf('Lock.withLock', options);
    return whileHeld(
      await this.acquire(target, name, { ...given, autoExtend: given.autoExtend ?? true }),
      work,
    );
  }

  /** Who holds the lock now, and the latest token issued. */
  async status(target: LeaseTarget, name: string): Promise<LockStatus> {
    const [lock, fence] = this.#keyPair('Lock.status', target, name);
    const [value, ttl, last] = await STATUS.evalshaWithReload(target, [lock, fence]);
    const separator = value.indexOf(':');
    return {
      held: value !== '',
      token: value === '' || separator === -1 ? null : Number(value.slice(0, separator)),
      remaining: value === '' ? 0 : ttl,
      lastToken: last === '' ? null : Number(last),
    };
  }

  /** The key of the lock on `name` (the fence is this plus `:fence`). */
  key(name: string): string {
    return this.#keys.base('Lock', name);
  }

  #keyPair(owner: string, target: unknown, name: string): [string, string] {
    leaseTarget(owner, target);
    const lock = this.#keys.base(owner, name);
    return [lock, `${lock}:fence`];
  }

  async #attempt(owner: string, target: LeaseTarget, name: string, options: LockAcquireOptions | undefined) {
    const given = optionsOf(owner, options);
    const [lock, fence] = this.#keyPair(owner, target, name);
    const duration = integerIn(owner, 'lease (ms)', given.lease ?? this.lease, 1, MAX_MS);
    const autoExtend = autoExtendOf(owner, given.autoExtend, duration);
    const ownerId = newOwnerId();
    const requestedAt = performance.now();
    const [acquired, value] = await ACQUIRE.evalshaWithReload(
      target,
      [lock, fence],
      [ownerId, duration, Math.max(FENCE_TTL_MS, 2 * duration)],
    );
    if (acquired !== 1) return { done: false as const, retryIn: value < 0 ? duration : value };
    const backend = holderBackend(owner, target, lock, `${value}:${ownerId}`, EXTEND, RELEASE);
    const lease = new LockLease(name, value, duration, requestedAt, backend, autoExtend);
    return { done: true as const, value: lease };
  }
}

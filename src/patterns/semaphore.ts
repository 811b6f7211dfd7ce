import { Script } from '../index.js';
import { ResourceKeys } from './keys.js';
import { type AutoExtend, autoExtendOf, holderBackend, Lease, type LeaseBackend } from './lease.js';
import { integerIn, type LeaseTarget, leaseTarget, MAX_MS, newOwnerId, optionsOf } from './target.js';
import { acquireLease, whileHeld } from './wait.js';

/**
 * One sorted set per semaphore: a member per permit, scored by when its lease ends (µs of the
 * server's clock). Expired permits are dropped before counting, so a holder that died frees its
 * permit when its lease ends. The key expires with the last lease.
 */
const PRELUDE = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
`;

const EXPIRE_WITH_LAST = `
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] ~= nil then redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(last[2]) - now) / 1000)) end
`;

const ACQUIRE = Script.fromLua<{
  keys: [string];
  args: [string, number, number];
  reply: [number, number, number];
}>(`${PRELUDE}
local size = tonumber(ARGV[3])
local count = redis.call('ZCARD', KEYS[1])
if count >= size then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, math.ceil((tonumber(first[2]) - now) / 1000)}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]) * 1000, ARGV[1])
${EXPIRE_WITH_LAST}
return {1, count + 1, 0}
`);

const EXTEND = Script.fromLua<{ keys: [string]; args: [string, number]; reply: number }>(`${PRELUDE}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]) * 1000, ARGV[1])
${EXPIRE_WITH_LAST}
return 1
`);

const RELEASE = Script.fromLua<{ keys: [string]; args: [string]; reply: number }>(`${PRELUDE}
return redis.call('ZREM', KEYS[1], ARGV[1])
`);

const COUNT = Script.fromLua<{ keys: [string]; args: []; reply: number }>(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
return redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%.0f', now), '+inf')
`);

const DEFAULT_LEASE_MS = 10_000;

export interface SemaphoreOptions {
  /** How many holders at once. Every user of one semaphore name must use the same size. */
  size: number;
  /** Default lease of a permit, in ms; default 10 000. */
  lease?: number;
  /** Prefix of the semaphore's keys; default `redmoon:sem:`. Must not contain braces. */
  prefix?: string;
}

export interface SemaphoreAcquireOptions {
  /** This permit's lease, in ms; default the semaphore's. */
  lease?: number;
  /** Keep extending the permit while held (`true`: every third of its lease; a number: every that many ms). */
  autoExtend?: AutoExtend;
  /** `acquire` only: ms to keep trying before `AcquireTimeoutError`; default 10 000 (0: one try). */
  timeout?: number;
  /** `acquire` only: first pause between tries, in ms (it backs off with jitter); default 10. */
  retryDelay?: number;
  /** `acquire` only: stops waiting (rejects with `AbortError`). */
  signal?: AbortSignal;
}

/** A held permit of a semaphore. */
export class Permit extends Lease {
  /** This permit's id (its member in the semaphore's sorted set). */
  readonly id: string;

  constructor(
    resource: string,
    id: string,
    duration: number,
    requestedAt: number,
    backend: LeaseBackend,
    autoExtend: AutoExtend,
  ) {
    super(resource, duration, requestedAt, backend, autoExtend);
    this.id = id;
  }
}

/**
 * A counting semaphore: at most `size` permits of one name are held at once, each under a lease
 * that ends by the server's clock. See docs/patterns/semaphore.md.
 */
export class Semaphore {
  readonly size: number;
  readonly lease: number;
  readonly #keys: ResourceKeys;

  constructor(options: SemaphoreOptions) {
    const given = optionsOf('Semaphore', options);
    this.size = integerIn('Semaphore', 'size', given.size, 1, 2 ** 31 - 1);
    this.lease = integerIn('Semaphore', 'lease (ms)', given.lease ?? DEFAULT_LEASE_MS, 1, MAX_MS);
    this.#keys = new ResourceKeys('Semaphore', given.prefix ?? 'redmoon:sem:');
  }

  /** One attempt: a permit, or `null` when all `size` are held. */
  async tryAcquire(
    target: LeaseTarget,
    name: string,
    options?: SemaphoreAcquireOptions,
  ): Promise<Permit | null> {
    const attempt = await this.#attempt('Semaphore.tryAcquire', target, name, options);
    return attempt.done ? attempt.value : null;
  }

  /** Waits for a permit (up to `timeout`), retrying with backoff and jitter. */
  async acquire(target: LeaseTarget, name: string, options?: SemaphoreAcquireOptions): Promise<Permit> {
    const given = optionsOf('Semaphore.acquire', options);
    return acquireLease('Semaphore.acquire', name, given, () =>
      this.#attempt('Semaphore.acquire', target, name, given),
    );
  }

  /** Acquires a permit (waiting as `acquire` does), runs `work` with it extending itself, and releases it. */
  async withPermit<T>(
    target: LeaseTarget,
    name: string,
    work: (permit: Permit) => Promise<T> | T,
    options?: SemaphoreAcquireOptions,
  ): Promise<T> {
    const given = optionsOf('Semaphore.withPermit', options);
    return whileHeld(
      await this.acquire(target, name, { ...given, autoExtend: given.autoExtend ?? true }),
      work,
    );
  }

  /** How many permits of `name` are held now (leases not yet ended by the server's clock). */
  async count(target: LeaseTarget, name: string): Promise<number> {
    return COUNT.evalshaWithReload(leaseTarget('Semaphore.count', target), [this.key(name)]);
  }

  /** The key of the semaphore `name` (a sorted set of permit ids by lease end). */
  key(name: string): string {
    return this.#keys.base('Semaphore', name);
  }

  async #attempt(
    owner: string,
    target: LeaseTarget,
    name: string,
    options: SemaphoreAcquireOptions | undefined,
  ) {
    leaseTarget(owner, target);
    const given = optionsOf(owner, options);
    const key = this.#keys.base(owner, name);
    const duration = integerIn(owner, 'lease (ms)', given.lease ?? this.lease, 1, MAX_MS);
    const autoExtend = autoExtendOf(owner, given.autoExtend, duration);
    const id = newOwnerId();
    const requestedAt = performance.now();
    const [acquired, , retryIn] = await ACQUIRE.evalshaWithReload(target, [key], [id, duration, this.size]);
    if (acquired !== 1) return { done: false as const, retryIn };
    const backend = holderBackend(owner, target, key, id, EXTEND, RELEASE);
    const permit = new Permit(name, id, duration, requestedAt, backend, autoExtend);
    return { done: true as const, value: permit };
  }
}

import { ArgumentError, Script } from '../index.js';
import { deleteKey } from './delete-key.js';
import { AcquireTimeoutError, IdempotencyInFlightError } from './errors.js';
import { ResourceKeys } from './keys.js';
import { Lease } from './lease.js';
import { integerIn, type LeaseTarget, leaseTarget, MAX_MS, newOwnerId, optionsOf, within } from './target.js';
import { type Attempt, retryUntil } from './wait.js';

/**
 * One key per idempotency key: `R<owner>` while a run is in flight (its expiry is the run's
 * lease), `D<payload>` once it completed (its expiry is the result's TTL). Claiming, completing,
 * extending and abandoning each check that state in one script, so two callers can never both
 * believe they claimed, and a run whose claim was lost cannot overwrite another's result.
 */
const CLAIM = Script.fromLua<{
  keys: [string];
  args: [string, number];
  reply: ['claimed', ''] | ['done', string] | ['running', number];
}>(`
local value = redis.call('GET', KEYS[1])
if value == false then
  redis.call('SET', KEYS[1], 'R' .. ARGV[1], 'PX', ARGV[2])
  return {'claimed', ''}
end
if string.sub(value, 1, 1) == 'D' then return {'done', string.sub(value, 2)} end
return {'running', redis.call('PTTL', KEYS[1])}
`);

const COMPLETE = Script.fromLua<{ keys: [string]; args: [string, string, number]; reply: number }>(`
if redis.call('GET', KEYS[1]) ~= 'R' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'D' .. ARGV[2], 'PX', ARGV[3])
return 1
`);

const EXTEND = Script.fromLua<{ keys: [string]; args: [string, number]; reply: number }>(`
if redis.call('GET', KEYS[1]) ~= 'R' .. ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`);

const ABANDON = Script.fromLua<{ keys: [string]; args: [string]; reply: number }>(`
if redis.call('GET', KEYS[1]) ~= 'R' .. ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`);

const READ = Script.fromLua<{ keys: [string]; args: []; reply: [string, string | number] }>(`
local value = redis.call('GET', KEYS[1])
if value == false then return {'none', ''} end
if string.sub(value, 1, 1) == 'D' then return {'done', string.sub(value, 2)} end
return {'running', redis.call('PTTL', KEYS[1])}
`);

const DAY_MS = 24 * 3600 * 1000;
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_RETRY_MS = 10;

export interface IdempotencyOptions<T = unknown> {
  /** How long a completed result is kept and replayed, in ms; default 24 h. */
  ttl?: number;
  /** The lease of a run in flight, in ms (extended every third of it while the run lasts); default 30 000. */
  lease?: number;
  /** Prefix of the keys; default `redmoon:idem:`. Must not contain braces. */
  prefix?: string;
  /** Turns a result into the string stored; default JSON (`undefined` is kept as such). */
  serialize?: (value: T) => string;
  /** Turns a stored string back into a result; default JSON. */
  deserialize?: (text: string) => T;
}

export interface IdempotentRunOptions {
  /**
   * What a call does while another run of the same key is in flight: `'reject'` (default) fails
   * at once with `IdempotencyInFlightError`; `'wait'` polls until that run completes (and replays
   * its result) or fails (and then tries to run the operation itself).
   */
  inFlight?: 'reject' | 'wait';
  /** With `inFlight: 'wait'`: ms to wait before `IdempotencyInFlightError`; default the lease. */
  timeout?: number;
}

/** What `run` resolves to. */
export interface IdempotentResult<T> {
  value: T;
  /** True when this is a stored result of an earlier run: the operation did not run now. */
  replayed: boolean;
  /**
   * Whether the result is stored for repeats. False only when the run outlived its claim (the
   * lease expired unextended, e.g. the process stalled, or was lost in a failover): another
   * caller may then have run the operation too. See docs/patterns/idempotency.md.
   */
  stored: boolean;
}

/** What `status` reads. */
export type IdempotencyStatus<T> =
  | { state: 'none' }
  | { state: 'running'; remaining: number }
  | { state: 'done'; value: T };

const defaultSerialize = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));
const defaultDeserialize = (text: string): unknown => (text === '' ? undefined : JSON.parse(text));

/**
 * Runs an operation once per idempotency key and replays its stored result to every repeat
 * within `ttl`. A failed run stores nothing: its claim is dropped so that a later call (or a
 * waiting one) runs the operation again. See docs/patterns/idempotency.md for the exact rules.
 */
export class Idempotency<T = unknown> {
  readonly ttl: number;
  readonly lease: number;
  readonly #keys: ResourceKeys;
  readonly #serialize: (value: T) => string;
  readonly #deserialize: (text: string) => T;

  constructor(options?: IdempotencyOptions<T>) {
    const given = optionsOf('Idempotency', options);
    this.ttl = integerIn('Idempotency', 'ttl (ms)', given.ttl ?? DAY_MS, 1, Number.MAX_SAFE_INTEGER);
    this.lease = integerIn('Idempotency', 'lease (ms)', given.lease ?? DEFAULT_LEASE_MS, 3, MAX_MS);
    this.#keys = new ResourceKeys('Idempotency', given.prefix ?? 'redmoon:idem:');
    for (const name of ['serialize', 'deserialize'] as const) {
      if (given[name] !== undefined && typeof given[name] !== 'function') {
        throw new ArgumentError(`Idempotency: ${name} must be a function, got ${typeof given[name]}`);
      }
    }
    this.#serialize = given.serialize ?? (defaultSerialize as (value: T) => string);
    this.#deserialize = given.deserialize ?? (defaultDeserialize as (text: string) => T);
  }

  /**
   * Runs `operation` unless a run of `key` already completed (then resolves to its stored result,
   * `replayed: true`). `operation` gets an `AbortSignal` that aborts if its claim is lost.
   */
  async run(
    target: LeaseTarget,
    key: string,
    operation: (signal: AbortSignal) => Promise<T> | T,
    options?: IdempotentRunOptions,
  ): Promise<IdempotentResult<T>> {
    leaseTarget('Idempotency.run', target);
    const given = optionsOf('Idempotency.run', options);
    const redisKey = this.key(key);
    if (typeof operation !== 'function') {
      throw new ArgumentError(`Idempotency.run: the operation must be a function, got ${typeof operation}`);
    }
    const inFlight = given.inFlight ?? 'reject';
    if (inFlight !== 'reject' && inFlight !== 'wait') {
      throw new ArgumentError(
        `Idempotency.run: inFlight must be 'reject' or 'wait', got ${JSON.stringify(inFlight)}`,
      );
    }
    const timeout = integerIn('Idempotency.run', 'timeout (ms)', given.timeout ?? this.lease, 0, MAX_MS);

    type Claimed = { replay: T } | { claim: Lease; complete: (payload: string) => Promise<boolean> };
    const attempt = async (): Promise<Attempt<Claimed>> => {
      const owner = newOwnerId();
      const requestedAt = performance.now();
      const [state, detail] = await CLAIM.evalshaWithReload(target, [redisKey], [owner, this.lease]);
      if (state === 'done') return { done: true, value: { replay: this.#deserialize(detail) } };
      if (state === 'running') {
        if (inFlight === 'reject') throw new IdempotencyInFlightError(key, Math.max(0, detail));
        return { done: false, retryIn: detail };
      }
      // The claim's release stores the result when there is one, or drops the claim when the run failed.
      let payload: string | undefined;
      const claim = new Lease(
        key,
        this.lease,
        requestedAt,
        {
          extend: async (ms, timeout) =>
            (await EXTEND.evalshaWithReload(within(target, timeout), [redisKey], [owner, ms])) === 1,
          release: async () =>
            payload === undefined
              ? (await ABANDON.evalshaWithReload(target, [redisKey], [owner])) === 1
              : (await COMPLETE.evalshaWithReload(target, [redisKey], [owner, payload, this.ttl])) === 1,
        },
        true,
      );
      const complete = (text: string) => {
        payload = text;
        return claim.release();
      };
      return { done: true, value: { claim, complete } };
    };

    let claimed: Claimed;
    try {
      claimed = await retryUntil(key, attempt, { timeout, retryDelay: DEFAULT_RETRY_MS });
    } catch (error) {
      if (error instanceof AcquireTimeoutError) throw new IdempotencyInFlightError(key, 0);
      throw error;
    }
    if ('replay' in claimed) return { value: claimed.replay, replayed: true, stored: true };

    let value: T;
    let payload: string;
    try {
      value = await operation(claimed.claim.signal);
      payload = this.#serialize(value);
      if (typeof payload !== 'string') {
        throw new ArgumentError(`Idempotency: serialize must return a string, got ${typeof payload}`);
      }
    } catch (error) {
      await claimed.claim.release().catch(() => false);
      throw error;
    }
    const stored = await claimed.complete(payload);
    return { value, replayed: false, stored };
  }

  /** Whether `key` has no run, a run in flight, or a stored result. */
  async status(target: LeaseTarget, key: string): Promise<IdempotencyStatus<T>> {
    leaseTarget('Idempotency.status', target);
    const [state, detail] = await READ.evalshaWithReload(target, [this.key(key)]);
    if (state === 'done') return { state, value: this.#deserialize(detail as string) };
    if (state === 'running') return { state, remaining: Math.max(0, detail as number) };
    return { state: 'none' };
  }

  /** Forgets `key` (its result or its claim); resolves to whether there was one. */
  async forget(target: LeaseTarget, key: string): Promise<boolean> {
    leaseTarget('Idempotency.forget', target);
    return deleteKey(target, this.#keys, 'Idempotency', key);
  }

  /** The Redis key of idempotency key `key`. */
  key(key: string): string {
    return this.#keys.base('Idempotency', key);
  }
}

import type { Script } from '../index.js';
import { deleteKey } from './delete-key.js';
import { ResourceKeys } from './keys.js';
import { integerIn, MAX_MS, MICROS_PER_MS, optionsOf, type PatternTarget, refuse, shaped } from './target.js';

/** What every limiter answers. Durations are milliseconds, measured by the server's clock. */
export interface RateLimitResult {
  /** Whether this request was admitted (and counted). A refused request is not counted. */
  allowed: boolean;
  /** The most the limiter admits at once: its `limit` (a token bucket's `burst`). */
  limit: number;
  /** How many more units would be admitted right now, after this request. */
  remaining: number;
  /**
   * When refused: milliseconds until a request of the same cost could be admitted, rounded up
   * (`Infinity` when its cost is more than the limiter ever admits). 0 when admitted.
   */
  retryAfter: number;
  /** Milliseconds until the limiter has forgotten every admission it holds (full capacity again). */
  resetAfter: number;
  /** The server's clock when it decided, in milliseconds since the epoch (microsecond fraction). */
  serverTime: number;
}

export interface CheckOptions {
  /** Units this request takes; default 1. 0 asks without counting anything. */
  cost?: number;
}

/** Options every limiter takes. */
export interface RateLimiterOptions {
  /** Requests (units) admitted per window. */
  limit: number;
  /** The window, in milliseconds. */
  window: number;
  /** Prefix of the limiter's keys; default `redmoon:rl:<kind>:`. Must not contain braces. */
  prefix?: string;
}

/** A limiter script: one key; limit, window (µs), cost and any extra arguments. */
export type LimiterSignature = {
  keys: [string];
  args: [number, number, number, ...number[]];
  /** allowed (0/1), remaining, retryAfter µs (-1: never), resetAfter µs, the server's time µs. */
  reply: [number, number, number, number, number];
};

/**
 * What the four limiters share: argument checks, the key of a resource, and the shape of the
 * answer. Each subclass is one Lua script that reads `TIME` itself, so the only clock is the
 * server's, and that does everything in one atomic step.
 */
export abstract class RateLimiter {
  readonly limit: number;
  /** The window in milliseconds. */
  readonly window: number;
  readonly #keys: ResourceKeys;
  readonly #owner: string;

  protected constructor(owner: string, options: RateLimiterOptions, defaultPrefix: string) {
    const given = optionsOf(owner, options);
    this.#owner = owner;
    this.limit = integerIn(owner, 'limit', given.limit, 1, 2 ** 31 - 1);
    this.window = integerIn(owner, 'window (ms)', given.window, 1, MAX_MS);
    this.#keys = new ResourceKeys(owner, given.prefix ?? defaultPrefix);
  }

  /** The script and the arguments after `limit, window, cost` that this limiter runs with. */
  protected abstract get script(): Script<LimiterSignature>;
  protected extraArgs(): number[] {
    return [];
  }

  /**
   * Asks to admit one request (or `cost` units) for `name`, atomically on the server. On a
   * pipeline or transaction, await the promise this returns: `exec()` gives the raw reply.
   */
  check(target: PatternTarget, name: string, options?: CheckOptions): Promise<RateLimitResult> {
    let key: string;
    let cost: number;
    try {
      const given = optionsOf(`${this.#owner}.check`, options);
      key = this.key(name);
      cost = integerIn(`${this.#owner}.check`, 'cost', given.cost ?? 1, 0, 2 ** 31 - 1);
    } catch (error) {
      return refuse(target, error);
    }
    const args = [
      this.limit,
      this.window * MICROS_PER_MS,
      cost,
      ...this.extraArgs(),
    ] as LimiterSignature['args'];
    return shaped(target, this.script.evalshaWithReload(target, [key], args), (reply) => this.#result(reply));
  }

  /** Forgets every admission of `name` (DEL of its key); resolves to whether there was any. */
  reset(target: PatternTarget, name: string): Promise<boolean> {
    return deleteKey(target, this.#keys, this.#owner, name);
  }

  /** The key that holds the state of `name` (for inspection; its layout is the limiter's own). */
  key(name: string): string {
    return this.#keys.base(this.#owner, name);
  }

  #result(reply: LimiterSignature['reply']): RateLimitResult {
    const [allowed, remaining, retryAfter, resetAfter, now] = reply;
    return {
      allowed: allowed === 1,
      limit: this.resultLimit,
      remaining,
      retryAfter: retryAfter < 0 ? Number.POSITIVE_INFINITY : Math.ceil(retryAfter / MICROS_PER_MS),
      resetAfter: Math.ceil(resetAfter / MICROS_PER_MS),
      serverTime: now / MICROS_PER_MS,
    };
  }

  /** What `RateLimitResult.limit` reports. */
  protected get resultLimit(): number {
    return this.limit;
  }
}

/** The Lua that every limiter script starts with: the server's clock in µs, and the arguments. */
export const LIMITER_PRELUDE = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
`;

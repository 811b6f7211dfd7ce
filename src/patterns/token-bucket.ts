import { ArgumentError, Script } from '../index.js';
import {
  LIMITER_PRELUDE,
  type LimiterSignature,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';
import { integerIn, optionsOf } from './target.js';

/**
 * GCRA (the generic cell rate algorithm): the key holds one number, the theoretical arrival time
 * (TAT) at which the bucket would be full again. A request of `cost` units moves the TAT
 * `cost × interval` later and is admitted if the new TAT is no more than `burst × interval`
 * ahead of now. Equivalent to a token bucket of `burst` tokens refilled at `limit` per `window`,
 * without a refill step or a second field.
 *
 * The TAT is kept in milliseconds of the server's clock, not microseconds: near 1.8e12 a double
 * resolves about 0.24 ns, where near 1.8e15 (µs) it resolves only 0.25 µs, and an interval below
 * that (more than 4 units per µs) would round to nothing. Stored with 17 significant digits, it
 * reads back as the same double.
 */
const TOKEN_BUCKET = Script.fromLua<LimiterSignature>(`${LIMITER_PRELUDE}
local burst = tonumber(ARGV[4])
local nowMs = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local interval = window / 1000 / limit
local tolerance = burst * interval
local tat = tonumber(redis.call('GET', key)) or nowMs
if tat < nowMs then tat = nowMs end
local nextTat = tat + cost * interval
local allowAt = nextTat - tolerance
if allowAt > nowMs then
  local retry = math.ceil((allowAt - nowMs) * 1000)
  if cost > burst then retry = -1 end
  return {0, math.floor((nowMs + tolerance - tat) / interval + 1e-3), retry, math.ceil((tat - nowMs) * 1000), now}
end
if cost > 0 then
  redis.call('SET', key, string.format('%.17g', nextTat), 'PX', math.max(1, math.ceil(nextTat - nowMs)))
end
return {1, math.floor((nowMs + tolerance - nextTat) / interval + 1e-3), 0, math.ceil((nextTat - nowMs) * 1000), now}
`);

/** One unit per nanosecond: finer intervals drown in the rounding of millisecond timestamps. */
const MIN_INTERVAL_MS = 1e-6;

export interface TokenBucketOptions extends RateLimiterOptions {
  /** The bucket's size: how many units may pass at once after a quiet spell. Default `limit`. */
  burst?: number;
}

/**
 * Token bucket (implemented as GCRA): refills at `limit` units per `window` ms, continuously, and
 * holds at most `burst`. In any interval of `d` ms it admits at most `burst + d × limit / window`
 * units. Smooth and constant memory (one number per name): the usual choice for API quotas.
 */
export class TokenBucketLimiter extends RateLimiter {
  /** The bucket's size. */
  readonly burst: number;

  constructor(options: TokenBucketOptions) {
    super('TokenBucketLimiter', options, 'redmoon:rl:bucket:');
    const given = optionsOf('TokenBucketLimiter', options);
    this.burst = integerIn('TokenBucketLimiter', 'burst', given.burst ?? this.limit, 1, 2 ** 31 - 1);
    if (this.window / this.limit < MIN_INTERVAL_MS) {
      throw new ArgumentError(
        `TokenBucketLimiter: limit / window is more than 1 000 000 units per ms, finer than the server clock's arithmetic resolves`,
      );
    }
  }

  protected get script(): Script<LimiterSignature> {
    return TOKEN_BUCKET;
  }

  protected override extraArgs(): number[] {
    return [this.burst];
  }

  protected override get resultLimit(): number {
    return this.burst;
  }
}

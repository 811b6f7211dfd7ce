import { Script } from '../index.js';
import {
  LIMITER_PRELUDE,
  type LimiterSignature,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';
import { integerIn, optionsOf } from './target.js';

/**
 * GCRA (the generic cell rate algorithm): the key holds one number, the theoretical arrival time
 * (TAT, µs of the server's clock) at which the bucket would be full again. A request of `cost`
 * units moves the TAT `cost × interval` later and is admitted if the new TAT is no more than
 * `burst × interval` ahead of now. Equivalent to a token bucket of `burst` tokens refilled at
 * `limit` per `window`, without a refill step or a second field.
 */
const TOKEN_BUCKET = Script.fromLua<LimiterSignature>(`${LIMITER_PRELUDE}
local burst = tonumber(ARGV[4])
local interval = window / limit
local tolerance = burst * interval
local tat = tonumber(redis.call('GET', key)) or now
if tat < now then tat = now end
local nextTat = tat + cost * interval
local allowAt = nextTat - tolerance
if allowAt > now then
  local retry = math.ceil(allowAt - now)
  if cost > burst then retry = -1 end
  return {0, math.floor((now + tolerance - tat) / interval + 1e-3), retry, math.ceil(tat - now), now}
end
if cost > 0 then
  redis.call('SET', key, nextTat, 'PX', math.ceil((nextTat - now) / 1000))
end
return {1, math.floor((now + tolerance - nextTat) / interval + 1e-3), 0, math.ceil(nextTat - now), now}
`);

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

import { Script } from '../index.js';
import {
  LIMITER_PRELUDE,
  type LimiterSignature,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';

/**
 * A window opens at the first request after the previous one closed and lasts `window` ms; at
 * most `limit` units are admitted in it. The window's start is kept in the key (a hash of
 * `s` = start µs, `n` = count) rather than left to the key's expiry, so the boundary is exact to
 * the microsecond of the server's clock; the PEXPIRE only cleans up. A clock that steps back
 * lengthens the window, never shortens it.
 */
const FIXED_WINDOW = Script.fromLua<LimiterSignature>(`${LIMITER_PRELUDE}
local state = redis.call('HMGET', key, 's', 'n')
local start = tonumber(state[1])
local count = tonumber(state[2]) or 0
if start == nil or now >= start + window then
  start = now
  count = 0
end
local reset = start + window - now
if count + cost > limit then
  local retry = reset
  if cost > limit then retry = -1 end
  return {0, limit - count, retry, reset, now}
end
if cost > 0 then
  count = count + cost
  redis.call('HSET', key, 's', start, 'n', count)
  redis.call('PEXPIRE', key, math.ceil(reset / 1000))
elseif count == 0 then
  reset = 0
end
return {1, limit - count, 0, reset, now}
`);

/**
 * Fixed window: the walkthrough's INCR + EXPIRE, made atomic and exact. Cheapest of the four
 * (one small hash per name), but up to `2 × limit` can pass around the edge between two windows
 * (`limit` at the end of one, `limit` at the start of the next).
 */
export class FixedWindowLimiter extends RateLimiter {
  constructor(options: RateLimiterOptions) {
    super('FixedWindowLimiter', options, 'redmoon:rl:fixed:');
  }

  protected get script(): Script<LimiterSignature> {
    return FIXED_WINDOW;
  }
}

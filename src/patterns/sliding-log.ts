import { Script } from '../index.js';
import {
  LIMITER_PRELUDE,
  type LimiterSignature,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';

/**
 * One sorted-set entry per admitted unit, scored by its admission time (µs of the server's
 * clock). Entries older than the window are dropped first, so the set holds at most `limit`
 * entries. Scores (and members) strictly increase: an admission in the same microsecond as the
 * newest entry, or after the clock stepped back, is recorded just after it, which keeps members
 * unique and only ever makes the window end later.
 */
const SLIDING_LOG = Script.fromLua<LimiterSignature>(`${LIMITER_PRELUDE}
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local last = tonumber(newest[2])
if count + cost > limit then
  local retry = -1
  if cost <= limit then
    -- the entry whose departure leaves room for this request
    local index = count + cost - limit - 1
    local leaving = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
    retry = tonumber(leaving[2]) + window - now
  end
  local reset = 0
  if last ~= nil then reset = last + window - now end
  return {0, limit - count, retry, reset, now}
end
if cost > 0 then
  local at = now
  if last ~= nil and last >= at then at = last + 1 end
  for i = 0, cost - 1 do
    redis.call('ZADD', key, at + i, at + i)
  end
  count = count + cost
  last = at + cost - 1
  redis.call('PEXPIRE', key, math.ceil((last + window - now) / 1000))
end
local reset = 0
if last ~= nil then reset = last + window - now end
return {1, limit - count, 0, reset, now}
`);

/**
 * Sliding log: exact. In every interval of `window` ms of the server's clock, at most `limit`
 * units are admitted. Costs memory in proportion to `limit` (one sorted-set entry per admitted
 * unit still in the window), so it suits small limits: logins, password resets, expensive calls.
 */
export class SlidingLogLimiter extends RateLimiter {
  constructor(options: RateLimiterOptions) {
    super('SlidingLogLimiter', options, 'redmoon:rl:log:');
  }

  protected get script(): Script<LimiterSignature> {
    return SLIDING_LOG;
  }
}

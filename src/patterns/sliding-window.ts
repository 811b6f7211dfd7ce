import { Script } from '../index.js';
import {
  LIMITER_PRELUDE,
  type LimiterSignature,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';

/**
 * Two counters in one hash: `c` for the current clock-aligned window (`w` = its index, now ÷
 * window) and `p` for the one before. The estimate of the last `window` ms is `p` weighted by the
 * share of the previous window still inside it, plus `c`. A clock that steps back into an older
 * window is treated as the start of the stored one (the estimate then weighs `p` fully).
 */
const SLIDING_WINDOW = Script.fromLua<LimiterSignature>(`${LIMITER_PRELUDE}
local index = math.floor(now / window)
local state = redis.call('HMGET', key, 'w', 'c', 'p')
local stored = tonumber(state[1])
local current = tonumber(state[2]) or 0
local previous = tonumber(state[3]) or 0
local elapsed = now - index * window
if stored == nil then
  current, previous = 0, 0
elseif stored > index then
  index, elapsed = stored, 0
elseif stored == index - 1 then
  previous, current = current, 0
elseif stored ~= index then
  current, previous = 0, 0
end
local estimate = previous * (window - elapsed) / window + current
if estimate + cost > limit then
  local retry = -1
  if cost <= limit then
    if current + cost <= limit then
      -- wait for enough of the previous window to slide out
      retry = window * (1 - (limit - current - cost) / previous) - elapsed
    else
      -- wait for the next window, where the current count becomes the previous one
      retry = window - elapsed + math.max(0, window * (1 - (limit - cost) / current))
    end
    retry = math.max(1, math.ceil(retry))
  end
  local reset = window - elapsed
  if current > 0 then reset = reset + window end
  if current == 0 and previous == 0 then reset = 0 end
  return {0, math.max(0, math.floor(limit - estimate + 1e-9)), retry, math.ceil(reset), now}
end
local reset = 0
if cost > 0 then
  current = current + cost
  redis.call('HSET', key, 'w', index, 'c', current, 'p', previous)
  redis.call('PEXPIRE', key, math.ceil((2 * window - elapsed) / 1000))
end
if current > 0 then
  reset = 2 * window - elapsed
elseif previous > 0 then
  reset = window - elapsed
end
return {1, math.max(0, math.floor(limit - estimate - cost + 1e-9)), 0, math.ceil(reset), now}
`);

/**
 * Sliding window, approximated with two counters (the "sliding window counter"): constant memory
 * per name whatever the limit. It assumes the previous window's requests were spread evenly, so
 * it is exact for steady traffic; for bursty traffic it guarantees at most `limit` per
 * clock-aligned window and at most `2 × limit` in any `window` ms (in practice close to `limit`).
 */
export class SlidingWindowLimiter extends RateLimiter {
  constructor(options: RateLimiterOptions) {
    super('SlidingWindowLimiter', options, 'redmoon:rl:window:');
  }

  protected get script(): Script<LimiterSignature> {
    return SLIDING_WINDOW;
  }
}

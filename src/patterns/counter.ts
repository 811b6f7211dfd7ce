import { ArgumentError, Script } from '../index.js';
import { deleteKey } from './delete-key.js';
import { ResourceKeys } from './keys.js';
import { integerIn, optionsOf, type PatternTarget, refuse, shaped } from './target.js';

/**
 * INCRBY and PEXPIRE in one script: no caller can die, time out or lose its connection between
 * the two, so a counter never exists without its expiry. An expiry is set when the key has none
 * (the first increment, or a key written by something else), and on every increment with
 * `refresh`.
 */
const INCREMENT = Script.fromLua<{
  keys: [string];
  args: [number, number, number];
  reply: [number, number];
}>(`
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or ARGV[3] == '1' then
  ttl = tonumber(ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {value, ttl}
`);

const READ = Script.fromLua<{ keys: [string]; args: []; reply: [number, number] }>(`
local value = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then ttl = 0 end
return {value, ttl}
`);

export interface ExpiringCounterOptions {
  /** Milliseconds a counter lives after its first increment (after every one, with `refresh`). */
  ttl: number;
  /** Restart the expiry on every increment (the counter then lives while it is used). Default false. */
  refresh?: boolean;
  /** Prefix of the counters' keys; default `redmoon:counter:`. Must not contain braces. */
  prefix?: string;
}

/** A counter's value and the milliseconds it has left (0 when it does not exist). */
export interface CounterValue {
  value: number;
  ttl: number;
}

/**
 * Counters that expire: INCRBY with the expiry set atomically, so none is ever left without one.
 * Runs on a Client, a Cluster, a pipeline or a transaction. See docs/patterns/counter.md.
 */
export class ExpiringCounter {
  readonly ttl: number;
  readonly refresh: boolean;
  readonly #keys: ResourceKeys;

  constructor(options: ExpiringCounterOptions) {
    const given = optionsOf('ExpiringCounter', options);
    this.ttl = integerIn('ExpiringCounter', 'ttl (ms)', given.ttl, 1, Number.MAX_SAFE_INTEGER);
    this.refresh = given.refresh ?? false;
    if (typeof this.refresh !== 'boolean') {
      throw new ArgumentError(`ExpiringCounter: refresh must be a boolean, got ${typeof this.refresh}`);
    }
    this.#keys = new ResourceKeys('ExpiringCounter', given.prefix ?? 'redmoon:counter:');
  }

  /** Adds `by` (default 1; may be negative) and resolves to the new value and its TTL. */
  incr(target: PatternTarget, name: string, by = 1): Promise<CounterValue> {
    let key: string;
    try {
      key = this.key(name);
      integerIn('ExpiringCounter.incr', 'by', by, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    } catch (error) {
      return refuse(target, error);
    }
    return shaped(
      target,
      INCREMENT.evalshaWithReload(target, [key], [by, this.ttl, this.refresh ? 1 : 0]),
      ([value, ttl]) => ({ value, ttl }),
    );
  }

  /** The current value (0 when it does not exist or has expired) and its TTL. */
  get(target: PatternTarget, name: string): Promise<CounterValue> {
    let key: string;
    try {
      key = this.key(name);
    } catch (error) {
      return refuse(target, error);
    }
    return shaped(target, READ.evalshaWithReload(target, [key]), ([value, ttl]) => ({ value, ttl }));
  }

  /** Deletes the counter; resolves to whether it existed. */
  reset(target: PatternTarget, name: string): Promise<boolean> {
    return deleteKey(target, this.#keys, 'ExpiringCounter', name);
  }

  /** The key of the counter `name`. */
  key(name: string): string {
    return this.#keys.base('ExpiringCounter', name);
  }
}

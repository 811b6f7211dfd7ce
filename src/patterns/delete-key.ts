import { Script } from '../index.js';
import type { ResourceKeys } from './keys.js';
import { type PatternTarget, refuse, shaped } from './target.js';

/** DEL as a typed script, so a reset runs on every target a pattern's other calls do (pipelines too). */
const DELETE = Script.fromLua<{ keys: [string]; args: []; reply: number }>(
  "return redis.call('DEL', KEYS[1])",
);

/**
 * Deletes the key of the resource `name` (a counter, a limiter's state, an idempotency record);
 * resolves to whether it existed. A bad name is refused for `owner` as the pattern's other calls
 * refuse it, before anything is queued.
 */
export function deleteKey(
  target: PatternTarget,
  keys: ResourceKeys,
  owner: string,
  name: string,
): Promise<boolean> {
  let key: string;
  try {
    key = keys.base(owner, name);
  } catch (error) {
    return refuse(target, error);
  }
  return shaped(target, DELETE.evalshaWithReload(target, [key]), (deleted) => deleted > 0);
}

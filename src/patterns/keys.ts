import { ArgumentError } from '../index.js';

/**
 * The keys of one resource (a limiter's bucket, a lock, a semaphore) all live in one hash slot, so
 * every script call is valid on a cluster by construction. The slot comes from a hash tag made of
 * the resource name: `redmoon:lock:{report}` and `redmoon:lock:{report}:fence`.
 *
 * A name that already holds a non-empty hash tag (`order:{42}`) is used as it is, so callers can
 * put a resource in the slot of their own data. Any other name is wrapped; the tag is then the
 * name up to its first `}`, which is empty only for a name starting with `}` (`{}x}`): such a
 * name is refused, since an empty tag would hash whole keys and scatter them over slots.
 */
export class ResourceKeys {
  readonly prefix: string;

  constructor(owner: string, prefix: string) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new ArgumentError(`${owner}: prefix must be a non-empty string, got ${typeof prefix}`);
    }
    if (prefix.includes('{') || prefix.includes('}')) {
      // A brace in the prefix would become the hash tag of every resource: one slot for all.
      throw new ArgumentError(`${owner}: prefix must not contain '{' or '}', got ${JSON.stringify(prefix)}`);
    }
    this.prefix = prefix;
  }

  /** The base key of `name`; other keys of the resource are `base + suffix`. */
  base(owner: string, name: unknown): string {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ArgumentError(
        `${owner}: the resource name must be a non-empty string, got ${describe(name)}`,
      );
    }
    if (hasHashTag(name)) return this.prefix + name;
    if (name.startsWith('}')) {
      throw new ArgumentError(
        `${owner}: the resource name ${JSON.stringify(name)} starts with '}' and has no {hash tag}; ` +
          `its keys would not share a slot (use a name such as "order:{42}" or one without braces)`,
      );
    }
    return `${this.prefix}{${name}}`;
  }
}

/** Whether `name` holds a non-empty `{tag}` by the cluster's rule (first `{`, then the next `}`). */
function hasHashTag(name: string): boolean {
  const open = name.indexOf('{');
  if (open === -1) return false;
  const close = name.indexOf('}', open + 1);
  return close > open + 1;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return 'an empty string';
  if (value === null) return 'null';
  return typeof value;
}

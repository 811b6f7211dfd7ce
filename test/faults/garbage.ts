import fc from 'fast-check';
import { RedisError } from '../../src/index.js';

// Values a careless or hostile caller may hand the public API: what JavaScript allows, not
// what the types say. Each one must meet a typed RedisError or be used, never a TypeError.

/** An object whose conversion to a string or number throws. */
export function throwingToString(): object {
  return {
    toString() {
      throw new Error('toString refused');
    },
    valueOf() {
      throw new Error('valueOf refused');
    },
  };
}

/** An object whose every property read throws. */
export function throwingGetters(): object {
  return new Proxy(
    {},
    {
      get() {
        throw new Error('property read refused');
      },
      has() {
        throw new Error('property test refused');
      },
      ownKeys() {
        throw new Error('key listing refused');
      },
      getPrototypeOf() {
        throw new Error('prototype refused');
      },
    },
  );
}

const HOSTILE: Record<string, () => unknown> = {
  null: () => null,
  undefined: () => undefined,
  'Object.create(null)': () => Object.create(null),
  'throwing toString': throwingToString,
  'throwing getters': throwingGetters,
  'Symbol()': () => Symbol('garbage'),
  NaN: () => Number.NaN,
  Infinity: () => Number.POSITIVE_INFINITY,
  '-0': () => -0,
  '2^64': () => 2 ** 64,
  '-(2^70)n': () => -(2n ** 70n),
  'a function': () => () => 'a function',
  'a Map': () => new Map([['k', 'v']]),
  'a Set': () => new Set(['m']),
  'a Date': () => new Date(0),
  'a Promise': () => Promise.resolve('p'),
  'a RegExp': () => /re/,
  'a Uint8Array': () => new Uint8Array([1, 2]),
  'an AbortSignal': () => new AbortController().signal,
  'a fake AbortSignal': () => ({ aborted: true, addEventListener: 'not a function' }),
  '[]': () => [],
  '[[]]': () => [[]],
  true: () => true,
};

/**
 * Stands for a hostile value until the property runs: fast-check prints and shrinks its inputs,
 * and must not meet the throwing ones itself.
 */
class Hostile {
  constructor(readonly name: string) {}
  [fc.toStringMethod](): string {
    return `<${this.name}>`;
  }
}

const hostile = fc.constantFrom(...Object.keys(HOSTILE)).map((name) => new Hostile(name));

/** The garbage a recipe stands for: every Hostile inside arrays and plain objects made real. */
export function materialize(recipe: unknown): unknown {
  if (recipe instanceof Hostile) return HOSTILE[recipe.name]();
  if (Array.isArray(recipe)) return recipe.map(materialize);
  if (recipe !== null && typeof recipe === 'object' && Object.getPrototypeOf(recipe) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(recipe)) out[key] = materialize(value);
    return out;
  }
  return recipe;
}

/** Any one garbage value (scalars, structures and the hostile ones above), as a recipe: see `materialize`. */
export const garbage: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostile,
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.boolean(),
    fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 3 }),
    fc.record(
      {
        ex: tie('value'),
        count: tie('value'),
        limit: tie('value'),
        match: tie('value'),
        type: tie('value'),
        replace: tie('value'),
      },
      { requiredKeys: [] },
    ),
  ),
})).value;

/** 0 to 5 garbage arguments (recipes). */
export const garbageArgs: fc.Arbitrary<unknown[]> = fc.array(garbage, { maxLength: 5 });

/** Why `error` is not an acceptable outcome of a public call, or undefined when it is. */
export function untyped(error: unknown): string | undefined {
  if (error instanceof RedisError) return undefined;
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return `${name}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Describes recipes for a failure message (hostile values by name). */
export function show(recipes: readonly unknown[]): string {
  return fc.stringify(recipes);
}

import { ArgumentError } from '../../errors.js';
import { describe } from '../../resp/encoder.js';

// Helpers for argument builders: refusing what cannot be sent with an ArgumentError that says
// what was wrong, without ever tripping over the value itself (a `null`-prototype object, a
// throwing `toString`, a Symbol) on the way to saying so.

/** A refused value, for an error message: short strings and numbers as they are, the rest by kind. */
export function shown(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}...` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return 'a symbol';
    default:
      return describe(value);
  }
}

/**
 * The options object of a call, or undefined when it was left out. Anything else — `null`, a
 * string, an array — is refused, so that a builder never reads a property of a non-object.
 */
export function optionsOf<T extends object>(commandName: string, options: T | undefined): T | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(`${commandName}: options must be an object, got ${shown(options)}`);
  }
  return options;
}

import type { RedisFunction } from './redis-function.js';
import type { ScriptParams, ScriptSignature, ScriptTarget } from './script.js';

/**
 * The types of a library's functions, by name: each one's keys, arguments and reply, as for
 * typed scripts. TypeScript checks every call against them:
 *
 * ```ts
 * const lib = await Library.fromCode<{
 *   counter_incr: { keys: [string]; args: [number]; reply: number };
 *   counter_peek: { keys: [string]; args: []; reply: number };
 * }>(client, counterLua);
 * const total: number = await lib.functions.get('counter_incr').fcall(client, ['c'], [5]);
 * ```
 *
 * The names must be functions the code registers: like a script's reply type, the declaration
 * is a promise the compiler takes on trust (`redmoon lint` reads what the code registers).
 */
export type FunctionSignatures<S = Record<string, ScriptSignature>> = { [K in keyof S]: ScriptSignature };

/** A function of a typed library: a `RedisFunction` whose calls are checked against `S`. */
export interface TypedFunction<S extends ScriptSignature>
  extends Pick<RedisFunction, 'name' | 'libraryName' | 'description' | 'flags' | 'readOnly'> {
  fcall(target: ScriptTarget, ...params: ScriptParams<S>): Promise<S['reply']>;
  fcallRo(target: ScriptTarget, ...params: ScriptParams<S>): Promise<S['reply']>;
}

/**
 * A library's functions by name. `get` of a declared name is that function, typed and never
 * undefined; any other name gives an untyped `RedisFunction`, or undefined if the library has
 * no such function.
 */
export interface LibraryFunctions<S extends FunctionSignatures<S>>
  extends Omit<ReadonlyMap<string, RedisFunction>, 'get'> {
  get<K extends keyof S & string>(name: K): TypedFunction<S[K]>;
  get(name: string): RedisFunction | undefined;
}

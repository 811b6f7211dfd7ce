import { scriptingCommands } from '../client/commands/scripting.js';
import { refused } from '../client/methods.js';
import type { CommandSpec } from '../client/spec.js';
import { ArgumentError } from '../errors.js';
import { describe } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { ReloadOnMissing } from './reload.js';
import type { ScriptTarget } from './script.js';
import { targetRefusal } from './target.js';

const { fcall: FCALL, fcallRo: FCALL_RO } = scriptingCommands as unknown as Record<string, CommandSpec>;

/**
 * Flags a function can declare (`redis.register_function{ ..., flags = { 'no-writes' } }`).
 * Flags this version does not know are kept as plain strings, never dropped.
 */
export type FunctionFlag =
  | 'no-writes'
  | 'allow-oom'
  | 'allow-stale'
  | 'no-cluster'
  | 'allow-cross-slot-keys'
  | (string & {});

/** A function of a loaded library, called with FCALL (or FCALL_RO). */
export class RedisFunction {
  readonly name: string;
  readonly libraryName: string;
  readonly description: string | null;
  readonly flags: readonly FunctionFlag[];
  /** The library's code, when known: a node that lacks the library gets it when first called. */
  readonly #library: ReloadOnMissing | undefined;

  constructor(
    name: string,
    libraryName: string,
    flags: readonly string[],
    description: string | null = null,
    libraryCode?: string,
  ) {
    if (typeof name !== 'string' || typeof libraryName !== 'string') {
      throw new ArgumentError('RedisFunction: the function and library names must be strings');
    }
    if (!Array.isArray(flags) || flags.some((flag) => typeof flag !== 'string')) {
      throw new ArgumentError(`RedisFunction: flags must be an array of strings, got ${describe(flags)}`);
    }
    if (description !== null && typeof description !== 'string') {
      throw new ArgumentError(
        `RedisFunction: description must be a string or null, got ${describe(description)}`,
      );
    }
    if (libraryCode !== undefined && typeof libraryCode !== 'string') {
      throw new ArgumentError(`RedisFunction: libraryCode must be a string, got ${describe(libraryCode)}`);
    }
    this.name = name;
    this.libraryName = libraryName;
    this.flags = Object.freeze([...flags]);
    this.description = description;
    this.#library =
      libraryCode === undefined
        ? undefined
        : new ReloadOnMissing({ sha1: `function:${libraryName}`, lua: libraryCode, kind: 'function' });
  }

  /** Declared `no-writes`: may run with FCALL_RO and on replicas. */
  get readOnly(): boolean {
    return this.flags.includes('no-writes');
  }

  /**
   * FCALL name numkeys keys... args... — sent as FCALL_RO when the function is flagged
   * `no-writes` (the same call to the server), so it may be retried after a reconnect and served
   * by a replica when the cluster reads from replicas.
   */
  fcall<T = RespValue>(target: ScriptTarget, keys?: RedisArg[], args?: RedisArg[]): Promise<T> {
    return call<T>(target, this.readOnly ? FCALL_RO : FCALL, this.name, keys, args, this.#library);
  }

  /** FCALL_RO: the server refuses it unless the function is flagged `no-writes`. */
  fcallRo<T = RespValue>(target: ScriptTarget, keys?: RedisArg[], args?: RedisArg[]): Promise<T> {
    return call<T>(target, FCALL_RO, this.name, keys, args, this.#library);
  }
}

function call<T>(
  target: ScriptTarget,
  spec: CommandSpec,
  name: string,
  keys: RedisArg[] | undefined,
  args: RedisArg[] | undefined,
  library: ReloadOnMissing | undefined,
): Promise<T> {
  const refusal = targetRefusal(spec.name, target);
  if (refusal !== undefined) return Promise.reject(refusal);
  let built: RedisArg[];
  try {
    built = spec.args(name, keys, args);
  } catch (error) {
    return refused(target, error);
  }
  return target._execute(spec, built, library) as Promise<T>;
}

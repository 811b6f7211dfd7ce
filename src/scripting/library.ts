import { type FunctionLibraryInfo, scriptingCommands } from '../client/commands/scripting.js';
import { refused } from '../client/executor.js';
import type { CommandSpec } from '../client/spec.js';
import type { ScriptSource } from '../connection/command.js';
import { ArgumentError, RedisError } from '../errors.js';
import { describe } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ScriptTarget } from './script.js';
import { parseShebang } from './shebang.js';
import { targetRefusal } from './target.js';

const {
  fcall: FCALL,
  fcallRo: FCALL_RO,
  functionLoad: FUNCTION_LOAD,
  functionList: FUNCTION_LIST,
} = scriptingCommands as unknown as Record<string, CommandSpec>;

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
  readonly #library: ScriptSource | undefined;

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
        : { sha1: `function:${libraryName}`, lua: libraryCode, kind: 'function' };
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
  library: ScriptSource | undefined,
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

/**
 * A Redis Functions library: its name and its functions, as the server lists them.
 *
 * ```ts
 * const lib = await Library.fromCode(client, "#!lua name=echolib\n redis.register_function(...)");
 * await lib.functions.get('echo')!.fcall(client, ['key'], ['arg']);
 * ```
 */
export class Library {
  readonly name: string;
  readonly functions: ReadonlyMap<string, RedisFunction>;
  /** The library's source, when it was loaded or listed with its code. */
  readonly code: string | undefined;

  private constructor(info: FunctionLibraryInfo, code: string | undefined) {
    this.name = info.libraryName;
    this.code = code;
    this.functions = new Map(
      info.functions.map((fn) => [
        fn.name,
        new RedisFunction(fn.name, info.libraryName, fn.flags, fn.description, code),
      ]),
    );
  }

  /**
   * Loads `code` with FUNCTION LOAD REPLACE (on a cluster: every primary), then reads the library
   * back with FUNCTION LIST. Code without a `#!lua name=<library>` first line is refused before
   * anything is sent.
   */
  static async fromCode(target: ScriptTarget, code: string): Promise<Library> {
    const refusal = targetRefusal('Library.fromCode', target);
    if (refusal !== undefined) throw refusal;
    if (typeof code !== 'string')
      throw new ArgumentError(
        `Library.fromCode: expected the library source as a string, got ${describe(code)}`,
      );
    const shebang = parseShebang(code);
    if (shebang === undefined || shebang.name === undefined || shebang.name.length === 0) {
      throw new ArgumentError('Library.fromCode: the code must start with a "#!lua name=<library>" line');
    }
    const name = (await target._execute(
      FUNCTION_LOAD,
      FUNCTION_LOAD.args(code, { replace: true }),
    )) as string;
    return Library.#read(target, name, code);
  }

  /** The library `name` as the server has it now. Fails with code `NO_SUCH_LIBRARY` if absent. */
  static async fromName(target: ScriptTarget, name: string): Promise<Library> {
    const refusal = targetRefusal('Library.fromName', target);
    if (refusal !== undefined) throw refusal;
    return Library.#read(target, name, undefined);
  }

  static async #read(target: ScriptTarget, name: string, code: string | undefined): Promise<Library> {
    // LIBRARYNAME is a glob pattern to the server (`echo*`, `lib?`), so pick the exact name out.
    const listed = (await target._execute(
      FUNCTION_LIST,
      FUNCTION_LIST.args({ libraryName: name, withCode: true }),
    )) as FunctionLibraryInfo[];
    const info = listed.find((library) => library.libraryName === name);
    if (info === undefined)
      throw new RedisError(`no function library named "${name}" is loaded`, 'NO_SUCH_LIBRARY', false);
    return new Library(info, code ?? info.libraryCode);
  }
}

import { Batch } from '../client/batch.js';
import { type FunctionLibraryInfo, scriptingCommands } from '../client/commands/scripting.js';
import type { CommandSpec } from '../client/spec.js';
import { ArgumentError, RedisError } from '../errors.js';
import { describe } from '../resp/encoder.js';
import { decideLoad, type ReplacePolicy } from './library-load.js';
import { type LintOption, lintBeforeSending } from './lint-option.js';
import { RedisFunction } from './redis-function.js';
import type { ScriptTarget } from './script.js';
import { parseShebang } from './shebang.js';
import { targetRefusal } from './target.js';
import type { FunctionSignatures, LibraryFunctions } from './typed-functions.js';

// --- Library.fromCode options (issue 11) ---
export interface LibraryOptions {
  /** What to do when the server already has a library of this name. Default `'if-newer'`. */
  replace?: ReplacePolicy;
  /** Lint the code first and throw a `ScriptAnalysisError` on errors. Default off. */
  lint?: LintOption;
}
// --- end Library.fromCode options ---

const { functionLoad: FUNCTION_LOAD, functionList: FUNCTION_LIST } = scriptingCommands as unknown as Record<
  string,
  CommandSpec
>;

/**
 * A Redis Functions library: its name and its functions, as the server lists them.
 *
 * ```ts
 * const lib = await Library.fromCode(client, "#!lua name=echolib\n redis.register_function(...)");
 * await lib.functions.get('echo')!.fcall(client, ['key'], ['arg']);
 * ```
 */
export class Library<S extends FunctionSignatures<S> = {}> {
  readonly name: string;
  /** By name; with `Library.fromCode<Signatures>`, declared names are typed (see `FunctionSignatures`). */
  readonly functions: LibraryFunctions<S>;
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
    ) as unknown as LibraryFunctions<S>;
  }

  /**
   * Loads `code` (on a cluster: every primary), then reads the library back with FUNCTION LIST.
   * With the default `replace: 'if-newer'` a library already loaded with the same code, or with
   * a newer `-- @version`, is left as it is (and described as the server has it); see
   * `ReplacePolicy`. On a cluster that check reads one primary: `redmoon functions deploy`
   * checks each. Code without a `#!lua name=<library>` first line is refused before sending.
   */
  static async fromCode<S extends FunctionSignatures<S> = {}>(
    target: ScriptTarget,
    code: string,
    options: LibraryOptions = {},
  ): Promise<Library<S>> {
    const refusal = targetRefusal('Library.fromCode', target);
    if (refusal !== undefined) throw refusal;
    refuseBatch('Library.fromCode', target);
    if (typeof code !== 'string')
      throw new ArgumentError(
        `Library.fromCode: expected the library source as a string, got ${describe(code)}`,
      );
    const shebang = parseShebang(code);
    if (shebang === undefined || shebang.name === undefined || shebang.name.length === 0) {
      throw new ArgumentError('Library.fromCode: the code must start with a "#!lua name=<library>" line');
    }
    // --- Library.fromCode options (issue 11) ---
    const replace = options.replace ?? 'if-newer';
    if (replace !== true && replace !== false && replace !== 'if-newer')
      throw new ArgumentError(
        `Library.fromCode: replace must be true, false or 'if-newer', got ${describe(replace)}`,
      );
    lintBeforeSending('Library.fromCode', code, options.lint, { kind: 'library' });
    if (replace === 'if-newer') {
      const deployed = await Library.#list(target, shebang.name);
      const decision = decideLoad(code, deployed);
      if (decision === 'keep' && deployed !== undefined)
        return new Library<S>(deployed, deployed.libraryCode ?? code);
    }
    // --- end Library.fromCode options ---
    const name = (await target._execute(
      FUNCTION_LOAD,
      FUNCTION_LOAD.args(code, { replace: replace !== false }),
    )) as string;
    return Library.#read<S>(target, name, code);
  }

  /** The library `name` as the server has it now. Fails with code `NO_SUCH_LIBRARY` if absent. */
  static async fromName<S extends FunctionSignatures<S> = {}>(
    target: ScriptTarget,
    name: string,
  ): Promise<Library<S>> {
    const refusal = targetRefusal('Library.fromName', target);
    if (refusal !== undefined) throw refusal;
    refuseBatch('Library.fromName', target);
    return Library.#read<S>(target, name, undefined);
  }

  static async #list(target: ScriptTarget, name: string): Promise<FunctionLibraryInfo | undefined> {
    // LIBRARYNAME is a glob pattern to the server (`echo*`, `lib?`), so pick the exact name out.
    const listed = (await target._execute(
      FUNCTION_LIST,
      FUNCTION_LIST.args({ libraryName: name, withCode: true }),
    )) as FunctionLibraryInfo[];
    return listed.find((library) => library.libraryName === name);
  }

  static async #read<S extends FunctionSignatures<S>>(
    target: ScriptTarget,
    name: string,
    code: string | undefined,
  ): Promise<Library<S>> {
    const info = await Library.#list(target, name);
    if (info === undefined)
      throw new RedisError(`no function library named "${name}" is loaded`, 'NO_SUCH_LIBRARY', false);
    return new Library<S>(info, code ?? info.libraryCode);
  }
}

/** A pipeline or transaction answers only at `exec()`, so reading a library back through one never ends. */
function refuseBatch(method: string, target: ScriptTarget): void {
  if (target instanceof Batch) {
    throw new ArgumentError(`${method}: needs a client or cluster, not a pipeline or transaction`);
  }
}

export { type FunctionFlag, RedisFunction } from './redis-function.js';

import { Batch } from '../client/batch.js';
import { optionsOf } from '../client/commands/argument-checks.js';
import { checkSha1, scriptCallArgs, scriptingCommands } from '../client/commands/scripting.js';
import { refused } from '../client/methods.js';
import type { CommandSpec } from '../client/spec.js';
import type { CommandTarget } from '../client/target.js';
import { ArgumentError } from '../errors.js';
import { describe } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { type LintOption, lintBeforeSending } from './lint-option.js';
import { ReloadOnMissing } from './reload.js';
import { sha1 } from './sha1.js';
import { parseShebang } from './shebang.js';
import { targetRefusal } from './target.js';

/** Where a script can run: a client, a cluster, a pipeline, a transaction or a view of them. */
export type ScriptTarget = CommandTarget;

/**
 * The types of a script's calls: its keys and arguments (tuples fix their count and types) and
 * what it returns. TypeScript checks every call site against it:
 *
 * ```ts
 * const incrBy = Script.fromLua<{ keys: [string]; args: [number]; reply: number }>(
 *   "return redis.call('INCRBY', KEYS[1], ARGV[1])",
 * );
 * const total: number = await incrBy.evalsha(client, ['counter'], [5]);
 * ```
 */
export interface ScriptSignature {
  keys: readonly RedisArg[];
  args: readonly RedisArg[];
  reply: unknown;
}

/** Any keys, any arguments, the reply as decoded. */
export interface UntypedScript {
  keys: RedisArg[];
  args: RedisArg[];
  reply: RespValue;
}

/** `keys, args` parameters, where `args` (and `keys`) may be left out when they can be empty. */
export type ScriptParams<S extends ScriptSignature> = [] extends S['keys']
  ? [keys?: S['keys'], args?: S['args']]
  : [] extends S['args']
    ? [keys: S['keys'], args?: S['args']]
    : [keys: S['keys'], args: S['args']];

export interface ScriptOptions {
  /**
   * Run with EVAL_RO/EVALSHA_RO (safe on replicas, retried after a reconnect). Defaults to
   * whether the script's shebang declares `flags=no-writes`.
   */
  readOnly?: boolean;
  /** When set, calls with a different number of keys are refused before sending. */
  keyCount?: number;
  // --- lint option (issue 11) ---
  /**
   * Lint the source first (`redmoon/lua`) and throw a `ScriptAnalysisError` on errors. Default
   * off. `keyCount` and `readOnly` above are passed on to the linter.
   */
  lint?: LintOption;
  // --- end lint option ---
}

const {
  eval: EVAL,
  evalRo: EVAL_RO,
  evalsha: EVALSHA,
  evalshaRo: EVALSHA_RO,
  scriptLoad: SCRIPT_LOAD,
} = scriptingCommands as unknown as Record<string, CommandSpec>;

/**
 * A Lua script, named by its SHA1. `evalsha` runs it by hash; `evalshaWithReload` also loads it
 * when the server answers NOSCRIPT (after a restart, a failover or SCRIPT FLUSH) and retries
 * once — concurrent callers share one SCRIPT LOAD. On a pipeline or transaction, a script the
 * server is not known to hold is loaded once ahead of the batch.
 */
export class Script<S extends ScriptSignature = UntypedScript> {
  readonly sha1: string;
  readonly readOnly: boolean;
  readonly keyCount: number | undefined;
  readonly #lua: string | undefined;
  /** Loads the script where the server lacks it (undefined for a script known only by hash). */
  readonly #reload: ReloadOnMissing | undefined;

  private constructor(lua: string | undefined, hash: string, scriptOptions: ScriptOptions) {
    const options = optionsOf('Script', scriptOptions) ?? {};
    if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
      throw new ArgumentError(`Script: readOnly must be true or false, got ${describe(options.readOnly)}`);
    }
    this.#lua = lua;
    this.sha1 = hash;
    this.#reload = lua === undefined ? undefined : new ReloadOnMissing({ sha1: hash, lua, kind: 'script' });
    const shebang = lua === undefined ? undefined : parseShebang(lua);
    this.readOnly = options.readOnly ?? shebang?.flags.includes('no-writes') ?? false;
    if (options.keyCount !== undefined && (!Number.isInteger(options.keyCount) || options.keyCount < 0)) {
      throw new ArgumentError(`keyCount must be a non-negative integer, got ${describe(options.keyCount)}`);
    }
    this.keyCount = options.keyCount;
  }

  /** A script from its Lua source; its SHA1 is computed locally. */
  static fromLua<S extends ScriptSignature = UntypedScript>(
    lua: string,
    options: ScriptOptions = {},
  ): Script<S> {
    if (typeof lua !== 'string' || lua.length === 0) {
      throw new ArgumentError(
        `Script.fromLua: expected the Lua source as a non-empty string, got ${describe(lua)}`,
      );
    }
    // --- lint option (issue 11) ---
    lintBeforeSending('Script.fromLua', lua, options.lint, {
      kind: 'script',
      keyCount: options.keyCount,
      readOnly: options.readOnly,
    });
    // --- end lint option ---
    return new Script<S>(lua, sha1(lua), options);
  }

  /** A script known only by its SHA1: it can be run by hash but not loaded or healed. */
  static fromHash<S extends ScriptSignature = UntypedScript>(
    hash: string,
    options: ScriptOptions = {},
  ): Script<S> {
    return new Script<S>(undefined, checkSha1('Script.fromHash', hash), options);
  }

  /** The Lua source. Throws for a script made with `fromHash`. */
  get lua(): string {
    if (this.#lua === undefined)
      throw new ArgumentError(`script ${this.sha1} is known only by its hash; its source is not available`);
    return this.#lua;
  }

  /** Whether the Lua source is known (false for `fromHash`). */
  get hasSource(): boolean {
    return this.#lua !== undefined;
  }

  /** SCRIPT LOAD (on a cluster: every primary). Resolves the SHA1, checked against ours. */
  async load(target: ScriptTarget): Promise<string> {
    const refusal = targetRefusal('SCRIPT LOAD', target);
    if (refusal !== undefined) throw refusal;
    const reported = (await target._execute(SCRIPT_LOAD, [this.lua])) as string;
    if (reported !== this.sha1) {
      throw new ArgumentError(`the server reports SHA1 ${reported} for a script whose SHA1 is ${this.sha1}`);
    }
    return reported;
  }

  /** EVAL (EVAL_RO when read-only): sends the whole source. */
  eval(target: ScriptTarget, ...params: ScriptParams<S>): Promise<S['reply']> {
    const spec = this.readOnly ? EVAL_RO : EVAL;
    if (this.#lua === undefined) {
      return refused(
        target,
        new ArgumentError(`${spec.name}: script ${this.sha1} is known only by its hash`),
      );
    }
    return this.#run(target, spec, this.#lua, params, undefined);
  }

  /** EVALSHA (EVALSHA_RO when read-only): fails with NOSCRIPT if the server lacks the script. */
  evalsha(target: ScriptTarget, ...params: ScriptParams<S>): Promise<S['reply']> {
    // In a batch the script is attached anyway, so it can be loaded ahead of the batch.
    const hook = target instanceof Batch ? this.#reload : undefined;
    return this.#run(target, this.readOnly ? EVALSHA_RO : EVALSHA, this.sha1, params, hook);
  }

  /** EVALSHA, and on NOSCRIPT: SCRIPT LOAD on the node that said it, then one retry. */
  evalshaWithReload(target: ScriptTarget, ...params: ScriptParams<S>): Promise<S['reply']> {
    return this.#run(target, this.readOnly ? EVALSHA_RO : EVALSHA, this.sha1, params, this.#reload);
  }

  #run(
    target: ScriptTarget,
    spec: CommandSpec,
    body: string,
    params: unknown[],
    hook: ReloadOnMissing | undefined,
  ): Promise<S['reply']> {
    const refusal = targetRefusal(spec.name, target);
    if (refusal !== undefined) return Promise.reject(refusal);
    let args: RedisArg[];
    try {
      const [keys, scriptArgs] = params as [RedisArg[] | undefined, RedisArg[] | undefined];
      if (this.keyCount !== undefined && (keys?.length ?? 0) !== this.keyCount) {
        throw new ArgumentError(
          `${spec.name}: this script takes ${this.keyCount} key(s), got ${keys?.length ?? 0}`,
        );
      }
      args = scriptCallArgs(spec.name, body, keys, scriptArgs);
    } catch (error) {
      return refused(target, error);
    }
    return target._execute(spec, args, hook) as Promise<S['reply']>;
  }
}

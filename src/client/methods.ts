import type { CommandHook } from '../connection/command.js';
import { ArgumentError } from '../errors.js';
import { encodeName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { COMMANDS, specsByName } from './commands/index.js';
import { type CommandSpec, NO_KEYS, SLOT_ROUTE } from './spec.js';
import type { CommandTarget } from './target.js';

const ignore = () => undefined;

/** The promise of a call refused before it was built (bad options, bad keys). */
export function refused(target: CommandTarget, error: unknown): Promise<never> {
  const rejection = Promise.reject(error);
  if (target._refuse !== undefined) {
    target._refuse(error as Error);
    // A batch reports the refusal from exec(); an unawaited queued call must not crash the process.
    rejection.catch(ignore);
  }
  return rejection;
}

/** Runs `spec` with the arguments its builder makes of `params`; a builder's refusal rejects. */
function run(target: CommandTarget, spec: CommandSpec, params: unknown[]): Promise<unknown> {
  let args: RedisArg[];
  try {
    args = spec.args(...params);
  } catch (error) {
    return refused(target, error);
  }
  return target._execute(spec, args);
}

type AbstractConstructor = abstract new (...args: any[]) => object;

/**
 * A subclass of `Base` with one method per described command, plus `scriptExists` (one sha or
 * many) and `call()`: clients, clusters, views, pipelines and transactions get the same methods
 * from here. The methods are built on a new class, once per family, rather than patched onto
 * existing prototypes; a class may still implement a command itself (a subclass method wins).
 */
export function withCommands<Base extends AbstractConstructor>(Base: Base) {
  abstract class WithCommands extends Base implements CommandTarget {
    abstract _execute(spec: CommandSpec, args: RedisArg[], hook?: CommandHook): Promise<unknown>;

    /** Runs any command; the reply comes back as decoded (see "Values" in the README), without shaping. */
    call(name: string, ...args: RedisArg[]): Promise<RespValue> {
      let resolved: { spec: CommandSpec; args: RedisArg[] };
      try {
        resolved = specForCall(name, args);
      } catch (error) {
        return refused(this, error);
      }
      return this._execute(resolved.spec, resolved.args) as Promise<RespValue>;
    }
  }
  const table = COMMANDS as unknown as Record<string, CommandSpec>;
  for (const method of Object.keys(table)) {
    const spec = table[method];
    Object.defineProperty(WithCommands.prototype, method, {
      configurable: true,
      writable: true,
      value: function (this: CommandTarget, ...params: unknown[]): Promise<unknown> {
        return run(this, spec, params);
      },
    });
  }
  // One sha → boolean, many → boolean[] (typed in `ScriptingMethods`).
  Object.defineProperty(WithCommands.prototype, 'scriptExists', {
    configurable: true,
    writable: true,
    value: scriptExists,
  });
  return WithCommands;
}

function scriptExists(this: CommandTarget, sha1: string | readonly string[]): Promise<boolean | boolean[]> {
  const many = Array.isArray(sha1);
  const spec = COMMANDS.scriptExistsMany as unknown as CommandSpec;
  const reply = run(this, spec, [many ? sha1 : [sha1]]) as Promise<boolean[]>;
  return many ? reply : reply.then((found) => found[0]);
}

const rawSpecs = new Map<string, CommandSpec>();
const identity = (...args: unknown[]) => args as RedisArg[];

/**
 * The description `call(name, ...args)` runs with: the described command's facts (keys, retry
 * and replica safety, cluster policy, connection, refusal), but no reply shaping — `call()`
 * returns the reply as decoded. Two-word commands (`FUNCTION LOAD`) are recognised from the first
 * argument. Commands redmoon does not describe are marked so that a cluster asks the server
 * (`COMMAND INFO`) where their keys are.
 */
function specForCall(name: unknown, args: readonly unknown[]): { spec: CommandSpec; args: RedisArg[] } {
  if (typeof name !== 'string' || name.length === 0 || name.includes(' ')) {
    throw new ArgumentError(
      `call: the command name must be a non-empty string without spaces, got ${typeof name}`,
    );
  }
  const upper = name.toUpperCase();
  if (typeof args[0] === 'string') {
    const twoWords = `${upper} ${args[0].toUpperCase()}`;
    const known = specsByName.get(twoWords);
    if (known !== undefined) return { spec: rawSpecFor(twoWords, known), args: args.slice(1) as RedisArg[] };
  }
  return { spec: rawSpecFor(upper, specsByName.get(upper)), args: args as RedisArg[] };
}

function rawSpecFor(name: string, known: CommandSpec | undefined): CommandSpec {
  if (known?.refusedInCall !== undefined) {
    throw new ArgumentError(`call: ${name} is not supported here: ${known.refusedInCall}`);
  }
  let spec = rawSpecs.get(name);
  if (spec === undefined) {
    spec =
      known === undefined
        ? {
            name,
            encodedName: encodeName(name),
            keys: NO_KEYS,
            keysKnown: false,
            retrySafe: false,
            replicaSafe: false,
            runsCode: false,
            cluster: SLOT_ROUTE,
            connection: 'shared',
            blockTime: undefined,
            refusedInCall: undefined,
            onSent: undefined,
            secretArgs: undefined,
            args: identity,
            reply: undefined,
            buffers: false,
            argsChecked: false,
          }
        : { ...known, args: identity, reply: undefined, argsChecked: false };
    if (rawSpecs.size < 4096) rawSpecs.set(name, spec);
  }
  return spec;
}

import type { ScriptSource } from '../connection/command.js';
import { ArgumentError } from '../errors.js';
import { encodeName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { COMMANDS, specsByName } from './commands/index.js';
import { type CommandSpec, NO_KEYS } from './spec.js';

/**
 * What every command surface (client, view, pipeline, transaction, cluster) implements: take a
 * described command with built arguments and run it. Typed methods and `call()` are installed on
 * top of this one method, so they exist once for all surfaces.
 */
export interface Executor {
  _execute(spec: CommandSpec, args: RedisArg[], script?: ScriptSource): Promise<unknown>;
  /** Batches record calls refused before they were built, so `exec()` refuses the whole batch. */
  _refuse?(error: Error): void;
}

const ignore = () => undefined;

/** The promise of a call refused before it was built (bad options, bad keys). */
export function refused(target: Executor, error: unknown): Promise<never> {
  const rejection = Promise.reject(error);
  if (target._refuse !== undefined) {
    target._refuse(error as Error);
    // A batch reports the refusal from exec(); an unawaited queued call must not crash the process.
    rejection.catch(ignore);
  }
  return rejection;
}

/** Installs one method per table entry on `prototype`, each building its arguments and executing. */
function installCommands(prototype: object, table: Record<string, CommandSpec>): void {
  for (const method of Object.keys(table)) {
    // A class may implement a command itself (Client.scriptKill uses a side connection).
    if (Object.hasOwn(prototype, method)) continue;
    const spec = table[method];
    const build = spec.args;
    Object.defineProperty(prototype, method, {
      configurable: true,
      writable: true,
      value: function (this: Executor, ...params: unknown[]): Promise<unknown> {
        let args: RedisArg[];
        try {
          args = build(...params);
        } catch (error) {
          return refused(this, error);
        }
        return this._execute(spec, args);
      },
    });
  }
}

/** Commands that would change the state of a connection shared by every caller. */
const REFUSED_IN_CALL: ReadonlyMap<string, string> = new Map([
  ['SUBSCRIBE', 'pub/sub needs a dedicated connection'],
  ['PSUBSCRIBE', 'pub/sub needs a dedicated connection'],
  ['SSUBSCRIBE', 'pub/sub needs a dedicated connection'],
  ['UNSUBSCRIBE', 'pub/sub needs a dedicated connection'],
  ['PUNSUBSCRIBE', 'pub/sub needs a dedicated connection'],
  ['SUNSUBSCRIBE', 'pub/sub needs a dedicated connection'],
  ['MONITOR', 'MONITOR takes over the connection'],
  ['SELECT', 'use the `db` option; SELECT would be lost on reconnect'],
  ['HELLO', 'the protocol is chosen with the `resp` option'],
  ['RESET', 'RESET would undo the handshake of a shared connection'],
  ['QUIT', 'use client.quit()'],
  ['MULTI', 'use client.multi()'],
  ['EXEC', 'use client.multi()'],
  ['DISCARD', 'use client.multi()'],
]);

const rawSpecs = new Map<string, CommandSpec>();
const identity = (...args: unknown[]) => args as RedisArg[];

/**
 * The description `call(name, ...args)` runs with: the known command's key positions and
 * read-only flag (so routing and retries work), but no reply shaping — `call()` returns the
 * reply as decoded. Two-word commands (`FUNCTION LOAD`) are recognised from the first argument.
 */
function specForCall(name: unknown, args: readonly unknown[]): { spec: CommandSpec; args: RedisArg[] } {
  if (typeof name !== 'string' || name.length === 0 || name.includes(' ')) {
    throw new ArgumentError(
      `call: the command name must be a non-empty string without spaces, got ${typeof name}`,
    );
  }
  const upper = name.toUpperCase();
  const refusal = REFUSED_IN_CALL.get(upper);
  if (refusal !== undefined) throw new ArgumentError(`call: ${upper} is not supported here: ${refusal}`);
  if (typeof args[0] === 'string') {
    const twoWords = `${upper} ${args[0].toUpperCase()}`;
    const known = specsByName.get(twoWords);
    if (known !== undefined) return { spec: rawSpecFor(twoWords, known), args: args.slice(1) as RedisArg[] };
  }
  return { spec: rawSpecFor(upper, specsByName.get(upper)), args: args as RedisArg[] };
}

function rawSpecFor(name: string, known: CommandSpec | undefined): CommandSpec {
  let spec = rawSpecs.get(name);
  if (spec === undefined) {
    spec = {
      name,
      encodedName: encodeName(name),
      // Unknown commands: no keys known here; a cluster asks the server (COMMAND INFO).
      keys: known?.keys ?? NO_KEYS,
      readOnly: known?.readOnly ?? false,
      args: identity,
      reply: undefined,
      buffers: known?.buffers ?? false,
      keysKnown: known !== undefined,
      argsChecked: false,
    };
    if (rawSpecs.size < 4096) rawSpecs.set(name, spec);
  }
  return spec;
}

/**
 * Installs the whole command surface on a class: every described command, `scriptExists` (one
 * sha or many) and `call()`. Clients, views, pipelines, transactions and clusters all get the
 * same methods from here.
 */
export function installSurface(prototype: object): void {
  installCommands(prototype, COMMANDS as unknown as Record<string, CommandSpec>);
  if (!Object.hasOwn(prototype, 'scriptExists'))
    Object.defineProperty(prototype, 'scriptExists', {
      configurable: true,
      writable: true,
      value: scriptExists,
    });
  Object.defineProperty(prototype, 'call', { configurable: true, writable: true, value: call });
}

function scriptExists(this: Executor, sha1: string | readonly string[]): Promise<boolean | boolean[]> {
  const many = Array.isArray(sha1);
  const spec = COMMANDS.scriptExistsMany as unknown as CommandSpec;
  let args: RedisArg[];
  try {
    args = spec.args(many ? sha1 : [sha1]);
  } catch (error) {
    return refused(this, error);
  }
  const reply = this._execute(spec, args) as Promise<boolean[]>;
  return many ? reply : reply.then((found) => found[0]);
}

/** `call(command, ...args)`: any command at all, reply as decoded. */
function call(this: Executor, name: string, ...args: RedisArg[]): Promise<RespValue> {
  let resolved: { spec: CommandSpec; args: RedisArg[] };
  try {
    resolved = specForCall(name, args);
  } catch (error) {
    return refused(this, error);
  }
  return this._execute(resolved.spec, resolved.args) as Promise<RespValue>;
}

/** The methods `installSurface` adds, for `interface X extends CommandSurface {}`. */
export interface CallMethod {
  /** Runs any command; the reply comes back as decoded (see "Values" in the README), without shaping. */
  call(command: string, ...args: RedisArg[]): Promise<RespValue>;
}

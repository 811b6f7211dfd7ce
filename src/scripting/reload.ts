import { KNOWN_SCRIPTS, scriptingCommands } from '../client/commands/scripting.js';
import type { CommandSpec } from '../client/spec.js';
import { Command, type CommandChannel, type CommandHook, CommandState } from '../connection/command.js';
import { type RedisError, ReplyError, type ReplyReason } from '../errors.js';
import { type ScriptLoadMessage, scriptLoadChannel, tracedCommands } from '../telemetry/channels.js';

const { scriptLoad: SCRIPT_LOAD, functionLoad: FUNCTION_LOAD } = scriptingCommands as unknown as Record<
  string,
  CommandSpec
>;

const ignore = () => undefined;

/** What one server (one socket) is known to hold, and the loads on their way to it. */
interface ServerScripts {
  readonly known: Set<string>;
  readonly loading: Map<string, Promise<unknown>>;
}

/**
 * The scripts `connection`'s server is known to hold. Kept in the connection's session, so a new
 * socket starts knowing nothing, and SCRIPT FLUSH sent by this client (which drops the entry)
 * forgets them all. A load that was in flight when that happened records its script in the set
 * it started from, which is no longer the current one: it cannot re-mark a flushed script.
 */
function serverScripts(connection: CommandChannel): ServerScripts {
  let scripts = connection.session.get(KNOWN_SCRIPTS) as ServerScripts | undefined;
  if (scripts === undefined) {
    scripts = { known: new Set(), loading: new Map() };
    connection.session.set(KNOWN_SCRIPTS, scripts);
  }
  return scripts;
}

/** What a command needs the server to hold: a script, or a function library. */
export interface ServerCode {
  /** The script's SHA1, or `function:<library>` for a library. */
  readonly sha1: string;
  readonly lua: string;
  readonly kind: 'script' | 'function';
}

/**
 * DESIGN §3: a command whose server lacks its script (NOSCRIPT) or its function library
 * (`ERR Function not found`) did not run, so loading the code on the node that said it and
 * sending the command once more is safe. This hook does that — once per command, with one load
 * per node however many commands hit the same miss at once — and, in batches, loads a script the
 * server is not known to hold just ahead of the first call to it.
 *
 * A library is loaded without REPLACE: it heals a node that lacks it, never overwrites a newer
 * version.
 */
export class ReloadOnMissing implements CommandHook {
  readonly #code: ServerCode;
  readonly #missing: ReplyReason;

  constructor(code: ServerCode) {
    this.#code = code;
    this.#missing = code.kind === 'function' ? 'FUNCTION_NOT_FOUND' : 'NOSCRIPT';
  }

  recover(command: Command, error: RedisError, connection: CommandChannel): boolean {
    if (!(error instanceof ReplyError) || error.reason !== this.#missing) return false;
    serverScripts(connection).known.delete(this.#code.sha1);
    if (command.resent > 0) return false;
    command.resent++;
    this.#report(connection, error.reason ?? this.#missing, command);
    command.state = CommandState.Queued;
    this.load(connection).then(
      () => {
        if (!command.isDone) connection.send(command);
      },
      (failure: Error) => command.reject(failure),
    );
    return true;
  }

  prepare(command: Command, connection: CommandChannel): Command | undefined {
    // Functions are healed when missing, not loaded ahead: FUNCTION LOAD per batch would be waste.
    if (this.#code.kind === 'function') return undefined;
    const scripts = serverScripts(connection);
    if (scripts.known.has(this.#code.sha1) || scripts.loading.has(this.#code.sha1)) return undefined;
    this.#report(connection, 'BATCH', command);
    return this.#loadCommand(scripts);
  }

  preparesNothing(connection: CommandChannel): boolean {
    if (this.#code.kind === 'function') return true;
    const scripts = serverScripts(connection);
    return scripts.known.has(this.#code.sha1) || scripts.loading.has(this.#code.sha1);
  }

  failedInTransaction(_command: Command, error: RedisError, connection: CommandChannel): void {
    if (error instanceof ReplyError && error.reason === this.#missing) {
      serverScripts(connection).known.delete(this.#code.sha1);
    }
  }

  /** Loads the code on `connection`'s server, single flight per server. */
  load(connection: CommandChannel): Promise<unknown> {
    const scripts = serverScripts(connection);
    const loading = scripts.loading.get(this.#code.sha1);
    if (loading !== undefined) return loading;
    const command = this.#loadCommand(scripts);
    connection.send(command);
    return scripts.loading.get(this.#code.sha1) ?? command.promise;
  }

  #report(connection: CommandChannel, reason: string, command: Command): void {
    if (!scriptLoadChannel.hasSubscribers) return;
    const { host, port } = connection.options;
    const { sha1, kind } = this.#code;
    const message: ScriptLoadMessage = {
      host,
      port,
      sha1,
      kind,
      reason,
      command: tracedCommands.get(command),
    };
    scriptLoadChannel.publish(message);
  }

  /** A load command that, once answered, records the code as held by the server it went to. */
  #loadCommand(scripts: ServerScripts): Command {
    const { sha1, lua, kind } = this.#code;
    const spec = kind === 'function' ? FUNCTION_LOAD : SCRIPT_LOAD;
    const command = new Command(spec.name, spec.encodedName, [lua]);
    command.retryable = kind === 'script';
    const settled = command.promise.then(
      (reply) => {
        scripts.loading.delete(sha1);
        scripts.known.add(sha1);
        return reply;
      },
      (error: Error) => {
        scripts.loading.delete(sha1);
        throw error;
      },
    );
    settled.catch(ignore);
    scripts.loading.set(sha1, settled);
    return command;
  }
}

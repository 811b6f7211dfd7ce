import { Command, type CommandHook, type CommandOptions, encodedNameOf } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { AbortError, ArgumentError, ClusterError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { sendBatch } from './batch.js';
import { createCommand } from './command-factory.js';
import { type ScanRequest, standalonePages } from './iterators.js';
import { withCommands } from './methods.js';
import { Multi } from './multi.js';
import { Pipeline } from './pipeline.js';
import { type CommandSpec, keysOf } from './spec.js';
import type { Commands } from './surface.js';
import type { CommandRouter } from './target.js';

/** No keys: the call does not decide a slot. */
export const ANY_SLOT = -1;

/** How long the UNWATCH that cleans a connection may take before the connection is closed instead. */
const CLEANUP_TIMEOUT_MS = 5000;

/** What `isolated()` needs of a client: where a call's keys are, and a connection of its own. */
export interface IsolationBinding {
  /** The hash slot a call's keys decide (a cluster), or `ANY_SLOT`. Throws `CROSSSLOT`. */
  slotOf(spec: CommandSpec, args: readonly RedisArg[]): number;
  /** The connection is chosen by the first key used (a cluster): keyless calls must come after one. */
  readonly pinsToSlot: boolean;
  /** A connection for this session alone, to the node serving `slot` (any node for `ANY_SLOT`). */
  lease(slot: number): Promise<IsolationLease>;
  readonly commandTimeout: number;
  /** The client's `keyPrefix` ('' for none): a session's keys are the client's keys. */
  readonly keyPrefix: string;
}

export interface IsolationLease {
  readonly connection: Connection;
  /** Back to the pool when `clean`, closed otherwise. */
  release(clean: boolean): void;
}

/** Something to do once the connection is there, in the order the session asked for it. */
interface Pending {
  run(connection: Connection): void;
  fail(error: Error): void;
}

export interface IsolatedConnection extends Commands {}

/**
 * The `conn` of `client.isolated(async (conn) => ...)`: the whole command surface, `watch`,
 * `unwatch`, `multi()` and `pipeline()`, on a connection nobody else writes to for as long as the
 * function runs — so a WATCH is this session's alone, and no other caller's EXEC can consume it.
 *
 * The connection is taken from the client's pool of dedicated connections on first use. On a
 * cluster it is the one to the primary of the slot of the first key used, and every later key
 * must be in that slot (`ClusterError` `CROSSSLOT` otherwise); redirects are not followed, since
 * a WATCH cannot move with them. Blocking commands run on it directly.
 *
 * When the function returns or throws, the connection goes back to the pool clean (UNWATCH) or is
 * closed: when commands of the session are still unanswered, or the connection is in a state
 * UNWATCH does not vouch for. RESET is not used: it would also undo the handshake (protocol,
 * credentials, database) the pool's connections share.
 */
export class IsolatedConnection extends /* @__PURE__ */ withCommands(Object) implements CommandRouter {
  readonly #binding: IsolationBinding;
  #lease: IsolationLease | undefined;
  #leasing: Promise<IsolationLease> | undefined;
  #leaseError: Error | undefined;
  readonly #pending: Pending[] = [];
  #slot = ANY_SLOT;
  #pinnedBy: RedisArg | undefined;
  #finished = false;

  /** @internal */
  constructor(binding: IsolationBinding) {
    super();
    this.#binding = binding;
  }

  _execute(spec: CommandSpec, args: RedisArg[], hook?: CommandHook): Promise<unknown> {
    return this._executeWith(spec, args, hook, undefined);
  }

  /** @internal */
  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    const command = this._command(spec, args, hook, options);
    if (!command.isDone)
      this.#whenLeased({
        run: (connection) => connection.send(command),
        fail: (error) => command.reject(error),
      });
    return command.promise;
  }

  /** @internal */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command {
    const { commandTimeout, keyPrefix } = this.#binding;
    const command = createCommand(spec, args, hook, options, commandTimeout, this.#abort, keyPrefix);
    if (command.isDone) return command;
    if (this.#finished) {
      command.reject(
        new ArgumentError(
          `${spec.name}: isolated() has returned; its connection went back to the pool (use conn only inside the function)`,
        ),
      );
      return command;
    }
    try {
      // The prefixed keys decide the slot, as they do for the client's own commands.
      this.#pin(spec, command.args);
    } catch (error) {
      command.reject(error as Error);
    }
    return command;
  }

  /** @internal */
  _connectionFor(): Connection {
    if (this.#lease === undefined) {
      throw new ArgumentError(
        'isolated(): the connection is not chosen yet; call a command with a key first',
      );
    }
    return this.#lease.connection;
  }

  /** @internal */
  /** SCAN-family pages on this session's connection. @internal */
  _scanPages(request: ScanRequest, options: CommandOptions | undefined): AsyncIterable<RespValue[]> {
    return standalonePages(this, request, options);
  }

  _sendBatch(commands: readonly Command[]): void {
    this.#whenLeased({
      run: (connection) => sendBatch(connection, commands),
      fail: (error) => {
        for (const command of commands) command.reject(error);
      },
    });
  }

  /** A transaction on this connection; a WATCH before it makes `exec()` fail with `WatchError` if a key changed. */
  multi(): Multi & Commands {
    return new IsolatedMulti(this, (pending) => this.#whenLeased(pending)) as unknown as Multi & Commands;
  }

  /** Commands sent together on this connection. */
  pipeline(): Pipeline & Commands {
    return new Pipeline(this, undefined) as Pipeline & Commands;
  }

  /**
   * Ends the session: waits for the connection if it is on its way, then hands it back clean
   * (UNWATCH answered `OK`, nothing pending) or closes it.
   * @internal
   */
  async _finish(): Promise<void> {
    this.#finished = true;
    if (this.#lease === undefined && this.#leasing !== undefined) await this.#leasing.catch(() => undefined);
    const lease = this.#lease;
    if (lease === undefined) return;
    const connection = lease.connection;
    let clean = connection.status === 'ready' && connection.pendingCount === 0;
    if (clean) {
      const unwatch = new Command('UNWATCH', encodedNameOf('UNWATCH'), []);
      unwatch.deadline = performance.now() + CLEANUP_TIMEOUT_MS;
      connection.send(unwatch);
      // Anything but OK (QUEUED inside a MULTI left open, an error) means a state we cannot vouch for.
      clean = await unwatch.promise.then(
        (reply) => reply === 'OK' && connection.pendingCount === 0,
        () => false,
      );
    }
    lease.release(clean);
  }

  /** The first key decides the connection (a cluster: its slot's primary); later keys must agree. */
  #pin(spec: CommandSpec, args: readonly RedisArg[]): void {
    const slot = this.#binding.slotOf(spec, args);
    if (slot === ANY_SLOT) {
      if (this.#leasing !== undefined) return;
      if (this.#binding.pinsToSlot) {
        throw new ArgumentError(
          `${spec.name}: isolated() on a cluster uses the connection to the slot of the first key used; call a command with a key first`,
        );
      }
      this.#startLease(ANY_SLOT);
      return;
    }
    if (this.#leasing === undefined) {
      this.#slot = slot;
      this.#pinnedBy = keysOf(spec.keys, args)[0];
      this.#startLease(slot);
      return;
    }
    if (slot !== this.#slot && this.#binding.pinsToSlot) {
      throw new ClusterError(
        `${spec.name}: this isolated connection is pinned to hash slot ${this.#slot} by key ${show(this.#pinnedBy)}; ${show(keysOf(spec.keys, args)[0])} is in slot ${slot} (use a {hash tag} to keep the keys of a transaction in one slot)`,
        'CROSSSLOT',
        false,
      );
    }
  }

  #startLease(slot: number): void {
    this.#leasing = this.#binding.lease(slot);
    this.#leasing.then(
      (lease) => {
        this.#lease = lease;
        for (const pending of this.#pending.splice(0)) pending.run(lease.connection);
      },
      (error: Error) => {
        this.#leaseError = error;
        for (const pending of this.#pending.splice(0)) pending.fail(error);
      },
    );
  }

  /** Runs `pending` on the connection now, or once it is there, after everything asked before it. */
  #whenLeased(pending: Pending): void {
    if (this.#lease !== undefined) pending.run(this.#lease.connection);
    else if (this.#leaseError !== undefined) pending.fail(this.#leaseError);
    else this.#pending.push(pending);
  }

  readonly #abort = (command: Command) => {
    if (this.#lease !== undefined) this.#lease.connection.abort(command);
    else command.reject(new AbortError(false, { cause: command.signal?.reason }));
  };
}

/** A transaction of an isolated session: `exec()` waits for the session's connection, in order. */
class IsolatedMulti extends Multi {
  readonly #whenLeased: (pending: Pending) => void;

  constructor(router: CommandRouter, whenLeased: (pending: Pending) => void) {
    super(router, undefined);
    this.#whenLeased = whenLeased;
  }

  override exec(): Promise<unknown[]> {
    if (this.length === 0) return super.exec();
    return new Promise((resolve, reject) => {
      this.#whenLeased({
        run: () => super.exec().then(resolve, reject),
        fail: (error) => {
          for (const command of this.commands) command.reject(error);
          reject(error);
        },
      });
    });
  }
}

function show(key: RedisArg | undefined): string {
  const text = Buffer.isBuffer(key) ? key.toString('utf8') : String(key);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

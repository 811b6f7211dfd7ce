import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { ArgumentError, RedisError, ReplyError } from '../errors.js';
import { argumentError, isRedisArg } from '../resp/encoder.js';
import type { RedisArg } from '../resp/types.js';
import { type BatchContext, batchChannel } from '../telemetry/channels.js';
import { withCommands } from './methods.js';
import type { CommandSpec } from './spec.js';
import type { CommandRouter } from './target.js';

const ignore = () => undefined;

/**
 * Commands queued on a pipeline or transaction, sent together by `exec()`. Each queued call
 * returns its own promise (already guarded, so an unawaited failure never becomes an unhandled
 * rejection); `exec()` resolves to one entry per command — its value or its `ReplyError`.
 *
 * A refused argument refuses the whole batch before anything is sent: half a pipeline on the wire
 * would silently drop a command the caller believes was queued.
 */
export abstract class Batch extends /* @__PURE__ */ withCommands(Object) {
  /** @internal */
  protected readonly router: CommandRouter;
  /** @internal */
  protected readonly options: CommandOptions | undefined;
  protected commands: Command[] = [];
  #refusal: RedisError | undefined;
  #executed = false;

  /** @internal */
  constructor(router: CommandRouter, options: CommandOptions | undefined) {
    super();
    this.router = router;
    this.options = options;
  }

  /** How many commands are queued. */
  get length(): number {
    return this.commands.length;
  }

  _execute(spec: CommandSpec, args: RedisArg[], hook?: CommandHook): Promise<unknown> {
    const command = this.router._command(spec, args, hook, this.options);
    command.quiet = true;
    if (command.isDone) command.promise.catch(ignore);
    if (this.#executed) {
      command.reject(
        new ArgumentError(`${spec.name}: this ${this.kind} was already executed; create a new one`),
      );
      return command.promise;
    }
    if (command.error instanceof RedisError && !command.error.mayHaveRun) {
      // Refused while being built (e.g. CROSSSLOT on a cluster): the whole batch is refused.
      this.#refusal ??= command.error;
    }
    const refusal = this.checkArgs(spec, args);
    if (refusal !== undefined) command.reject(refusal);
    this.commands.push(command);
    return command.promise;
  }

  /**
   * The refusal of the first argument that cannot be sent (the builder checked them when
   * `spec.argsChecked`); it also refuses the whole batch.
   */
  protected checkArgs(spec: CommandSpec, args: readonly RedisArg[]): ArgumentError | undefined {
    for (let i = spec.argsChecked ? args.length : 0; i < args.length; i++) {
      if (!isRedisArg(args[i])) {
        const refusal = argumentError(spec.name, i, args[i]);
        this.#refusal ??= refusal;
        return refusal;
      }
    }
    return undefined;
  }

  /** @internal */
  _refuse(error: Error): void {
    this.#refusal ??= error instanceof RedisError ? error : new ArgumentError(error.message);
  }

  protected abstract get kind(): string;

  /** `exec()` was called. */
  protected get executed(): boolean {
    return this.#executed;
  }

  /** Marks the batch executed; throws the first refusal, failing every other queued command. */
  protected takeCommands(): Command[] {
    if (this.#executed) throw new ArgumentError(`this ${this.kind} was already executed; create a new one`);
    this.#executed = true;
    const commands = this.commands;
    this.commands = [];
    const refusal = this.#refusal;
    if (refusal !== undefined) {
      for (const command of commands) {
        command.reject(
          new ArgumentError(
            `${command.name}: not sent, because another command in the ${this.kind} was refused: ${refusal.message}`,
          ),
        );
      }
      throw refusal;
    }
    return commands;
  }

  /** Runs `send` inside the `redmoon:batch` tracing channel (only when subscribed). */
  protected traced(
    kind: BatchContext['kind'],
    names: string[],
    send: () => Promise<unknown[]>,
    first: Command | undefined,
  ): Promise<unknown[]> {
    const context: BatchContext = {
      kind,
      size: names.length,
      commands: names,
      database: this.router._database,
      server: undefined,
    };
    return batchChannel.tracePromise(() => {
      const running = send();
      context.server = this.router._addressOf?.(first);
      return running;
    }, context);
  }

  /**
   * Settles once every command has: to their values and reply errors in order, or rejects with the
   * first other error (connection, timeout). Counts settlements instead of chaining a promise per
   * command. Call before sending, so no settlement is missed.
   */
  protected static collect(commands: readonly Command[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      let remaining = commands.length;
      const finish = () => {
        const results: unknown[] = new Array(commands.length);
        for (let i = 0; i < commands.length; i++) {
          const command = commands[i];
          const error = command.error;
          if (error === undefined) {
            results[i] = command.value;
          } else if (error instanceof ReplyError) {
            results[i] = error;
          } else {
            reject(error);
            return;
          }
        }
        resolve(results);
      };
      const listener = {
        commandSettled() {
          if (--remaining === 0) finish();
        },
      };
      for (const command of commands) {
        if (command.isDone) remaining--;
        else command.listener = listener;
      }
      if (remaining === 0) finish();
    });
  }
}

/**
 * Sends `commands` back to back on `connection`. A command's hook may send something first: a
 * script the server is not known to hold is loaded once per batch (not with every call), so
 * EVALSHA after a flush or a restart still runs in the order queued.
 */
export function sendBatch(connection: Connection, commands: readonly Command[]): void {
  if (!connection.hasRoomFor(batchSize(commands, connection))) {
    const full = connection.queueFullError();
    for (const command of commands) command.reject(full);
    return;
  }
  for (const command of commands) {
    if (command.isDone) continue;
    if (command.hook !== undefined) {
      const before = command.hook.prepare(command, connection);
      if (before !== undefined) connection.send(before);
    }
    connection.send(command);
  }
}

/**
 * At most how many commands sending `commands` on `connection` queues: each, plus a script load
 * ahead of each whose hook may prepare one (an upper bound: a script is loaded once per batch).
 */
export function batchSize(commands: readonly Command[], connection: Connection): number {
  let size = 0;
  for (const command of commands) {
    if (command.isDone) continue;
    size++;
    const hook = command.hook;
    if (hook !== undefined && hook.preparesNothing?.(connection) !== true) size++;
  }
  return size;
}

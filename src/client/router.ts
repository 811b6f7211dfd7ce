import { EventEmitter } from 'node:events';
import type { Command, CommandOptions, ScriptSource } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { RedisArg } from '../resp/types.js';
import { checkCommandOptions } from './command-options.js';
import { type CallMethod, type Executor, installSurface } from './executor.js';
import { Multi } from './multi.js';
import { Pipeline } from './pipeline.js';
import type { CommandSpec } from './spec.js';
import type { BufferCommands, Commands } from './surface.js';

/**
 * Where commands of a surface go. A `Client` has one connection; a cluster picks one per call.
 * Pipelines, transactions and scripting helpers talk to this, not to a concrete client.
 */
export interface CommandRouter extends Executor, CallMethod {
  /** Runs a command with per-call options. */
  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown>;
  /** Builds the command object for `spec` without sending it. */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Command;
  /** The connection a batch of commands (a pipeline, a transaction) runs on. */
  /** The connection a transaction runs on (all its commands in one slot on a cluster). */
  _connectionFor(commands: readonly Command[]): Connection;
  /** Sends a pipeline's commands, each resolving its own promise. */
  _sendBatch(commands: readonly Command[]): void;
}

/**
 * What `Client` and `Cluster` share above routing: per-call views, pipelines and transactions,
 * all built on the `CommandRouter` methods each implements.
 */
export abstract class RouterBase extends EventEmitter implements CommandRouter {
  /** Sends a command built by `_command` (not yet settled) to wherever it must go. */
  abstract _dispatch(command: Command): void;
  abstract _command(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Command;
  abstract _connectionFor(commands: readonly Command[]): Connection;
  abstract _sendBatch(commands: readonly Command[]): void;
  declare call: CallMethod['call'];

  _execute(spec: CommandSpec, args: RedisArg[], script?: ScriptSource): Promise<unknown> {
    return this._executeWith(spec, args, script, undefined);
  }

  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    const command = this._command(spec, args, script, options);
    if (!command.isDone) this._dispatch(command);
    return command.promise;
  }

  /** A view whose calls use `options` (`timeout`, `signal`, `buffers`). */
  withOptions(options: CommandOptions & { buffers: true }): ClientView & BufferCommands;
  withOptions(options: CommandOptions): ClientView & Commands;
  withOptions(options: CommandOptions): ClientView {
    return new ClientView(this, checkCommandOptions(options));
  }

  /** Queues commands to send together; each resolves on its own, `exec()` gives them all. */
  pipeline(): Pipeline & Commands {
    return new Pipeline(this, undefined) as Pipeline & Commands;
  }

  /** A MULTI/EXEC transaction; its commands run atomically when `exec()` is called. */
  multi(): Multi & Commands {
    return new Multi(this, undefined) as Multi & Commands;
  }
}

export interface ClientView extends Commands {}

/**
 * A client seen through per-call options: `client.withOptions({ timeout: 50 }).get('k')`.
 * Cheap to create; holds no connection of its own.
 */
export class ClientView implements CommandRouter {
  readonly #client: CommandRouter;
  readonly #options: CommandOptions;

  constructor(client: CommandRouter, options: CommandOptions) {
    this.#client = client;
    this.#options = options;
  }

  _execute(spec: CommandSpec, args: RedisArg[], script?: ScriptSource): Promise<unknown> {
    return this.#client._executeWith(spec, args, script, this.#options);
  }

  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    return this.#client._executeWith(spec, args, script, { ...this.#options, ...options });
  }

  _command(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Command {
    return this.#client._command(spec, args, script, { ...this.#options, ...options });
  }

  _connectionFor(commands: readonly Command[]): Connection {
    return this.#client._connectionFor(commands);
  }

  _sendBatch(commands: readonly Command[]): void {
    this.#client._sendBatch(commands);
  }

  pipeline(): Pipeline & Commands {
    return new Pipeline(this.#client, this.#options) as Pipeline & Commands;
  }

  multi(): Multi & Commands {
    return new Multi(this.#client, this.#options) as Multi & Commands;
  }
}

installSurface(ClientView.prototype);

import { EventEmitter } from 'node:events';
import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { RedisArg } from '../resp/types.js';
import { withCommands } from './methods.js';
import { Multi } from './multi.js';
import { Pipeline } from './pipeline.js';
import type { CommandSpec } from './spec.js';
import type { BufferCommands, Commands } from './surface.js';
import { ClientView } from './view.js';

/**
 * What `Client` and `Cluster` share above routing: the command methods, per-call views,
 * pipelines and transactions, all built on the `CommandRouter` methods each implements.
 */
export abstract class BaseClient extends /* @__PURE__ */ withCommands(EventEmitter) {
  /** Sends a command built by `_command` (not yet settled) to wherever it must go. @internal */
  abstract _dispatch(command: Command, spec: CommandSpec): void;
  /** @internal */
  abstract _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command;
  /** @internal */
  abstract _connectionFor(commands: readonly Command[]): Connection;
  /** @internal */
  abstract _sendBatch(commands: readonly Command[]): void;

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
    if (!command.isDone) this._dispatch(command, spec);
    return command.promise;
  }

  /** A view whose calls use `options` (`timeout`, `signal`, `buffers`). */
  withOptions(options: CommandOptions & { buffers: true }): ClientView & BufferCommands;
  withOptions(options: CommandOptions): ClientView & Commands;
  withOptions(options: CommandOptions): ClientView {
    return new ClientView(this, { ...options });
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

import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import { type ScanRequest, withIterators } from './iterators.js';
import { withCommands } from './methods.js';
import { Multi } from './multi.js';
import { Pipeline } from './pipeline.js';
import type { CommandSpec } from './spec.js';
import type { Commands } from './surface.js';
import type { CommandRouter } from './target.js';

export interface ClientView extends Commands {}

/**
 * A client seen through per-call options: `client.withOptions({ timeout: 50 }).get('k')`.
 * Cheap to create; holds no connection of its own.
 */
export class ClientView extends /* @__PURE__ */ withIterators(withCommands(Object)) {
  readonly #client: CommandRouter;
  readonly #options: CommandOptions;

  /** @internal */
  constructor(client: CommandRouter, options: CommandOptions) {
    super();
    this.#client = client;
    this.#options = options;
  }

  _execute(spec: CommandSpec, args: RedisArg[], hook?: CommandHook): Promise<unknown> {
    return this.#client._executeWith(spec, args, hook, this.#options);
  }

  /** @internal */
  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    return this.#client._executeWith(spec, args, hook, { ...this.#options, ...options });
  }

  /** @internal */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command {
    return this.#client._command(spec, args, hook, { ...this.#options, ...options });
  }

  /** @internal */
  _connectionFor(commands: readonly Command[]): Connection {
    return this.#client._connectionFor(commands);
  }

  /** @internal */
  _sendBatch(commands: readonly Command[]): void {
    this.#client._sendBatch(commands);
  }

  /** @internal */
  _scanPages(request: ScanRequest, options: CommandOptions | undefined): AsyncIterable<RespValue[]> {
    return this.#client._scanPages(request, { ...this.#options, ...options });
  }

  /** @internal */
  _addressOf(command: Command): ServerAddress | undefined {
    return this.#client._addressOf?.(command);
  }

  /** @internal */
  get _database(): number | undefined {
    return this.#client._database;
  }

  /** @internal */
  get _refreshRouting(): (() => Promise<void>) | undefined {
    return this.#client._refreshRouting?.bind(this.#client);
  }

  pipeline(): Pipeline & Commands {
    return new Pipeline(this.#client, this.#options) as Pipeline & Commands;
  }

  multi(): Multi & Commands {
    return new Multi(this.#client, this.#options) as Multi & Commands;
  }
}

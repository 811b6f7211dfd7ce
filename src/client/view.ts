import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { SubscriptionNames } from '../pubsub/pubsub.js';
import type { MessageListener, PatternListener, Subscription } from '../pubsub/subscription.js';
import type { TopicKind } from '../pubsub/topic.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import { type ScanRequest, withIterators } from './iterators.js';
import { withCommands } from './methods.js';
import { Multi } from './multi.js';
import { Pipeline } from './pipeline.js';
import type { CommandSpec } from './spec.js';
import type { Commands } from './surface.js';
import type { CommandRouter } from './target.js';

// biome-ignore lint/correctness/noUnusedVariables: merged with the class, which must have the same type parameters.
export interface ClientView<M extends string | Buffer = string> extends Commands {}

/** A client a view can subscribe through. @internal */
export interface PubSubRouter extends CommandRouter {
  _subscribe<M extends string | Buffer>(
    kind: TopicKind,
    names: SubscriptionNames,
    listener: (message: M, channel: M, pattern: M) => void,
    options: CommandOptions | undefined,
  ): Promise<Subscription<M>>;
}

/**
 * A client seen through per-call options: `client.withOptions({ timeout: 50 }).get('k')`.
 * Cheap to create; holds no connection of its own. `M` is the type of its subscriptions'
 * messages: `Buffer` for `withOptions({ buffers: true })`.
 */
export class ClientView<M extends string | Buffer = string> extends /* @__PURE__ */ withIterators(
  withCommands(Object),
) {
  readonly #client: PubSubRouter;
  readonly #options: CommandOptions;

  /** @internal */
  constructor(client: PubSubRouter, options: CommandOptions) {
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

  /** `subscribe` of the client, with this view's `buffers`. */
  subscribe(channels: SubscriptionNames, listener: MessageListener<M>): Promise<Subscription<M>> {
    return this.#client._subscribe('channel', channels, listener, this.#options);
  }

  /** `psubscribe` of the client, with this view's `buffers`. */
  psubscribe(patterns: SubscriptionNames, listener: PatternListener<M>): Promise<Subscription<M>> {
    return this.#client._subscribe('pattern', patterns, listener, this.#options);
  }

  /** `ssubscribe` of the client, with this view's `buffers`. */
  ssubscribe(channels: SubscriptionNames, listener: MessageListener<M>): Promise<Subscription<M>> {
    return this.#client._subscribe('shard', channels, listener, this.#options);
  }

  multi(): Multi & Commands {
    return new Multi(this.#client, this.#options) as Multi & Commands;
  }
}

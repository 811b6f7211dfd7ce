import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { ArgumentError } from '../errors.js';
import type { PubSub, SubscriptionNames } from '../pubsub/pubsub.js';
import type { MessageListener, PatternListener, Subscription } from '../pubsub/subscription.js';
import type { TopicKind } from '../pubsub/topic.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import {
  type CommandContext,
  commandChannel,
  type ServerAddress,
  tracedCommands,
} from '../telemetry/channels.js';
import type { BufferClientView } from './buffer-surface.js';
import { checkCommandOptions } from './command-options.js';
import { IsolatedConnection, type IsolationBinding } from './isolated.js';
import { type ScanRequest, standalonePages, withIterators } from './iterators.js';
import { withCommands } from './methods.js';
import { Multi } from './multi.js';
import { Pipeline } from './pipeline.js';
import { type CommandSpec, redactedArgs } from './spec.js';
import type { Commands } from './surface.js';
import { ClientView } from './view.js';

/**
 * What `Client` and `Cluster` share above routing: the command methods, per-call views,
 * pipelines and transactions, all built on the `CommandRouter` methods each implements.
 */
/** An event emitter made without options (its constructor's options type is not exported). */
export abstract class Emitter extends EventEmitter {
  // biome-ignore lint/complexity/noUselessConstructor: it hides EventEmitter's options from the published types.
  constructor() {
    super();
  }
}

export abstract class BaseClient extends /* @__PURE__ */ withIterators(withCommands(Emitter)) {
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
  /** This client's pub/sub (made on first use). Throws when the client is not connected. @internal */
  abstract _pubsub(): PubSub;
  /** Where `isolated()` gets its connections. @internal */
  abstract _isolation(): IsolationBinding;

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
    if (command.isDone) return command.promise;
    if (commandChannel.hasSubscribers) return this.#traced(command, spec, args);
    this._dispatch(command, spec);
    return command.promise;
  }

  /** Where `command` went (for telemetry), once dispatched. @internal */
  abstract _addressOf(command: Command): ServerAddress | undefined;
  /** The logical database, where there is one. @internal */
  abstract get _database(): number | undefined;

  /** Dispatches `command` inside the `redmoon:command` tracing channel (only when subscribed). */
  #traced(command: Command, spec: CommandSpec, args: RedisArg[]): Promise<unknown> {
    const context: CommandContext = {
      command: spec.name,
      args: () => redactedArgs(spec, command.args),
      script: spec.runsCode ? scriptName(args[0]) : undefined,
      database: this._database,
      server: undefined,
    };
    tracedCommands.set(command, context);
    return commandChannel.tracePromise(() => {
      this._dispatch(command, spec);
      context.server = this._addressOf(command);
      return command.promise;
    }, context);
  }

  /** The pages of a SCAN-family iteration (see `iterators.ts`); a cluster covers every primary. @internal */
  _scanPages(request: ScanRequest, options: CommandOptions | undefined): AsyncIterable<RespValue[]> {
    return standalonePages(this, request, options);
  }

  /**
   * A view whose calls use `options` (`timeout`, `signal`, `buffers`). With `buffers: true`,
   * replies and the messages of its subscriptions are Buffers.
   */
  withOptions(options: CommandOptions & { buffers: true }): BufferClientView;
  withOptions(options: CommandOptions): ClientView & Commands;
  withOptions(options: CommandOptions): ClientView<any> | BufferClientView {
    return new ClientView(this, checkCommandOptions(options));
  }

  /**
   * Calls `listener(message, channel)` for every message published to `channels` (SUBSCRIBE).
   * Resolves once the server confirmed them all, or rejects after `commandTimeout` (or
   * `offlineTimeout` without one; `withOptions({ timeout })` for this call). Subscriptions run on a connection of their own
   * (one per client; on a cluster, on one node: PUBLISH reaches every node), restored after a
   * reconnect; see `Subscription` for the `interrupted`, `resumed` and `end` events.
   */
  subscribe(channels: SubscriptionNames, listener: MessageListener<string>): Promise<Subscription<string>> {
    return this._subscribe('channel', channels, listener, undefined);
  }

  /** Like `subscribe`, for channels matching glob-style `patterns` (PSUBSCRIBE): `listener(message, channel, pattern)`. */
  psubscribe(patterns: SubscriptionNames, listener: PatternListener<string>): Promise<Subscription<string>> {
    return this._subscribe('pattern', patterns, listener, undefined);
  }

  /**
   * Like `subscribe`, for shard channels (SSUBSCRIBE, Redis 7+), published with `spublish`. On a
   * cluster each channel is subscribed on the primary serving its hash slot, and follows the slot
   * when it moves (migration, failover); channels of several slots may be given together.
   */
  ssubscribe(channels: SubscriptionNames, listener: MessageListener<string>): Promise<Subscription<string>> {
    return this._subscribe('shard', channels, listener, undefined);
  }

  /** @internal */
  _subscribe<M extends string | Buffer>(
    kind: TopicKind,
    names: SubscriptionNames,
    listener: (message: M, channel: M, pattern: M) => void,
    options: CommandOptions | undefined,
  ): Promise<Subscription<M>> {
    let pubsub: PubSub;
    try {
      pubsub = this._pubsub();
    } catch (error) {
      return Promise.reject(error);
    }
    return pubsub.subscribe(kind, names, listener, options?.buffers === true, options?.timeout) as Promise<
      Subscription<M>
    >;
  }

  /**
   * Runs `fn` with a connection of its own (from the pool of dedicated connections), for
   * WATCH/MULTI/EXEC and anything else no other caller may interleave with; resolves to what `fn`
   * returns. The connection goes back to the pool clean whatever `fn` does. On a cluster it is the
   * connection to the slot of the first key used (see `IsolatedConnection`).
   *
   * ```ts
   * const applied = await client.isolated(async (conn) => {
   *   await conn.watch('balance:{7}');
   *   const balance = Number(await conn.get('balance:{7}'));
   *   const tx = conn.multi();
   *   tx.set('balance:{7}', balance - 10);
   *   return tx.exec(); // WatchError when the key changed meanwhile
   * });
   * ```
   */
  async isolated<T>(fn: (connection: IsolatedConnection) => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new ArgumentError('isolated(fn): fn must be a function');
    const connection = new IsolatedConnection(this._isolation());
    try {
      return await fn(connection);
    } finally {
      await connection._finish();
    }
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

/** EVALSHA's sha and FCALL's function name as they are; EVAL's body by its SHA1, never in full. */
function scriptName(target: RedisArg | undefined): string | undefined {
  if (target === undefined) return undefined;
  const text = Buffer.isBuffer(target) ? target.toString('utf8') : String(target);
  if (text.length <= 64 && !/\s/.test(text)) return text;
  return createHash('sha1').update(text).digest('hex');
}

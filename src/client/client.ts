import { inspect } from 'node:util';
import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import { Connection, type ConnectionStatus } from '../connection/connection.js';
import { onOneServer, type PubSub } from '../pubsub/pubsub.js';
import type { RedisArg } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import { BaseClient } from './base-client.js';
import { sendBatch } from './batch.js';
import { createCommand } from './command-factory.js';
import { abortDedicated } from './dedicated-pool.js';
import type { IsolationBinding } from './isolated.js';
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from './options.js';
import { packable } from './pipeline.js';
import { SideConnections } from './side-connections.js';
import { blockTimeOf, type CommandSpec } from './spec.js';
import type { Commands } from './surface.js';
import type { PackedTarget } from './target.js';

export interface Client extends Commands {}

/**
 * A Redis client over one auto-pipelined connection: every command issued in the same event-loop
 * turn is written with one syscall, replies are matched in order.
 *
 * ```ts
 * const client = new Client({ url: 'redis://127.0.0.1:6379' });
 * await client.connect();
 * await client.set('greeting', 'hello');
 * await client.quit();
 * ```
 *
 * Events: `connect`, `ready`, `reconnecting`, `error` (only emitted when listened to, so an
 * unobserved reconnect never crashes the process), `end`, `push` (RESP3 out-of-band frames).
 */
export class Client extends BaseClient {
  readonly #options: ResolvedClientOptions;
  readonly #connection: Connection;
  /** A second connection for SCRIPT KILL / FUNCTION KILL, which cannot queue behind a busy script. */
  #control: Connection | undefined;
  /** Subscriptions, blocking commands and `isolated()`, on connections of their own. */
  readonly #sides: SideConnections;

  constructor(options: ClientOptions = {}) {
    super();
    this.#options = resolveClientOptions(options);
    this.#connection = new Connection(this.#options.connection);
    for (const event of ['connect', 'ready', 'reconnecting', 'end', 'push'] as const) {
      this.#connection.on(event, (...args: unknown[]) => this.emit(event, ...args));
    }
    const { connection, commandTimeout, keyPrefix, dedicatedConnections } = this.#options;
    this.#sides = new SideConnections(this.#connection, {
      connection,
      commandTimeout,
      keyPrefix,
      dedicatedConnections,
      placement: () => onOneServer(connection.host, connection.port),
    });
    this.#connection.on('error', (error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  /** `idle` before `connect()`, then `connecting`, `ready`, `reconnecting`, `closing`, `closed`. */
  get status(): ConnectionStatus {
    return this.#connection.status;
  }

  /** The protocol in use: 3 unless RESP2 was asked for or the server has no HELLO. */
  get resp(): 2 | 3 {
    return this.#connection.resp;
  }

  /** Connects and runs the handshake (HELLO/AUTH/SETNAME/SELECT). Rejects if that fails. */
  async connect(): Promise<void> {
    await this.#connection.connect();
  }

  /**
   * Waits for every command already sent, then closes. Subscriptions end (`end`, no error);
   * blocking commands still waiting fail with `CONNECTION_LOST` rather than hold the close up.
   */
  async quit(): Promise<void> {
    const control = this.#control;
    this.#control = undefined;
    this.#sides.close();
    await Promise.all([this.#connection.quit(), control?.quit()]);
  }

  /** Closes at once; commands waiting for a reply fail (see `ConnectionError`). */
  disconnect(): void {
    this.#control?.disconnect();
    this.#control = undefined;
    this.#sides.close();
    this.#connection.disconnect();
  }

  /** A new, unconnected client with the same options (and any overrides). */
  duplicate(overrides: ClientOptions = {}): Client {
    const connection = this.#options.connection;
    return new Client({
      host: connection.host,
      port: connection.port,
      tls: connection.tls,
      username: connection.username,
      password: connection.password,
      db: connection.db,
      resp: connection.resp,
      name: connection.name,
      connectTimeout: connection.connectTimeout,
      commandTimeout: this.#options.commandTimeout,
      reconnect: connection.reconnect,
      maxQueuedCommands: connection.maxQueuedCommands,
      offlineQueue: connection.offlineQueue,
      offlineTimeout: connection.offlineTimeout,
      maxBulkLength: connection.maxBulkLength,
      keyPrefix: this.#options.keyPrefix || undefined,
      maxReplyDepth: connection.maxReplyDepth,
      maxReplyElements: connection.maxReplyElements,
      dedicatedConnections: this.#options.dedicatedConnections,
      ...overrides,
    });
  }

  /** @internal */
  _dispatch(command: Command, spec: CommandSpec): void {
    const need = spec.connection;
    if (need === 'shared') this.#connection.send(command);
    else if (need === 'control') this.#sendOnControl(command);
    else if (need === 'blocking' && blockTimeOf(spec, command.args) !== undefined)
      this.#sides.sendBlocking(command);
    else this.#connection.send(command);
  }

  /** @internal */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command {
    const { commandTimeout, keyPrefix } = this.#options;
    return createCommand(spec, args, hook, options, commandTimeout, this.#abort, keyPrefix);
  }

  readonly #abort = (command: Command) => {
    if (!abortDedicated(command)) this.#connection.abort(command);
  };

  /** @internal */
  _addressOf(): ServerAddress {
    return { host: this.#options.connection.host, port: this.#options.connection.port };
  }

  /** @internal */
  get _database(): number {
    return this.#options.connection.db;
  }

  /** @internal */
  _sendBatch(commands: readonly Command[]): void {
    sendBatch(this.#connection, commands);
  }

  /** @internal */
  _packedTarget(options: CommandOptions | undefined): PackedTarget | undefined {
    const { commandTimeout, keyPrefix } = this.#options;
    if (!packable(options, keyPrefix)) return undefined;
    return { connection: this.#connection, timeout: options?.timeout ?? commandTimeout };
  }

  /** @internal */
  _connectionFor(): Connection {
    return this.#connection;
  }

  /** @internal */
  _pubsub(): PubSub {
    return this.#sides.pubsub();
  }

  /** @internal */
  _isolation(): IsolationBinding {
    return this.#sides.isolation();
  }

  /**
   * Sends `command` on a side connection that only ever carries kill commands (SCRIPT KILL,
   * FUNCTION KILL): this client's own connection may be queued behind the very script to kill.
   */
  #sendOnControl(command: Command): void {
    command.retryable = false;
    const status = this.#connection.status;
    if (status === 'closing' || status === 'closed' || status === 'idle') {
      // Same answer as the main connection would give; never open a socket for a closed client.
      this.#connection.send(command);
      return;
    }
    let control = this.#control;
    if (control === undefined || control.status === 'closed') {
      // Only HELLO/AUTH: while a script runs the server refuses SETNAME and SELECT (BUSY).
      control = new Connection({ ...this.#options.connection, name: undefined, db: 0, reconnect: false });
      control.on('error', () => undefined);
      this.#control = control;
      // Commands sent before it is ready wait in its queue; a failed connect fails them.
      control.connect().catch(() => undefined);
    }
    control.send(command);
  }

  /** Never shows the password or TLS keys. */
  [inspect.custom](): string {
    const { host, port, db, resp, tls } = this.#options.connection;
    return `Client { ${tls ? 'rediss' : 'redis'}://${host}:${port}/${db}, resp: ${resp}, status: ${this.status} }`;
  }
}

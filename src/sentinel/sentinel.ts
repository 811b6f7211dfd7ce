// The Sentinel client as users meet it: the same command surface as `Client` over one shared
// connection, with the connections beside it (replicas for reads, side connections, the kill
// connection). Where that connection goes — finding the primary and following it through
// failovers — is `primary-tracker.ts`, so this file is about what is sent where, not why there.

import { inspect } from 'node:util';
import { BaseClient } from '../client/base-client.js';
import { sendBatch } from '../client/batch.js';
import { createCommand } from '../client/command-factory.js';
import { abortDedicated } from '../client/dedicated-pool.js';
import type { IsolationBinding } from '../client/isolated.js';
import { prefixKeys } from '../client/key-prefix.js';
import { packable } from '../client/pipeline.js';
import { SideConnections } from '../client/side-connections.js';
import { blockTimeOf, type CommandSpec } from '../client/spec.js';
import type { Commands } from '../client/surface.js';
import type { PackedTarget } from '../client/target.js';
import { Command, type CommandHook, type CommandOptions } from '../connection/command.js';
import { Connection, type ConnectionStatus } from '../connection/connection.js';
import { ConnectionError, SentinelError } from '../errors.js';
import { onMovingServer, type PubSub } from '../pubsub/pubsub.js';
import type { RedisArg } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import { addressText } from './directory.js';
import { type ResolvedSentinelOptions, resolveSentinelOptions, type SentinelOptions } from './options.js';
import { PrimaryTracker } from './primary-tracker.js';
import { ReplicaPool, readFromReplica } from './replicas.js';
import { requireRole } from './role.js';

/** Runs on a dedicated connection: a blocking command that blocks with these arguments. */
function isBlocking(spec: CommandSpec, args: readonly RedisArg[]): boolean {
  return spec.connection === 'blocking' && blockTimeOf(spec, args) !== undefined;
}

const ignore = () => undefined;

export interface Sentinel extends Commands {}

/**
 * A client for a primary watched by Redis Sentinel, with the same commands, pipelines,
 * transactions and scripting surface as `Client` (`Script`, `Library` and `RedisFunction`
 * accept it):
 *
 * ```ts
 * const db = new Sentinel({ sentinels: ['redis://127.0.0.1:26379'], name: 'mymaster' });
 * await db.connect();
 * ```
 *
 * - Every (re)connect asks the sentinels, in turn, where the primary is
 *   (SENTINEL GET-MASTER-ADDR-BY-NAME), and after the handshake checks with ROLE that the node
 *   reached is the primary; a node that says it is a replica is refused and the sentinels are
 *   asked again (during a failover they may still name the old primary).
 * - A subscription on one sentinel follows `+switch-master`: the connection to the old primary is
 *   dropped at once and the new one found. Writes in flight then fail with `CONNECTION_LOST`
 *   (they may have run on the old primary); queued ones wait and go to the new primary; read-only
 *   commands in flight are resent (DESIGN §3).
 * - Scripts are loaded again on the new primary on NOSCRIPT (`evalshaWithReload`, batches);
 *   function libraries reach replicas, and so a promoted primary, by replication.
 * - With `replicaReads`, read-only commands that have keys (and `_RO` scripts and functions) go
 *   to the healthy replicas in turn; see `SentinelOptions.replicaReads`.
 * - Subscriptions, blocking commands and `isolated()` run on connections of their own, as on a
 *   `Client`, to the primary the connection verified (and checked with ROLE again). When the
 *   primary moves they leave the old one at once: subscriptions report `interrupted`, then
 *   `resumed` on the new primary; blocking calls and sessions there fail with `CONNECTION_LOST`;
 *   pooled connections to it are closed; callers waiting for one go to the new primary.
 *
 * Events: those of `Client` (`connect`, `ready`, `reconnecting`, `error`, `end`, `push`), and
 * `failover` ({ from, to } as `host:port`) when the connection has reached a new primary.
 */
export class Sentinel extends BaseClient {
  readonly #options: SentinelOptions;
  readonly #resolved: ResolvedSentinelOptions;
  readonly #connection: Connection;
  /** Where the shared connection goes: the primary, found and followed through the sentinels. */
  readonly #tracker: PrimaryTracker;
  readonly #replicas: ReplicaPool | undefined;
  /** Subscriptions, blocking commands and `isolated()`, on connections of their own to the primary. */
  readonly #sides: SideConnections;
  /** A side connection to the primary for SCRIPT KILL / FUNCTION KILL (see `Client.scriptKill`). */
  #control: { connection: Connection; address: string } | undefined;

  constructor(options: SentinelOptions) {
    super();
    this.#resolved = resolveSentinelOptions(options);
    this.#options = { ...options };
    this.#connection = new Connection({
      ...this.#resolved.data.connection,
      resolveAddress: () => this.#tracker.resolve(),
      verifyServer: (send) => this.#tracker.verify(send),
    });
    for (const event of ['connect', 'ready', 'reconnecting', 'end', 'push'] as const) {
      this.#connection.on(event, (...args: unknown[]) => this.emit(event, ...args));
    }
    this.#connection.on('error', (error: Error) => this.#emitError(error));
    if (this.#resolved.replicaReads) {
      this.#replicas = new ReplicaPool(this.#resolved.data.connection, (error) => this.#emitError(error));
    }
    // Before the side connections: their pool resumes on `ready` once the primary is current.
    const tracker = new PrimaryTracker(this.#resolved, this.#connection, this.#replicas, {
      moved: (reason) => this.#sides.moved(reason),
      failedOver: (from, to) => this.emit('failover', { from, to }),
      error: (error) => this.#emitError(error),
    });
    this.#tracker = tracker;
    const { verified } = tracker;
    const { connection, commandTimeout, keyPrefix, dedicatedConnections } = this.#resolved.data;
    const whenKnown = () => verified.whenKnown(connection.connectTimeout);
    this.#sides = new SideConnections(this.#connection, {
      // Where the connection verified the primary, and checked there again (ROLE) on every socket.
      connection: {
        ...connection,
        resolveAddress: whenKnown,
        verifyServer: requireRole('master', () => tracker.primary),
      },
      commandTimeout,
      keyPrefix,
      dedicatedConnections,
      placement: () =>
        onMovingServer(
          () => verified.current,
          () => whenKnown().then(() => undefined),
        ),
    });
  }

  /** The name the sentinels know the primary by. */
  get name(): string {
    return this.#resolved.name;
  }

  /** `idle` before `connect()`, then `connecting`, `ready`, `reconnecting`, `closing`, `closed`. */
  get status(): ConnectionStatus {
    return this.#connection.status;
  }

  /** The protocol in use with the primary. */
  get resp(): 2 | 3 {
    return this.#connection.resp;
  }

  /** `host:port` of the primary the connection last reached, if any. */
  get primary(): string | undefined {
    const primary = this.#tracker.primary;
    return primary === undefined ? undefined : addressText(primary);
  }

  /** `host:port` of the replicas ready to serve reads (empty unless `replicaReads`). */
  get replicas(): string[] {
    return this.#replicas?.ready ?? [];
  }

  /**
   * Finds the primary through the sentinels, connects and runs the handshake, and subscribes to
   * the sentinels' failover announcements. Rejects with `SentinelError` (`NO_PRIMARY`,
   * `WRONG_ROLE`) when no primary could be found within `connectTimeout`.
   */
  async connect(): Promise<void> {
    if (this.#connection.status !== 'idle') return this.#connection.connect();
    // Both at once, but the primary's outcome is the one reported: it says what went wrong in
    // terms of the primary (NO_PRIMARY, WRONG_ROLE), whichever of the two failed first.
    const [primary, subscription] = await Promise.allSettled([
      this.#connection.connect(),
      this.#tracker.listen(),
    ]);
    const failure =
      primary.status === 'rejected'
        ? primary.reason
        : subscription.status === 'rejected'
          ? subscription.reason
          : undefined;
    if (failure !== undefined) {
      this.disconnect();
      throw failure instanceof ConnectionError && failure.cause instanceof SentinelError
        ? failure.cause
        : failure;
    }
    await this.#tracker.watch();
  }

  /** Waits for every command already sent, then closes. */
  async quit(): Promise<void> {
    this.#tracker.stop();
    const control = this.#control?.connection;
    this.#control = undefined;
    this.#sides.close();
    await Promise.all([this.#connection.quit(), control?.quit(), this.#replicas?.close(true)]);
  }

  /** Closes at once; commands waiting for a reply fail (see `ConnectionError`). */
  disconnect(): void {
    this.#tracker.stop();
    this.#control?.connection.disconnect();
    this.#control = undefined;
    this.#sides.close();
    void this.#replicas?.close(false);
    this.#connection.disconnect();
  }

  /** A new, unconnected Sentinel client with the same options (and any overrides). */
  duplicate(overrides: Partial<SentinelOptions> = {}): Sentinel {
    return new Sentinel({ ...this.#options, ...overrides });
  }

  /** @internal */
  override _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    const replicas = this.#replicas;
    // Blocking calls hold a dedicated connection to the primary, never a replica's shared one.
    if (replicas === undefined || spec.connection === 'control' || isBlocking(spec, args))
      return super._executeWith(spec, args, hook, options);
    const command = this._command(spec, args, hook, options);
    if (command.isDone) return command.promise;
    // Keyless reads (INFO, SCRIPT EXISTS, FUNCTION LIST) describe a server, so they stay on the primary.
    if (spec.replicaSafe) {
      const replica = replicas.pick();
      if (replica !== undefined) {
        readFromReplica(command, replica, this.#connection);
        return command.promise;
      }
    } else if (spec.cluster.kind === 'primaries' && spec.cluster.replicas) {
      // Described as reaching every node's script cache (SCRIPT LOAD, SCRIPT FLUSH).
      // The script cache is per server and not replicated, yet EVALSHA_RO may run on a replica.
      // Best effort: a replica that missed it loads the script on NOSCRIPT (evalshaWithReload).
      for (const replica of replicas.readyConnections()) {
        const copy = new Command(spec.name, spec.encodedName, args);
        copy.promise.catch(ignore);
        replica.send(copy);
      }
    }
    this.#connection.send(command);
    return command.promise;
  }

  /** @internal */
  _dispatch(command: Command, spec: CommandSpec): void {
    if (spec.connection === 'control') this.#sendOnControl(command);
    else if (isBlocking(spec, command.args)) this.#sides.sendBlocking(command);
    else this.#connection.send(command);
  }

  /** @internal */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command {
    const { keyPrefix, commandTimeout } = this.#resolved.data;
    const keyed = keyPrefix === '' ? args : prefixKeys(spec.keys, args, keyPrefix);
    return createCommand(spec, keyed, hook, options, commandTimeout, this.#abort);
  }

  /** @internal */
  _addressOf(): ServerAddress | undefined {
    const primary = this.#tracker.primary;
    return primary === undefined ? undefined : { host: primary.host, port: primary.port };
  }

  /** @internal */
  get _database(): number {
    return this.#resolved.data.connection.db;
  }

  readonly #abort = (command: Command) => {
    if (!abortDedicated(command)) this.#connection.abort(command);
  };

  /** @internal */
  _sendBatch(commands: readonly Command[]): void {
    sendBatch(this.#connection, commands);
  }

  /** @internal */
  _pubsub(): PubSub {
    return this.#sides.pubsub();
  }

  /** @internal */
  _isolation(): IsolationBinding {
    return this.#sides.isolation();
  }

  /** @internal */
  _connectionFor(): Connection {
    return this.#connection;
  }

  /** @internal */
  _packedTarget(options: CommandOptions | undefined): PackedTarget | undefined {
    const { commandTimeout, keyPrefix } = this.#resolved.data;
    if (!packable(options, keyPrefix)) return undefined;
    return { connection: this.#connection, timeout: options?.timeout ?? commandTimeout };
  }

  /** SCRIPT KILL / FUNCTION KILL on a side connection to the primary (see `Client`). */
  #sendOnControl(command: Command): void {
    const primary = this.#tracker.primary;
    if (primary === undefined) {
      command.reject(new ConnectionError(`${command.name}: call connect() first`, 'NOT_CONNECTED', false));
      return;
    }
    const address = addressText(primary);
    let control = this.#control;
    if (control === undefined || control.connection.status === 'closed' || control.address !== address) {
      control?.connection.disconnect();
      // Only HELLO/AUTH: while a script runs the server refuses SETNAME and SELECT (BUSY).
      const connection = new Connection({
        ...this.#resolved.data.connection,
        host: primary.host,
        port: primary.port,
        name: undefined,
        db: 0,
        reconnect: false,
      });
      connection.on('error', ignore);
      control = { connection, address };
      this.#control = control;
      connection.connect().catch(ignore);
    }
    command.retryable = false;
    control.connection.send(command);
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Never shows the password or TLS keys. */
  [inspect.custom](): string {
    return `Sentinel { name: ${this.#resolved.name}, primary: ${this.primary ?? 'unknown'}, status: ${this.status} }`;
  }
}

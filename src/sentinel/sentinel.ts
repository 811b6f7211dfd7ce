import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { BaseClient } from '../client/base-client.js';
import { sendBatch } from '../client/batch.js';
import { createCommand } from '../client/command-factory.js';
import { abortDedicated } from '../client/dedicated-pool.js';
import type { IsolationBinding } from '../client/isolated.js';
import { prefixKeys } from '../client/key-prefix.js';
import { SideConnections } from '../client/side-connections.js';
import { blockTimeOf, type CommandSpec } from '../client/spec.js';
import type { Commands } from '../client/surface.js';
import { Command, type CommandHook, type CommandOptions } from '../connection/command.js';
import { Connection, type ConnectionStatus } from '../connection/connection.js';
import type { HandshakeSend } from '../connection/handshake.js';
import { ConnectionError, ReplyError, SentinelError } from '../errors.js';
import { onMovingServer, type PubSub } from '../pubsub/pubsub.js';
import type { RedisArg } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import { type Address, addressText, SentinelDirectory } from './directory.js';
import { type ResolvedSentinelOptions, resolveSentinelOptions, type SentinelOptions } from './options.js';
import { ReplicaPool, readFromReplica } from './replicas.js';
import { probeRole, requireRole, roleOf, wrongRole } from './role.js';
import { SentinelSubscriber } from './subscriber.js';
import { VerifiedPrimary } from './verified-primary.js';

/** Runs on a dedicated connection: a blocking command that blocks with these arguments. */
function isBlocking(spec: CommandSpec, args: readonly RedisArg[]): boolean {
  return spec.connection === 'blocking' && blockTimeOf(spec, args) !== undefined;
}

/** The sentinel channels followed: failovers, and replicas appearing, failing and recovering. */
const CHANNELS = ['+switch-master', '+promoted-slave', '+slave', '+sdown', '-sdown'];
/** A burst of replica events becomes one SENTINEL REPLICAS. */
const REPLICA_REFRESH_DELAY_MS = 200;
/**
 * How often the sentinels are asked again without any event: a failover announced while the
 * subscription was on a sentinel cut off from the others, and replicas whose link state Sentinel
 * reports late (it reads INFO from replicas every 10 s).
 */
const CHECK_INTERVAL_MS = 10_000;
/** How long an announced primary outranks what the other sentinels say (they catch up in ~1 s). */
const ANNOUNCEMENT_TRUST_MS = 5000;
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
  readonly #directory: SentinelDirectory;
  readonly #connection: Connection;
  readonly #replicas: ReplicaPool | undefined;
  /** Subscriptions, blocking commands and `isolated()`, on connections of their own to the primary. */
  readonly #sides: SideConnections;
  #subscriber: SentinelSubscriber | undefined;
  /** A side connection to the primary for SCRIPT KILL / FUNCTION KILL (see `Client.scriptKill`). */
  #control: { connection: Connection; address: string } | undefined;
  /** Where the current connection attempt goes (resolved, not yet verified). */
  #target: Address | undefined;
  /** The primary the connection last verified. */
  #primary: Address | undefined;
  /** Where side connections go: `#primary`, while the connection is there and staying. */
  readonly #verified: VerifiedPrimary;
  /** The primary the subscribed sentinel last announced, until the connection reaches it. */
  #announced: { address: Address; at: number } | undefined;
  #replicaRefresh: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout | undefined;

  constructor(options: SentinelOptions) {
    super();
    this.#resolved = resolveSentinelOptions(options);
    this.#options = { ...options };
    this.#directory = new SentinelDirectory(this.#resolved.sentinels, this.#resolved.name);
    this.#connection = new Connection({
      ...this.#resolved.data.connection,
      resolveAddress: () => this.#resolvePrimary(),
      verifyServer: (send) => this.#verifyPrimary(send),
    });
    for (const event of ['connect', 'ready', 'reconnecting', 'end', 'push'] as const) {
      this.#connection.on(event, (...args: unknown[]) => this.emit(event, ...args));
    }
    this.#connection.on('error', (error: Error) => this.#emitError(error));
    // Before the side connections: their pool resumes on `ready` once the primary is current.
    const verified = new VerifiedPrimary(this.#connection, () => this.#primary, this.#resolved.name);
    this.#verified = verified;
    const { connection, commandTimeout, keyPrefix, dedicatedConnections } = this.#resolved.data;
    const whenKnown = () => verified.whenKnown(connection.connectTimeout);
    this.#sides = new SideConnections(this.#connection, {
      // Where the connection verified the primary, and checked there again (ROLE) on every socket.
      connection: {
        ...connection,
        resolveAddress: whenKnown,
        verifyServer: requireRole('master', () => this.#primary),
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
    if (this.#resolved.replicaReads) {
      this.#replicas = new ReplicaPool(this.#resolved.data.connection, (error) => this.#emitError(error));
    }
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
    return this.#primary === undefined ? undefined : addressText(this.#primary);
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
    const subscriber = new SentinelSubscriber(this.#resolved.sentinels, CHANNELS);
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string, index: number) =>
      this.#onSentinelEvent(channel, message, index),
    );
    subscriber.on('subscribed', () => this.#onSubscribed());
    subscriber.on('error', (error: Error) => this.#emitError(error));
    // Both at once, but the primary's outcome is the one reported: it says what went wrong in
    // terms of the primary (NO_PRIMARY, WRONG_ROLE), whichever of the two failed first.
    const [primary, subscription] = await Promise.allSettled([
      this.#connection.connect(),
      subscriber.start(),
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
    if (this.#replicas !== undefined) await this.#refreshReplicas();
    if (this.#subscriber === undefined) return; // closed meanwhile
    this.#checkTimer = setInterval(() => this.#checkPrimary(), CHECK_INTERVAL_MS);
    this.#checkTimer.unref();
  }

  /** Waits for every command already sent, then closes. */
  async quit(): Promise<void> {
    this.#stopFollowing();
    const control = this.#control?.connection;
    this.#control = undefined;
    this.#sides.close();
    await Promise.all([this.#connection.quit(), control?.quit(), this.#replicas?.close(true)]);
  }

  /** Closes at once; commands waiting for a reply fail (see `ConnectionError`). */
  disconnect(): void {
    this.#stopFollowing();
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
    return this.#primary === undefined ? undefined : { host: this.#primary.host, port: this.#primary.port };
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

  /** The connection's `resolveAddress`: asked before every (re)connect. */
  async #resolvePrimary(): Promise<Address> {
    const address =
      this.#primary === undefined ? await this.#firstPrimary() : await this.#directory.primary();
    this.#target = address;
    return address;
  }

  /**
   * The first resolution, which no reconnect strategy backs: while the sentinels name a node
   * that is not (or no longer) a primary, or cannot be reached, ask again until `connectTimeout`
   * has passed. A sentinel-level failure (none reachable, unknown name) fails at once.
   */
  async #firstPrimary(): Promise<Address> {
    const options = this.#resolved.data.connection;
    const deadline = performance.now() + options.connectTimeout;
    for (let attempt = 1; ; attempt++) {
      const address = await this.#directory.primary();
      let problem: Error;
      try {
        const role = await probeRole(options, address);
        if (role === 'master') return address;
        problem = wrongRole(address, role, 'master');
      } catch (error) {
        // Credentials the primary refuses will not improve with waiting.
        if (error instanceof ReplyError) throw error;
        problem = error as Error;
      }
      const delay = Math.min(500, 25 * 2 ** attempt);
      if (performance.now() + delay >= deadline) throw problem;
      await sleep(delay);
    }
  }

  /** The connection's `verifyServer`: after every handshake, the node must say it is the primary. */
  async #verifyPrimary(send: HandshakeSend): Promise<void> {
    const target = this.#target;
    const role = roleOf(await send('ROLE', []));
    if (role !== 'master') throw wrongRole(target, role, 'master');
    const announced = this.#announced?.address;
    if (this.#announced !== undefined && performance.now() - this.#announced.at > ANNOUNCEMENT_TRUST_MS) {
      this.#announced = undefined;
    } else if (target !== undefined && announced !== undefined) {
      if (addressText(announced) !== addressText(target)) {
        // The sentinel asked has not heard of the failover yet; the old primary still says
        // `master` until Sentinel demotes it, seconds later. Ask again (the announcer first).
        throw new SentinelError(
          `${addressText(target)} is the old primary: the sentinels announced ${addressText(announced)}`,
          'FAILOVER',
        );
      }
      this.#announced = undefined;
    }
    const previous = this.#primary;
    this.#primary = target;
    if (previous !== undefined && target !== undefined && addressText(previous) !== addressText(target)) {
      // Reached without an announcement (one missed, or the old primary died first): the side
      // connections may still be on the old primary.
      if (!this.#verified.isMoving) {
        const reason = `the primary of "${this.#resolved.name}" moved from ${addressText(previous)} to ${addressText(target)}`;
        this.#sides.moved(new SentinelError(reason, 'FAILOVER'));
      }
      this.emit('failover', { from: addressText(previous), to: addressText(target) });
      this.#scheduleReplicaRefresh(0);
    }
  }

  #onSentinelEvent(channel: string, message: string, index: number): void {
    const words = message.split(' ');
    if (channel === '+switch-master') {
      // <name> <old-ip> <old-port> <new-ip> <new-port>
      if (words[0] !== this.#resolved.name || words.length < 5) return;
      this.#moveTo({ host: words[3], port: Number(words[4]) }, index);
      return;
    }
    // <type> <name> <ip> <port> @ <master-name> <master-ip> <master-port>
    const at = words.indexOf('@');
    if (at < 4 || words[at + 1] !== this.#resolved.name) return;
    if (channel === '+promoted-slave') {
      // The failover leader announces the switch only once the other replicas follow the new
      // primary (a second or more later); this, the moment the replica says it is the primary.
      this.#moveTo({ host: words[2], port: Number(words[3]) }, index);
    } else {
      this.#scheduleReplicaRefresh(REPLICA_REFRESH_DELAY_MS);
    }
  }

  /** A sentinel (`index`) announced `to` as the new primary. */
  #moveTo(to: Address, index: number): void {
    this.#announced = { address: to, at: performance.now() };
    this.#directory.prefer(index);
    this.#follow(to, `the sentinels moved the primary of "${this.#resolved.name}" to ${addressText(to)}`);
    this.#scheduleReplicaRefresh(0);
  }

  /** (Re)subscribed: announcements may have been missed meanwhile, so ask where the primary is. */
  #onSubscribed(): void {
    this.#announced = undefined;
    this.#checkPrimary();
  }

  #checkPrimary(): void {
    if (this.#primary === undefined || this.#connection.status !== 'ready') return;
    this.#directory.primary().then(
      (address) => this.#follow(address, `the sentinels name ${addressText(address)} as the primary now`),
      (error: Error) => this.#emitError(error),
    );
    this.#scheduleReplicaRefresh(0);
  }

  /** Moves the connection to `address` unless it is there already. */
  #follow(address: Address, reason: string): void {
    const current = this.#primary;
    const there = current !== undefined && addressText(current) === addressText(address);
    if (there && this.#connection.status === 'ready') return;
    const error = new SentinelError(reason, 'FAILOVER');
    if (!there) {
      // Before the connection leaves: from now on side connections wait for the new primary.
      this.#verified.moving();
      this.#sides.moved(error);
    }
    this.#connection.reconnectNow(error);
  }

  #scheduleReplicaRefresh(delay: number): void {
    if (this.#replicas === undefined || this.#replicaRefresh !== undefined) return;
    this.#replicaRefresh = setTimeout(() => {
      this.#replicaRefresh = undefined;
      void this.#refreshReplicas();
    }, delay);
    this.#replicaRefresh.unref();
  }

  async #refreshReplicas(): Promise<void> {
    try {
      const replicas = await this.#directory.replicas();
      // A replica the sentinels have not yet moved out of the list may be the primary now.
      const primary = this.primary;
      await this.#replicas?.update(replicas.filter((replica) => addressText(replica) !== primary));
    } catch (error) {
      this.#emitError(error as Error);
    }
  }

  /** SCRIPT KILL / FUNCTION KILL on a side connection to the primary (see `Client`). */
  #sendOnControl(command: Command): void {
    const primary = this.#primary;
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

  #stopFollowing(): void {
    this.#subscriber?.close();
    this.#subscriber = undefined;
    this.#directory.close();
    if (this.#replicaRefresh !== undefined) clearTimeout(this.#replicaRefresh);
    if (this.#checkTimer !== undefined) clearInterval(this.#checkTimer);
    this.#replicaRefresh = undefined;
    this.#checkTimer = undefined;
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Never shows the password or TLS keys. */
  [inspect.custom](): string {
    return `Sentinel { name: ${this.#resolved.name}, primary: ${this.primary ?? 'unknown'}, status: ${this.status} }`;
  }
}

// Where a Sentinel client's primary is, and how that answer is kept true: kept apart from the
// client's command surface (`sentinel.ts`) because it weighs three sources that disagree during a
// failover — the sentinels asked in turn, the announcements of the one subscribed to, and what the
// node reached says to ROLE — and decides from them when the shared connection must move.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../connection/connection.js';
import type { HandshakeSend } from '../connection/handshake.js';
import { ReplyError, SentinelError } from '../errors.js';
import { type Address, addressText, SentinelDirectory } from './directory.js';
import type { ResolvedSentinelOptions } from './options.js';
import type { ReplicaPool } from './replicas.js';
import { probeRole, roleOf, wrongRole } from './role.js';
import { SentinelSubscriber } from './subscriber.js';
import { VerifiedPrimary } from './verified-primary.js';

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

/** What the tracker tells the client it works for. */
export interface PrimaryTrackerHost {
  /** The primary moved: nothing beside the shared connection may go on talking to the old one. */
  moved(reason: SentinelError): void;
  /** The shared connection reached a new primary (the client's `failover` event). */
  failedOver(from: string, to: string): void;
  /** A failure no caller is waiting for (a query in the background): the client's `error` event. */
  error(error: Error): void;
}

/**
 * Finds the primary of one Sentinel name for a shared connection and follows it: the connection's
 * `resolveAddress` and `verifyServer` are `resolve()` and `verify()`, and a subscription on one
 * sentinel (`listen()`) moves the connection when a failover is announced. Keeps the replica pool,
 * when there is one, to the replicas the sentinels consider healthy.
 */
export class PrimaryTracker {
  readonly #name: string;
  readonly #options: ResolvedSentinelOptions;
  readonly #connection: Connection;
  readonly #replicas: ReplicaPool | undefined;
  readonly #host: PrimaryTrackerHost;
  readonly #directory: SentinelDirectory;
  /** Where side connections go: `primary`, while the connection is there and staying. */
  readonly verified: VerifiedPrimary;
  #subscriber: SentinelSubscriber | undefined;
  /** Where the current connection attempt goes (resolved, not yet verified). */
  #target: Address | undefined;
  /** The primary the connection last verified. */
  #primary: Address | undefined;
  /** The primary the subscribed sentinel last announced, until the connection reaches it. */
  #announced: { address: Address; at: number } | undefined;
  #replicaRefresh: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout | undefined;

  /**
   * `connection`: the shared connection whose `resolveAddress`/`verifyServer` call this tracker.
   * Made before the side connections: their pool resumes on `ready`, once `verified` is current.
   */
  constructor(
    options: ResolvedSentinelOptions,
    connection: Connection,
    replicas: ReplicaPool | undefined,
    host: PrimaryTrackerHost,
  ) {
    this.#name = options.name;
    this.#options = options;
    this.#connection = connection;
    this.#replicas = replicas;
    this.#host = host;
    this.#directory = new SentinelDirectory(options.sentinels, options.name);
    this.verified = new VerifiedPrimary(connection, () => this.#primary, options.name);
  }

  /** The primary the connection last verified, if any. */
  get primary(): Address | undefined {
    return this.#primary;
  }

  /** Subscribes on a sentinel to the announcements; resolves once subscribed. */
  listen(): Promise<void> {
    const subscriber = new SentinelSubscriber(this.#options.sentinels, CHANNELS);
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string, index: number) =>
      this.#onSentinelEvent(channel, message, index),
    );
    subscriber.on('subscribed', () => this.#onSubscribed());
    subscriber.on('error', (error: Error) => this.#host.error(error));
    return subscriber.start();
  }

  /**
   * Once connected: the replicas' first list, then the sentinels asked again every
   * `CHECK_INTERVAL_MS` in case an announcement was missed.
   */
  async watch(): Promise<void> {
    if (this.#replicas !== undefined) await this.#refreshReplicas();
    if (this.#subscriber === undefined) return; // closed meanwhile
    this.#checkTimer = setInterval(() => this.#checkPrimary(), CHECK_INTERVAL_MS);
    this.#checkTimer.unref();
  }

  /** Stops listening and asking: the client is closing. */
  stop(): void {
    this.#subscriber?.close();
    this.#subscriber = undefined;
    this.#directory.close();
    if (this.#replicaRefresh !== undefined) clearTimeout(this.#replicaRefresh);
    if (this.#checkTimer !== undefined) clearInterval(this.#checkTimer);
    this.#replicaRefresh = undefined;
    this.#checkTimer = undefined;
  }

  /** The connection's `resolveAddress`: asked before every (re)connect. */
  async resolve(): Promise<Address> {
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
    const options = this.#options.data.connection;
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
  async verify(send: HandshakeSend): Promise<void> {
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
      if (!this.verified.isMoving) {
        const reason = `the primary of "${this.#name}" moved from ${addressText(previous)} to ${addressText(target)}`;
        this.#host.moved(new SentinelError(reason, 'FAILOVER'));
      }
      this.#host.failedOver(addressText(previous), addressText(target));
      this.#scheduleReplicaRefresh(0);
    }
  }

  #onSentinelEvent(channel: string, message: string, index: number): void {
    const words = message.split(' ');
    if (channel === '+switch-master') {
      // <name> <old-ip> <old-port> <new-ip> <new-port>
      if (words[0] !== this.#name || words.length < 5) return;
      this.#moveTo({ host: words[3], port: Number(words[4]) }, index);
      return;
    }
    // <type> <name> <ip> <port> @ <master-name> <master-ip> <master-port>
    const at = words.indexOf('@');
    if (at < 4 || words[at + 1] !== this.#name) return;
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
    this.#follow(to, `the sentinels moved the primary of "${this.#name}" to ${addressText(to)}`);
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
      (error: Error) => this.#host.error(error),
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
      this.verified.moving();
      this.#host.moved(error);
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
      const primary = this.#primary === undefined ? undefined : addressText(this.#primary);
      await this.#replicas?.update(replicas.filter((replica) => addressText(replica) !== primary));
    } catch (error) {
      this.#host.error(error as Error);
    }
  }
}

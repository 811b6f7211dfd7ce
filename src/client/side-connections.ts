import type { Command } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/options.js';
import { ConnectionError } from '../errors.js';
import { type Placement, PubSub } from '../pubsub/pubsub.js';
import { DedicatedPool } from './dedicated-pool.js';
import { ANY_SLOT, type IsolationBinding } from './isolated.js';

export interface SideConnectionOptions {
  /**
   * The options of every side connection: where it goes (`host`/`port`, or `resolveAddress` for a
   * server that moves) and what it checks there (`verifyServer`). A subscriber connection goes
   * where the placement says instead.
   */
  readonly connection: ConnectionOptions;
  readonly commandTimeout: number;
  readonly keyPrefix: string;
  readonly dedicatedConnections: number;
  /** Where subscriptions live; asked once, on the first subscribe. */
  readonly placement: () => Placement;
}

/**
 * The connections a client of one primary (`Client`, `Sentinel`) keeps beside its shared one,
 * each made on first use: the subscriber connection of its pub/sub, and the pool of dedicated
 * connections for blocking commands and `isolated()`.
 *
 * The pool follows the shared connection: while it is away, callers wait for the server as queued
 * commands do (up to `offlineTimeout`); when it closes for good, they fail. Subscriptions follow
 * their own reconnect attempts (the same strategy) and end with its error.
 */
export class SideConnections {
  readonly #shared: Connection;
  readonly #options: SideConnectionOptions;
  #dedicated: DedicatedPool | undefined;
  #pubsub: PubSub | undefined;

  constructor(shared: Connection, options: SideConnectionOptions) {
    this.#shared = shared;
    this.#options = options;
    const offlineTimeout = options.connection.offlineTimeout;
    shared.on('reconnecting', () => this.#dedicated?.pause(offlineTimeout));
    shared.on('ready', () => this.#dedicated?.resume());
    shared.on('end', () => {
      this.#dedicated?.close();
      this.#dedicated = undefined;
    });
  }

  /** The pub/sub, made on first use. Throws `ConnectionError` unless the client is open. */
  pubsub(): PubSub {
    this.#refuseUnlessOpen('subscribe');
    if (this.#pubsub === undefined) {
      const { connection, commandTimeout } = this.#options;
      this.#pubsub = new PubSub(this.#options.placement(), {
        connection,
        reconnect: connection.reconnect,
        subscribeTimeout: commandTimeout || connection.offlineTimeout,
      });
    }
    return this.#pubsub;
  }

  /** Where `isolated()` sessions get their connections: the dedicated pool. */
  isolation(): IsolationBinding {
    const { commandTimeout, keyPrefix } = this.#options;
    return {
      slotOf: () => ANY_SLOT,
      pinsToSlot: false,
      commandTimeout,
      keyPrefix,
      lease: async () => {
        this.#refuseUnlessOpen('isolated()');
        const pool = this.#dedicatedPool();
        const connection = await pool.lease(commandTimeout > 0 ? performance.now() + commandTimeout : 0);
        return { connection, release: (clean: boolean) => pool.giveBack(connection, clean) };
      },
    };
  }

  /** A blocking call goes to a connection of its own, so it never delays the shared one. */
  sendBlocking(command: Command): void {
    const status = this.#shared.status;
    const refused = status === 'closing' || status === 'closed' || status === 'idle';
    if (refused || (status !== 'ready' && !this.#options.connection.offlineQueue)) {
      // Same answer as the shared connection would give; never open a socket for a closed client.
      this.#shared.send(command);
      return;
    }
    this.#dedicatedPool().send(command);
  }

  /**
   * The primary moved (a Sentinel failover): nothing may go on talking to the old one. Subscriber
   * connections close, so their subscriptions are `interrupted` and restored where the placement
   * says, then `resumed`; dedicated connections close, so blocking calls and `isolated()` sessions
   * on them fail as writes in flight on the shared connection do (`CONNECTION_LOST`, may have
   * run, `reason` as the cause); callers still waiting for one wait for the new primary.
   */
  moved(reason: Error): void {
    const pool = this.#dedicated;
    if (pool !== undefined) {
      pool.pause(this.#options.connection.offlineTimeout);
      pool.closeConnections(reason);
    }
    this.#pubsub?.relocate(reason);
  }

  /** Subscriptions end (`end`, no error); blocking calls still waiting fail. */
  close(): void {
    this.#pubsub?.close();
    this.#dedicated?.close();
    this.#dedicated = undefined;
  }

  #dedicatedPool(): DedicatedPool {
    if (this.#dedicated === undefined) {
      const { connection, dedicatedConnections } = this.#options;
      this.#dedicated = new DedicatedPool(connection, dedicatedConnections, connection.maxQueuedCommands);
      if (this.#shared.status !== 'ready') this.#dedicated.pause(connection.offlineTimeout);
    }
    return this.#dedicated;
  }

  #refuseUnlessOpen(what: string): void {
    const status = this.#shared.status;
    if (status === 'idle') throw new ConnectionError(`${what}: call connect() first`, 'NOT_CONNECTED', false);
    if (status === 'closing' || status === 'closed') {
      throw new ConnectionError(`${what}: the client is closed`, 'CONNECTION_CLOSED', false);
    }
  }
}

import { Command } from '../connection/command.js';
import { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/options.js';
import { AbortError, ReplyError, TimeoutError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { type Address, addressText } from './directory.js';
import { requireRole } from './role.js';

/**
 * Reply codes after which a read goes to the primary instead: the replica cannot serve it now
 * (still loading, cut off from its primary with `replica-serve-stale-data no`), or it lacked a
 * function and may not load one (FUNCTION LOAD on a replica answers READONLY).
 */
const READ_FROM_PRIMARY: ReadonlySet<string> = new Set(['READONLY', 'LOADING', 'MASTERDOWN']);

/**
 * Connections to the replicas the sentinels list as healthy, for reads (`replicaReads`).
 *
 * Replica connections have no offline queue: a read for a replica that is down fails at once as
 * not sent, and goes to the primary. Each connection checks ROLE after every handshake, so a
 * replica promoted by a failover (and not yet dropped from the list) is refused on reconnect.
 */
export class ReplicaPool {
  readonly #options: ConnectionOptions;
  readonly #connections = new Map<string, Connection>();
  #turn = 0;
  readonly #onError: (error: Error) => void;

  constructor(options: ConnectionOptions, onError: (error: Error) => void) {
    this.#options = { ...options, offlineQueue: false, resolveAddress: undefined };
    this.#onError = onError;
  }

  /** `host:port` of the replicas whose connections are ready. */
  get ready(): string[] {
    return [...this.#connections]
      .filter(([, connection]) => connection.status === 'ready')
      .map(([key]) => key);
  }

  /**
   * Keeps a connection to each of `replicas` and closes the others (after their pending
   * replies). Resolves once every new connection is ready or has failed (never rejects).
   */
  update(replicas: readonly Address[]): Promise<void> {
    const connecting: Promise<void>[] = [];
    const wanted = new Set(replicas.map(addressText));
    for (const [key, connection] of this.#connections) {
      if (wanted.has(key) && connection.status !== 'closed') continue;
      this.#connections.delete(key);
      connection.quit().catch(() => undefined);
    }
    for (const replica of replicas) {
      const key = addressText(replica);
      if (this.#connections.has(key)) continue;
      const connection = new Connection({
        ...this.#options,
        host: replica.host,
        port: replica.port,
        verifyServer: requireRole('slave', () => replica),
      });
      connection.on('error', (error: Error) => this.#onError(error));
      connecting.push(connection.connect().catch(() => undefined));
      this.#connections.set(key, connection);
    }
    return Promise.all(connecting).then(() => undefined);
  }

  /** A ready replica connection, taken in turn, or undefined when none is ready. */
  pick(): Connection | undefined {
    const connections = [...this.#connections.values()];
    for (let i = 0; i < connections.length; i++) {
      const connection = connections[this.#turn++ % connections.length];
      if (connection.status === 'ready') return connection;
    }
    return undefined;
  }

  /** Every ready replica connection (SCRIPT LOAD / SCRIPT FLUSH go to each). */
  readyConnections(): Connection[] {
    return [...this.#connections.values()].filter((connection) => connection.status === 'ready');
  }

  async close(graceful: boolean): Promise<void> {
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    if (graceful)
      await Promise.all(connections.map((connection) => connection.quit().catch(() => undefined)));
    else for (const connection of connections) connection.disconnect();
  }
}

/**
 * Runs a read-only `command` on `replica` through a wire-level copy, and settles `command` with
 * its answer — or, when the replica could not serve it, sends `command` itself to `primary`.
 * Resending is safe however far the copy got: the command only reads (DESIGN §3).
 */
export function readFromReplica(command: Command, replica: Connection, primary: Connection): void {
  const wire = new Command(command.name, command.encodedName, command.args);
  wire.buffers = command.buffers;
  wire.hook = command.hook;
  wire.runsCode = command.runsCode;
  wire.deadline = command.deadline;
  // Where to retry is decided here, not by the replica connection.
  wire.retryable = false;
  replica.send(wire);
  wire.promise.then(
    (reply) => command.resolve(reply as RespValue, replica.resp),
    (error: Error) => {
      if (command.isDone) return;
      const toPrimary =
        error instanceof ReplyError
          ? READ_FROM_PRIMARY.has(error.code)
          : !(error instanceof TimeoutError || error instanceof AbortError);
      if (!toPrimary) {
        command.reject(error);
        return;
      }
      primary.send(command);
    },
  );
}

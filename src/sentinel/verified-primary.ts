import type { Connection } from '../connection/connection.js';
import { ConnectionError, SentinelError } from '../errors.js';
import type { Address } from './directory.js';

/**
 * Where a Sentinel's side connections (subscriber, dedicated pool) may go: the primary its shared
 * connection found through the sentinels and verified with ROLE — known while that connection is
 * ready there and no move is under way. Side connections never ask the sentinels themselves:
 * during a failover a sentinel may still name the old primary, which still says `master`, and
 * only the shared connection weighs that against the announcement (see `PrimaryTracker`).
 */
export class VerifiedPrimary {
  readonly #connection: Connection;
  readonly #primary: () => Address | undefined;
  readonly #name: string;
  /** The primary is known to have moved and the shared connection is not on the new one yet. */
  #moving = false;
  readonly #waiters: Array<(error: Error | undefined) => void> = [];

  /** `primary`: the primary the shared connection last verified (it is set before `ready`). */
  constructor(connection: Connection, primary: () => Address | undefined, name: string) {
    this.#connection = connection;
    this.#primary = primary;
    this.#name = name;
    connection.on('ready', () => {
      this.#moving = false;
      this.#settle(undefined);
    });
    connection.on('end', () =>
      this.#settle(new ConnectionError('the Sentinel client was closed', 'CONNECTION_CLOSED', false)),
    );
  }

  /** The primary side connections may go to now, or `undefined` while there is none to trust. */
  get current(): Address | undefined {
    return this.#connection.status === 'ready' && !this.#moving ? this.#primary() : undefined;
  }

  /** The sentinels announced a new primary: until the shared connection is there, nothing is current. */
  moving(): void {
    this.#moving = true;
  }

  get isMoving(): boolean {
    return this.#moving;
  }

  /**
   * The current primary, once there is one (a failover, a reconnect). Waits at most `timeout` ms,
   * then rejects with `SentinelError` `NO_PRIMARY`; rejects at once when the client closes.
   */
  whenKnown(timeout: number): Promise<Address> {
    const now = this.current;
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(settle);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(
          new SentinelError(
            `no primary of "${this.#name}" was verified within ${timeout} ms (connectTimeout)`,
            'NO_PRIMARY',
          ),
        );
      }, timeout);
      timer.unref();
      const settle = (error: Error | undefined) => {
        clearTimeout(timer);
        const primary = this.current;
        if (error === undefined && primary !== undefined) resolve(primary);
        else reject(error ?? new SentinelError(`the primary of "${this.#name}" is not known`, 'NO_PRIMARY'));
      };
      this.#waiters.push(settle);
    });
  }

  #settle(error: Error | undefined): void {
    for (const settle of this.#waiters.splice(0)) settle(error);
  }
}

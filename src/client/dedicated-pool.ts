import type { Command, SettleListener } from '../connection/command.js';
import { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/options.js';
import { Queue } from '../connection/queue.js';
import { AbortError, ConnectionError, TimeoutError } from '../errors.js';

/**
 * One blocking command's stay in a pool: waiting for a connection, then on one until it settles
 * (or, on a cluster, is redirected elsewhere). Its `commandSettled` is the command's listener.
 */
class Run implements SettleListener {
  readonly command: Command;
  readonly before: Command | undefined;
  connection: Connection | undefined = undefined;
  readonly #done: (run: Run) => void;

  constructor(command: Command, before: Command | undefined, done: (run: Run) => void) {
    this.command = command;
    this.before = before;
    this.#done = done;
  }

  get isDone(): boolean {
    return this.command.isDone;
  }

  commandSettled(): void {
    this.#done(this);
  }
}

/** An `isolated()` caller waiting for a connection of its own. */
class Lease {
  readonly deadline: number;
  isDone = false;
  readonly #resolve: (connection: Connection) => void;
  readonly #reject: (error: Error) => void;

  constructor(deadline: number, resolve: (connection: Connection) => void, reject: (error: Error) => void) {
    this.deadline = deadline;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  grant(connection: Connection): void {
    this.isDone = true;
    this.#resolve(connection);
  }

  refuse(error: Error): void {
    this.isDone = true;
    this.#reject(error);
  }
}

type Waiter = Run | Lease;

/**
 * Cancels a blocking command for its AbortSignal, wherever it is in a pool: not yet sent, it does
 * not run; on its connection, the connection settles it (and the pool then closes that connection,
 * which unblocks the server side). `false` when the command is not a pool's.
 */
export function abortDedicated(command: Command): boolean {
  const run = command.listener;
  if (!(run instanceof Run)) return false;
  if (run.connection !== undefined) run.connection.abort(command);
  else command.reject(new AbortError(false, { cause: command.signal?.reason }));
  return true;
}

/**
 * Connections of their own, to one server, for what must not share the auto-pipelined one:
 * blocking commands (BLPOP and kin hold a connection while they wait, and would hold up every
 * command queued behind them) and `isolated()` sessions (WATCH/MULTI/EXEC that no other caller
 * may interleave with). At most `limit` connections; further callers wait in order in a queue of
 * at most `queueLimit`, each until its own deadline.
 *
 * A connection is handed back clean or not at all: when a blocking command settled before its
 * reply came (its timeout, its AbortSignal), the server may still have it blocked — and would
 * hand it the next element pushed, which nobody would read — so that connection is closed, which
 * ends the server's wait. Connections never reconnect: a lost one is replaced by a new one.
 */
export class DedicatedPool {
  readonly #options: ConnectionOptions;
  /** The connection opened last: where the pool last tried to reach, for messages. */
  #lastOpened: Connection | undefined;
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #idle: Connection[] = [];
  readonly #busy = new Set<Connection>();
  #opening = 0;
  #waiting = new Queue<Waiter>();
  #paused = false;
  /** Paused for longer than the offline limit: callers fail at once until `resume()`. */
  #offline = false;
  #offlineTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Counts `closeConnections()`: a connection opened before the latest one is not kept. */
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #runDone = (run: Run) => {
    const connection = run.connection;
    run.connection = undefined;
    // After the settling call returns: the connection is in the middle of handling a reply.
    if (connection !== undefined) queueMicrotask(() => this.#release(connection, true));
  };

  constructor(options: ConnectionOptions, limit: number, queueLimit: number) {
    this.#options = { ...options, reconnect: false, offlineQueue: false };
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  /** Connections open or opening. */
  get size(): number {
    return this.#idle.length + this.#busy.size + this.#opening;
  }

  /** Callers waiting for a connection. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs a blocking command on a connection of its own; `before` (ASKING) goes just ahead of it
   * on the same connection. Never throws; a refusal rejects the command (it did not run).
   */
  send(command: Command, before?: Command): void {
    const previous = command.listener;
    if (previous instanceof Run) {
      // Redirected here from a connection of a pool (MOVED): that connection is free again.
      previous.commandSettled();
    }
    const refusal = this.#refusal(command.name);
    if (refusal !== undefined) {
      command.reject(refusal);
      return;
    }
    const run = new Run(command, before, this.#runDone);
    command.listener = run;
    this.#enqueue(run, command.deadline);
  }

  /** A connection for the caller alone until `giveBack`; waits until `deadline` (0: no limit). */
  lease(deadline: number): Promise<Connection> {
    const refusal = this.#refusal('isolated()');
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise((resolve, reject) => this.#enqueue(new Lease(deadline, resolve, reject), deadline));
  }

  /** Ends a lease; `reusable` when the connection is known to be clean (no WATCH, nothing pending). */
  giveBack(connection: Connection, reusable: boolean): void {
    this.#release(connection, reusable);
  }

  /**
   * The server is unreachable: hold callers until `resume()` (their deadlines still run). After
   * `failAfter` ms (0: never) the waiting callers fail as not run, and new ones fail at once —
   * as the shared connection does with `offlineTimeout`.
   */
  pause(failAfter: number): void {
    if (this.#paused) return;
    this.#paused = true;
    if (failAfter === 0) return;
    this.#offlineTimer = setTimeout(() => {
      this.#offlineTimer = undefined;
      this.#offline = true;
      const unreachable = (name: string) => this.#unreachable(name, failAfter);
      for (const waiter of this.#waiting.drain()) if (!waiter.isDone) this.#refuse(waiter, unreachable);
    }, failAfter);
    this.#offlineTimer.unref();
  }

  resume(): void {
    if (this.#offlineTimer !== undefined) clearTimeout(this.#offlineTimer);
    this.#offlineTimer = undefined;
    this.#offline = false;
    this.#paused = false;
    this.#drain();
  }

  /**
   * The server these connections reach is no longer the one wanted (a Sentinel failover): closes
   * the idle ones, drops the busy ones — their commands fail as lost, may have run, with `reason`
   * as the cause — and discards those still opening. Waiting callers stay queued for new ones.
   */
  closeConnections(reason: Error): void {
    this.#generation++;
    for (const connection of this.#idle.splice(0)) connection.disconnect();
    // Not disconnect(): its error would blame the server for closing; this one says why.
    for (const connection of this.#busy) connection.reconnectNow(reason);
  }

  /** Fails the waiting callers (they did not run) and closes every connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#offlineTimer !== undefined) clearTimeout(this.#offlineTimer);
    const closed = (name: string) =>
      new ConnectionError(`${name}: the client was closed before it was sent`, 'CONNECTION_CLOSED', false);
    for (const waiter of this.#waiting.drain()) this.#refuse(waiter, closed);
    for (const connection of this.#idle.splice(0)) connection.quit().catch(() => undefined);
    // A blocked command may wait forever: closing does not wait for it (it fails as CONNECTION_LOST).
    for (const connection of this.#busy) connection.disconnect();
    this.#busy.clear();
  }

  #refusal(name: string): ConnectionError | undefined {
    if (this.#closed) {
      return new ConnectionError(`${name}: the client was closed`, 'CONNECTION_CLOSED', false);
    }
    if (this.#offline) return this.#unreachable(name, 0);
    if (this.#waiting.length >= this.#queueLimit) {
      return new ConnectionError(
        `${name}: too many callers waiting for a dedicated connection (${this.#queueLimit})`,
        'QUEUE_FULL',
        false,
      );
    }
    return undefined;
  }

  #unreachable(name: string, after: number): ConnectionError {
    return new ConnectionError(
      `${name}: ${this.#lastOpened?.address ?? `${this.#options.host}:${this.#options.port}`} has been unreachable${after > 0 ? ` for over ${after} ms` : ' too long'} (offlineTimeout); the command did not run`,
      'NOT_CONNECTED',
      false,
    );
  }

  #enqueue(waiter: Waiter, deadline: number): void {
    this.#waiting.push(waiter);
    if (deadline > 0 && deadline < this.#timerAt) this.#arm(deadline);
    this.#drain();
  }

  /** Serves waiters in order while there are connections; opens more, up to the limit, for the rest. */
  #drain(): void {
    if (this.#paused || this.#closed) return;
    while (this.#waiting.length > 0) {
      const waiter = this.#waiting.peek()!;
      if (waiter.isDone) {
        this.#waiting.shift();
        continue;
      }
      const connection = this.#takeIdle();
      if (connection === undefined) {
        while (this.size < this.#limit && this.#opening < this.#waiting.length) this.#open();
        return;
      }
      this.#waiting.shift();
      this.#busy.add(connection);
      if (waiter instanceof Lease) {
        waiter.grant(connection);
      } else {
        waiter.connection = connection;
        if (waiter.before !== undefined) connection.send(waiter.before);
        connection.send(waiter.command);
      }
    }
  }

  #takeIdle(): Connection | undefined {
    for (let connection = this.#idle.pop(); connection !== undefined; connection = this.#idle.pop()) {
      if (connection.status === 'ready') return connection;
      connection.disconnect();
    }
    return undefined;
  }

  #open(): void {
    this.#opening++;
    const generation = this.#generation;
    const connection = new Connection(this.#options);
    this.#lastOpened = connection;
    // Problems reach callers through their commands; an unobserved one must not crash the process.
    connection.on('error', () => undefined);
    connection.connect().then(
      () => {
        this.#opening--;
        if (this.#closed) {
          connection.disconnect();
          return;
        }
        // Opened to the server the pool has since left: the next drain opens another.
        if (generation !== this.#generation) connection.disconnect();
        else this.#idle.push(connection);
        this.#drain();
      },
      (error: Error) => {
        this.#opening--;
        // One failed connect fails the first caller (it did not run) rather than keeping everyone
        // waiting on a server that is down; the next callers try again.
        const failure = (name: string) =>
          new ConnectionError(
            `${name}: could not open a dedicated connection to ${connection.address}: ${error.message}`,
            'NOT_CONNECTED',
            false,
            { cause: error },
          );
        while (this.#waiting.length > 0) {
          const waiter = this.#waiting.shift()!;
          if (waiter.isDone) continue;
          this.#refuse(waiter, failure, connection);
          break;
        }
        this.#drain();
      },
    );
  }

  /** Fails a waiter that was never sent; a command's own recovery (a cluster's retry) comes first. */
  #refuse(waiter: Waiter, error: (name: string) => ConnectionError, connection?: Connection): void {
    if (waiter instanceof Lease) {
      waiter.refuse(error('isolated()'));
      return;
    }
    const failure = error(waiter.command.name);
    if (connection === undefined || !waiter.command.recover(failure, connection))
      waiter.command.reject(failure);
  }

  #release(connection: Connection, reusable: boolean): void {
    if (!this.#busy.delete(connection)) return;
    if (!reusable || this.#closed || connection.status !== 'ready' || connection.pendingCount > 0) {
      connection.disconnect();
    } else {
      this.#idle.push(connection);
    }
    this.#drain();
  }

  /** One timer for the waiting callers' deadlines, armed for the earliest. */
  #arm(deadline: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, deadline - performance.now()));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const kept = new Queue<Waiter>(Math.max(16, this.#waiting.length));
    let next = Number.POSITIVE_INFINITY;
    for (const waiter of this.#waiting.drain()) {
      if (waiter.isDone) continue;
      const deadline = waiter instanceof Lease ? waiter.deadline : waiter.command.deadline;
      if (deadline > 0 && deadline <= now) {
        const message = (name: string) =>
          `${name} timed out waiting for a dedicated connection; it did not run`;
        if (waiter instanceof Lease) waiter.refuse(new TimeoutError(message('isolated()'), false));
        else waiter.command.reject(new TimeoutError(message(waiter.command.name), false));
        continue;
      }
      if (deadline > 0 && deadline < next) next = deadline;
      kept.push(waiter);
    }
    this.#waiting = kept;
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }
}

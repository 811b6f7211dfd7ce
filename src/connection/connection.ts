import { EventEmitter } from 'node:events';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { inspect } from 'node:util';
import {
  AbortError,
  ConnectionError,
  type ConnectionErrorCode,
  ProtocolError,
  RedisError,
  ReplyError,
  TimeoutError,
} from '../errors.js';
import { Decoder } from '../resp/decoder.js';
import { argumentError, CommandWriter, isRedisArg } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { type ConnectMessage, connectChannel, debug } from '../telemetry/channels.js';
import { Command, CommandState, encodedNameOf } from './command.js';
import { Deadlines } from './deadlines.js';
import { handshake, type ServerHello } from './handshake.js';
import type { ConnectionOptions } from './options.js';
import type { PackedCalls } from './packed.js';
import { PendingCommands } from './pending.js';
import { Reader } from './reader.js';

/** Above this many bytes batched in one turn, write at once rather than at the end of the turn. */
const EAGER_FLUSH_BYTES = 256 * 1024;
export type ConnectionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

/**
 * One socket to one Redis server, shared by every caller (auto-pipelining).
 *
 * Queue invariant — `#pending` (see `pending.ts`) holds every accepted, unsettled-by-reply command
 * in send order: the first `inFlight` of them written to this socket, the rest encoded in
 * `#writer` when ready, plain Command objects otherwise. Replies arrive in the same order (Redis
 * answers one connection FIFO), so each reply belongs to `#pending.shift()`. A command settled
 * early (timeout, abort) stays in place until its reply arrives and is then discarded. When the
 * socket drops, `PendingCommands.settleWritten` applies DESIGN §3 to what was written; the rest
 * is encoded again on the next socket, after the handshake, in its original order.
 *
 * What a higher layer needs of it is kept to small hooks: a command's own `recover` (called
 * before it fails), `session` (facts about the server that hold for the current socket only),
 * `outOfBand` (replies that answer no command, e.g. a RESP2 subscriber's messages) and `push`.
 *
 * Events: `connect` (socket open), `ready` (handshake done), `reconnecting` ({ attempt, delay,
 * error }), `error` (a `ConnectionError` or `ProtocolError`, only emitted when someone listens),
 * `end` (closed for good), `push` (RESP3 out-of-band frames).
 */
export class Connection extends EventEmitter {
  readonly options: ConnectionOptions;
  /**
   * Replies that answer no queued command — a RESP2 subscriber's messages — are offered here
   * first: return `true` to consume one. Unset (the default) costs nothing per reply.
   */
  outOfBand: ((reply: RespValue) => boolean) | undefined = undefined;
  #status: ConnectionStatus = 'idle';
  #socket: Socket | undefined;
  #pending = new PendingCommands(64);
  #writer = new CommandWriter();
  #decoder: Decoder;
  #deadlines: Deadlines;
  #flushScheduled = false;
  #blocked = false;
  #hello: ServerHello | undefined;
  /** The protocol of the current socket, read on every reply (picks the reply shaper). */
  #resp: 2 | 3;
  #attempt = 0;
  /** The last socket was closed over a reply that broke the protocol: backoff must not restart. */
  #brokeProtocol = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Armed when the server is lost; when it fires, queued commands fail (see `offlineTimeout`). */
  #offlineTimer: NodeJS.Timeout | undefined;
  /** The server has been unreachable for longer than `offlineTimeout`: fail fast until it is back. */
  #offlineTooLong = false;
  #firstConnect: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** The first connect's promise, shared by every caller of connect(). */
  #connecting: Promise<void> | undefined;
  #closeWaiters: Array<() => void> = [];
  #session = new Map<object, unknown>();
  #lastError: Error | undefined;
  #host: string;
  #port: number;

  readonly #flush = () => this.#flushNow();
  readonly #reader: Reader;
  readonly #onDrain = () => {
    this.#blocked = false;
    this.#writer.released();
    this.#flushNow();
  };

  constructor(options: ConnectionOptions) {
    super();
    this.options = options;
    this.#resp = options.resp;
    this.#host = options.host;
    this.#port = options.port;
    this.#decoder = new Decoder({
      onReply: (value) => this.#onReply(value),
      onPush: (value) => this.emit('push', value),
      maxBulkLength: options.maxBulkLength,
      maxReplyDepth: options.maxReplyDepth,
      maxReplyElements: options.maxReplyElements,
    });
    this.#deadlines = new Deadlines((command) => this.#expire(command));
    const connection = this;
    this.#reader = new Reader(this.#decoder, {
      get inFlight() {
        return connection.#pending.inFlight;
      },
      brokenRead: (error) => this.#brokenRead(error),
      resuming: () => {
        if (this.#flushScheduled) this.#flushNow();
      },
    });
  }

  /**
   * `host:port` of the server this connection last tried to reach: the configured one, or where
   * `resolveAddress` pointed it (a Sentinel's primary). Named in errors and logs.
   */
  get address(): string {
    return `${this.#host}:${this.#port}`;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** The protocol negotiated on the current socket (the configured one before connecting). */
  get resp(): 2 | 3 {
    return this.#resp;
  }

  /** The server's version as reported by HELLO, when RESP3 was negotiated. */
  get serverVersion(): string | undefined {
    return this.#hello?.version;
  }

  /** Commands accepted and not yet answered. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Facts about the server that hold while the current socket lasts (which scripts it holds,
   * say), keyed by whoever keeps them. A new socket starts with an empty one.
   */
  get session(): Map<object, unknown> {
    return this.#session;
  }

  /**
   * Opens the socket and runs the handshake. Rejects if the first attempt fails. Idempotent:
   * while connecting it returns the same promise; once connected it resolves at once; a closed
   * connection cannot be opened again (create a new one).
   */
  connect(): Promise<void> {
    const closed = this.#status === 'closing' || this.#status === 'closed';
    if (this.#connecting !== undefined && !closed) return this.#connecting;
    if (this.#status !== 'idle') {
      return Promise.reject(
        new ConnectionError(`connect() called on a ${this.#status} connection`, 'CONNECTION_CLOSED', false),
      );
    }
    this.#connecting = new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.#open();
    });
    // A failed first connect closes the connection for good: later calls give that answer.
    this.#connecting.catch(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * Accepts a command: written in this turn's batch when ready, queued while (re)connecting.
   * Never throws; refusals reject the command (bad arguments, queue full, closed).
   */
  send(command: Command): void {
    const status = this.#status;
    if (status !== 'ready') {
      const refusal = this.#refuseWhileNotReady(command);
      if (refusal !== undefined) {
        command.reject(refusal);
        return;
      }
    } else {
      if (command.packed) {
        if (!this.#acceptPacked(command as PackedCalls)) return;
      } else {
        if (!this.hasRoomFor(1)) {
          command.reject(this.queueFullError());
          return;
        }
        try {
          this.#writer.append(command.encodedName, command.args, command.name);
        } catch (error) {
          command.reject(error as Error);
          return;
        }
      }
    }
    if (this.#pending.length === 0) this.#decoder.returnBuffers = command.buffers;
    // Pushed before any flush: #flushNow counts everything in #pending as written.
    this.#pending.push(command);
    if (command.onSent !== undefined) command.onSent(this);
    if (command.deadline > 0) this.#deadlines.add(command);
    if (status === 'ready') {
      if (this.#writer.pendingBytes > EAGER_FLUSH_BYTES) this.#flushNow();
      else if (!this.#flushScheduled) this.#schedule();
    }
  }

  /**
   * Whether `count` more commands fit under `maxQueuedCommands` now. A transaction or a pipeline
   * asks first, and is refused whole (`queueFullError`) rather than accepted in part: a MULTI
   * accepted without its EXEC would leave the connection inside a transaction.
   */
  hasRoomFor(count: number): boolean {
    return this.#pending.unwritten + count <= this.options.maxQueuedCommands;
  }

  /** The error of a command refused because the queue is full. */
  queueFullError(): ConnectionError {
    return queueFull(this.options.maxQueuedCommands);
  }

  /** Encodes a packed pipeline whole, or refuses it whole (the queue bound counts each call). */
  #acceptPacked(calls: PackedCalls): boolean {
    if (!this.hasRoomFor(calls.size)) {
      calls.reject(this.queueFullError());
      return false;
    }
    try {
      calls.encode(this.#writer);
    } catch (error) {
      calls.reject(error as Error);
      return false;
    }
    this.#pending.unwrittenExtra += calls.size - 1;
    return true;
  }

  /**
   * Writes a command that no reply in the FIFO answers: SUBSCRIBE and kin, whose confirmations
   * arrive as pushes (RESP3) or as messages (RESP2), one per channel, and are read by whoever set
   * `outOfBand` or listens to `push`. Only while ready: the caller says everything again on the
   * next socket, so nothing is queued. Replies are decoded as Buffers when `buffers` is set and no
   * command is waiting. Throws `ConnectionError` (`NOT_CONNECTED`) or `ArgumentError`.
   */
  writeOutOfBand(name: string, args: readonly RedisArg[], buffers: boolean): void {
    if (this.#status !== 'ready') {
      throw new ConnectionError(`${name}: the connection is not ready`, 'NOT_CONNECTED', false);
    }
    this.#writer.append(encodedNameOf(name), args, name);
    if (this.#pending.length === 0) this.#decoder.returnBuffers = buffers;
    if (this.#writer.pendingBytes > EAGER_FLUSH_BYTES) this.#flushNow();
    else if (!this.#flushScheduled) this.#schedule();
  }

  /** Cancels a command for its AbortSignal (see `Command.watchSignal`). */
  abort(command: Command): void {
    if (command.isDone) return;
    command.reject(new AbortError(this.#mayHaveRun(command), { cause: command.signal?.reason }));
  }

  /** Sends QUIT after everything already queued, waits for the server to close, then closes. */
  async quit(): Promise<void> {
    if (this.#status === 'closed' || this.#status === 'idle') {
      this.#status = 'closed';
      return;
    }
    if (this.#status !== 'ready') {
      // Connecting or waiting to reconnect: nothing was acknowledged on this socket yet.
      this.#status = 'closing';
      this.#socket?.destroy();
      this.#closeForGood(undefined);
      return;
    }
    const quit = new Command('QUIT', encodedNameOf('QUIT'), []);
    this.send(quit);
    this.#status = 'closing';
    await quit.promise.catch(() => undefined);
    const closed = this.#waitClosed();
    this.#socket?.end();
    await closed;
  }

  /** Closes at once. Written commands fail with CONNECTION_LOST, queued ones with CONNECTION_CLOSED. */
  disconnect(): void {
    if (this.#status === 'closed') return;
    this.#status = 'closing';
    if (this.#socket !== undefined) this.#socket.destroy();
    else this.#closeForGood(undefined);
  }

  #refuseWhileNotReady(command: Command): RedisError | undefined {
    switch (this.#status) {
      case 'idle':
        return new ConnectionError(`${command.name}: call connect() first`, 'NOT_CONNECTED', false);
      case 'closing':
      case 'closed':
        return new ConnectionError(`${command.name}: the connection is closed`, 'CONNECTION_CLOSED', false);
    }
    if (!this.options.offlineQueue) {
      return new ConnectionError(
        `${command.name}: not connected and the offline queue is disabled`,
        'NOT_CONNECTED',
        false,
      );
    }
    if (this.#offlineTooLong) return this.#unreachable(command.name);
    if (this.#pending.unwritten >= this.options.maxQueuedCommands) {
      return queueFull(this.options.maxQueuedCommands);
    }
    const args = command.args;
    for (let i = 0; i < args.length; i++) {
      if (!isRedisArg(args[i])) return argumentError(command.name, i, args[i]);
    }
    return undefined;
  }

  #schedule(): void {
    this.#flushScheduled = true;
    if (this.options.flushAfterReads === true) setImmediate(this.#flush);
    else process.nextTick(this.#flush);
  }

  #flushNow(): void {
    this.#flushScheduled = false;
    const socket = this.#socket;
    // A destroyed socket (disconnect()) takes no more bytes: what is pending was never written.
    if (socket === undefined || socket.destroyed || this.#blocked || this.#writer.isEmpty) return;
    const chunks = this.#writer.take();
    this.#pending.markWritten();
    let writable: boolean;
    if (chunks.length === 1) {
      writable = socket.write(chunks[0]);
    } else {
      socket.cork();
      writable = true;
      for (const chunk of chunks) writable = socket.write(chunk);
      socket.uncork();
    }
    // Backpressure: stop writing until the kernel takes what we gave it; commands keep
    // accumulating in the writer (bounded by maxQueuedCommands).
    if (!writable) this.#blocked = true;
    // Written through at once (the usual case): the socket holds no view of the slab any more.
    else if (socket.writableLength === 0) this.#writer.released();
  }

  #brokenRead(error: Error): void {
    const protocolError =
      error instanceof ProtocolError ? error : new ProtocolError(`reply handling failed: ${error.message}`);
    this.#lastError = protocolError;
    this.#brokeProtocol = true;
    // The reply being read broke the protocol: its command fails with that error and is never
    // sent again (a read whose reply is always too large would otherwise loop forever).
    const culprit = this.#pending.peek();
    if (culprit !== undefined && culprit.state === CommandState.Written) {
      // Of a packed pipeline, only the call being read; the rest are judged when the socket closes.
      if (!culprit.packed || (culprit as PackedCalls).take(protocolError, this)) {
        this.#pending.shift();
        this.#pending.inFlight--;
      }
      if (!culprit.packed) culprit.reject(protocolError);
    }
    this.emitError(protocolError);
    this.#socket?.destroy();
  }

  #onReply(value: RespValue | ProtocolError): void {
    if (this.outOfBand?.(value as RespValue)) return;
    const command = this.#pending.peek();
    if (command === undefined) {
      throw new ProtocolError('received a reply with no command waiting for it');
    }
    // A packed pipeline answers one reply per call and leaves the FIFO with its last.
    if (command.packed && !(command as PackedCalls).take(value, this)) return;
    this.#pending.shift();
    this.#pending.inFlight--;
    const next = this.#pending.peek();
    if (next !== undefined) this.#decoder.returnBuffers = next.buffers;
    this.#reader.delivered();
    if (!(value instanceof Error)) {
      // A reply after the handshake proves the server is usable again: backoff starts over.
      if (this.#attempt !== 0 && this.#status === 'ready') {
        this.#attempt = 0;
        this.#brokeProtocol = false;
      }
      if (!command.packed) command.resolve(value, this.#resp);
      return;
    }
    if (command.packed) return;
    // A malformed value in an intact frame fails the command it answers, and only that one.
    if (value instanceof ProtocolError) {
      command.reject(value);
      return;
    }
    if (value instanceof ReplyError) {
      value.attach(command.name, command.runsCode);
      if (!command.isDone && command.recover(value, this)) return;
    }
    command.reject(value);
  }

  #expire(command: Command): void {
    if (command.isDone) return;
    const mayHaveRun = this.#mayHaveRun(command);
    command.reject(
      new TimeoutError(
        `${command.name} timed out${mayHaveRun ? ' after it was sent; it may have run' : ' before it was sent'}`,
        mayHaveRun,
      ),
    );
  }

  /** A queued command that is dropped while ready is already encoded in the batch and will be sent. */
  #mayHaveRun(command: Command): boolean {
    return command.state === CommandState.Written || this.#status === 'ready';
  }

  #open(): void {
    this.#status = 'connecting';
    // --- Sentinel hook: ask where to connect on every (re)connect (see `resolveAddress`).
    const resolve = this.options.resolveAddress;
    if (resolve === undefined) {
      this.#openSocket(this.options.host, this.options.port);
      return;
    }
    resolve().then(
      (address) => {
        if (this.#status === 'connecting' && this.#socket === undefined)
          this.#openSocket(address.host, address.port);
      },
      (error: Error) => {
        this.#lastError = error;
        if (this.#status === 'connecting' && this.#socket === undefined) this.#onClose(undefined);
      },
    );
  }

  /** Drops the socket (or ends the wait before the next attempt) to connect again: the primary moved. */
  reconnectNow(reason: Error): void {
    if (this.#status === 'ready') {
      this.#lastError = reason;
      this.#socket?.destroy();
    } else if (this.#status === 'reconnecting' && this.#reconnectTimer !== undefined) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
      this.#open();
    }
  }
  // --- end of the Sentinel hook.

  #openSocket(host: string, port: number): void {
    this.#host = host;
    this.#port = port;
    const { tls } = this.options;
    let socket: Socket;
    try {
      socket =
        tls === undefined
          ? tcpConnect({ host, port, noDelay: true, keepAlive: true, onread: this.#reader.onread })
          : tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, ...tls });
    } catch (error) {
      // Node throws synchronously for options it cannot use (an invalid TLS key or certificate):
      // retrying cannot help, so the connection closes for good with a typed error.
      this.#failToOpen(error as Error);
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    this.#socket = socket;
    this.#lastError = undefined;
    const connectTimer = setTimeout(() => {
      this.#lastError = new TimeoutError(`connecting to ${host}:${port} timed out`, false);
      socket.destroy();
    }, this.options.connectTimeout);
    connectTimer.unref();
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      this.emit('connect');
      this.#runHandshake(socket).then(
        () => {
          clearTimeout(connectTimer);
          // quit() or disconnect() while the handshake ran: this socket is not wanted any more.
          if (this.#socket !== socket || this.#status !== 'connecting') return;
          this.#becomeReady();
        },
        (error: Error) => {
          clearTimeout(connectTimer);
          if (this.#socket !== socket) return;
          this.#lastError = error;
          socket.destroy();
        },
      );
    });
    // `onread` is documented for net sockets only: a TLS socket's chunks come as 'data'.
    if (tls !== undefined) socket.on('data', this.#reader.onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', (error) => {
      this.#lastError ??= new ConnectionError(
        `connection to ${host}:${port} failed: ${error.message}`,
        'CONNECTION_LOST',
        true,
        { cause: error },
      );
    });
    socket.once('close', () => {
      clearTimeout(connectTimer);
      this.#onClose(socket);
    });
  }

  async #runHandshake(socket: Socket): Promise<void> {
    const send = (name: string, args: RedisArg[]): Promise<RespValue> => {
      const command = new Command(name, encodedNameOf(name), args);
      const writer = new CommandWriter();
      writer.append(command.encodedName, args, name);
      // Handshake commands go ahead of anything queued while we were offline.
      command.state = CommandState.Written;
      this.#pending.unshift(command);
      this.#pending.inFlight++;
      this.#decoder.returnBuffers = false;
      for (const chunk of writer.take()) socket.write(chunk);
      return command.promise.then(
        (value) => value as RespValue,
        (error: Error) => {
          if (error instanceof ReplyError) return error;
          throw error;
        },
      );
    };
    this.#hello = await handshake(this.options, send);
    this.#resp = this.#hello.resp;
    await this.options.verifyServer?.(send);
  }

  /** The socket could not even be created (bad TLS material): fail for good, typed. */
  #failToOpen(cause: Error): void {
    const failure = new ConnectionError(
      `could not connect to ${this.address}: ${cause.message}`,
      'CONNECT_FAILED',
      false,
      { cause },
    );
    const first = this.#firstConnect;
    this.#firstConnect = undefined;
    this.#closeForGood(failure);
    first?.reject(failure);
  }

  #becomeReady(): void {
    this.#status = 'ready';
    const host = this.#host;
    const port = this.#port;
    debug('ready %s:%d resp %d after %d reconnect attempt(s)', host, port, this.#resp, this.#attempt);
    if (connectChannel.hasSubscribers) {
      connectChannel.publish({
        host,
        port,
        resp: this.#resp,
        attempt: this.#attempt,
      } satisfies ConnectMessage);
    }
    this.#clearOfflineTimer();
    if (!this.#brokeProtocol) this.#attempt = 0;
    // Encode, in order, what was queued while offline; drop what timed out or was aborted meanwhile.
    const queued = this.#pending.drain();
    for (const command of queued) {
      if (command.isDone) continue;
      command.state = CommandState.Queued;
      this.send(command);
    }
    const first = this.#firstConnect;
    this.#firstConnect = undefined;
    this.emit('ready');
    first?.resolve();
  }

  #onClose(socket: Socket | undefined): void {
    if (this.#socket !== socket) return;
    // Replies that arrived before the close still answer their commands.
    this.#reader.drain();
    this.#socket = undefined;
    this.#blocked = false;
    this.#flushScheduled = false;
    this.#writer.clear();
    this.#decoder.reset();
    this.#session = new Map();
    const error =
      this.#lastError ??
      new ConnectionError(`${this.address} closed the connection`, 'CONNECTION_LOST', true);
    this.#pending = this.#pending.settleWritten(error, {
      closing: this.#status === 'closing' || this.#status === 'closed',
      offlineQueue: this.options.offlineQueue,
      channel: this,
    });

    const first = this.#firstConnect;
    if (first !== undefined) {
      this.#firstConnect = undefined;
      const failure = new ConnectionError(
        `could not connect to ${this.address}: ${error.message}`,
        'CONNECT_FAILED',
        false,
        { cause: error },
      );
      this.#closeForGood(failure);
      first.reject(error instanceof ReplyError ? error : failure);
      return;
    }
    if (this.#status === 'closing' || this.#status === 'closed' || this.options.reconnect === false) {
      this.#closeForGood(undefined);
      return;
    }
    this.#attempt++;
    const delay = this.options.reconnect(this.#attempt, error);
    if (delay === false) {
      this.#closeForGood(error);
      return;
    }
    this.#status = 'reconnecting';
    debug(
      'reconnecting %s:%d attempt %d in %d ms: %s',
      this.#host,
      this.#port,
      this.#attempt,
      delay,
      error.message,
    );
    this.#armOfflineTimer();
    this.emitError(error);
    this.emit('reconnecting', { attempt: this.#attempt, delay, error });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#status === 'reconnecting') this.#open();
    }, delay);
  }

  #closeForGood(cause: Error | undefined): void {
    const wasClosed = this.#status === 'closed';
    this.#status = 'closed';
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#clearOfflineTimer();
    this.#deadlines.clear();
    const code: ConnectionErrorCode = cause === undefined ? 'CONNECTION_CLOSED' : 'CONNECT_FAILED';
    for (const command of this.#pending.drain()) {
      const detail =
        cause === undefined ? 'the connection was closed' : `gave up reconnecting: ${cause.message}`;
      command.reject(
        new ConnectionError(`${command.name}: ${detail} before it was sent`, code, false, { cause }),
      );
    }
    if (!wasClosed) {
      if (cause !== undefined) this.emitError(cause);
      this.emit('end');
    }
    const first = this.#firstConnect;
    if (first !== undefined) {
      this.#firstConnect = undefined;
      first.reject(
        cause ??
          new ConnectionError('the connection was closed while connecting', 'CONNECTION_CLOSED', false),
      );
    }
    for (const waiter of this.#closeWaiters.splice(0)) waiter();
  }

  #armOfflineTimer(): void {
    const limit = this.options.offlineTimeout;
    if (limit === 0 || this.#offlineTimer !== undefined) return;
    this.#offlineTimer = setTimeout(() => {
      this.#offlineTimer = undefined;
      if (this.#status === 'ready' || this.#status === 'closed') return;
      this.#offlineTooLong = true;
      // Everything still queued was never written: it fails as not run.
      // (A handshake in progress is written and stays.)
      const queued = this.#pending.drain();
      for (const command of queued) {
        if (command.state === CommandState.Written) this.#pending.push(command);
        else command.reject(this.#unreachable(command.name));
      }
    }, limit);
    this.#offlineTimer.unref();
  }

  #clearOfflineTimer(): void {
    if (this.#offlineTimer !== undefined) clearTimeout(this.#offlineTimer);
    this.#offlineTimer = undefined;
    this.#offlineTooLong = false;
  }

  #unreachable(name: string): ConnectionError {
    return new ConnectionError(
      `${name}: ${this.address} has been unreachable for over ${this.options.offlineTimeout} ms (offlineTimeout); the command did not run`,
      'NOT_CONNECTED',
      false,
      { cause: this.#lastError },
    );
  }

  #waitClosed(): Promise<void> {
    if (this.#status === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** Never shows the password or TLS keys held in `options`. */
  [inspect.custom](): string {
    return `Connection { ${this.address}, status: ${this.#status}, pending: ${this.#pending.length} }`;
  }

  /**
   * Emits `error` only to listeners: an unobserved connection problem must not crash the process.
   * Listeners get RedisErrors only: a socket's own error (ECONNRESET, EPIPE) is wrapped as the cause.
   */
  emitError(error: Error): void {
    if (this.listenerCount('error') === 0) return;
    if (error instanceof RedisError) {
      this.emit('error', error);
      return;
    }
    const message = `connection to ${this.address} failed: ${error.message}`;
    this.emit('error', new ConnectionError(message, 'CONNECTION_LOST', true, { cause: error }));
  }
}

function queueFull(limit: number): ConnectionError {
  return new ConnectionError(`too many queued commands (maxQueuedCommands: ${limit})`, 'QUEUE_FULL', false);
}

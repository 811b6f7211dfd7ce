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
import { Command, CommandState, encodedNameOf, type ScriptSource } from './command.js';
import { Deadlines } from './deadlines.js';
import { handshake, type ServerHello } from './handshake.js';
import type { ConnectionOptions } from './options.js';
import { Queue } from './queue.js';

/** Above this many bytes batched in one turn, write at once rather than at the end of the turn. */
const EAGER_FLUSH_BYTES = 256 * 1024;

export type ConnectionStatus = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

/**
 * One socket to one Redis server, shared by every caller (auto-pipelining).
 *
 * Queue invariant — `#pending` holds every accepted, unsettled-by-reply command in send order:
 *
 *   #pending: [ written to this socket (#inFlight of them) | not yet written ]
 *                                                            \_ encoded in #writer when ready,
 *                                                               plain Command objects otherwise
 *
 * Replies arrive in the same order (Redis answers one connection FIFO), so each reply belongs to
 * `#pending.shift()`. A command settled early (timeout, abort) stays in place until its reply
 * arrives and is then discarded. When the socket drops, written commands fail with
 * `CONNECTION_LOST` (they may have run) unless they are retryable; the rest are encoded again on
 * the next socket, after the handshake, in their original order.
 *
 * Events: `connect` (socket open), `ready` (handshake done), `reconnecting` ({ attempt, delay,
 * error }), `error` (only emitted when someone listens), `end` (closed for good), `push`
 * (RESP3 out-of-band frames).
 */
export class Connection extends EventEmitter {
  readonly options: ConnectionOptions;
  /** Scripts this server is known to hold, since this socket connected. */
  readonly knownScripts = new Set<string>();
  #status: ConnectionStatus = 'idle';
  #socket: Socket | undefined;
  #pending = new Queue<Command>(64);
  #inFlight = 0;
  #writer = new CommandWriter();
  #decoder: Decoder;
  #deadlines: Deadlines;
  #flushScheduled = false;
  #blocked = false;
  #hello: ServerHello | undefined;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #firstConnect: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #closeWaiters: Array<() => void> = [];
  #scriptLoads = new Map<string, Promise<unknown>>();
  #lastError: Error | undefined;

  readonly #flush = () => this.#flushNow();
  readonly #onData = (chunk: Buffer) => this.#read(chunk);
  readonly #onDrain = () => {
    this.#blocked = false;
    this.#flushNow();
  };

  constructor(options: ConnectionOptions) {
    super();
    this.options = options;
    this.#decoder = new Decoder({
      onReply: (value) => this.#onReply(value),
      onPush: (value) => this.emit('push', value),
      maxBulkLength: options.maxBulkLength,
      maxReplyDepth: options.maxReplyDepth,
      maxReplyElements: options.maxReplyElements,
    });
    this.#deadlines = new Deadlines((command) => this.#expire(command));
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** The protocol negotiated on the current socket (the configured one before connecting). */
  get resp(): 2 | 3 {
    return this.#hello?.resp ?? this.options.resp;
  }

  /** The server's version as reported by HELLO, when RESP3 was negotiated. */
  get serverVersion(): string | undefined {
    return this.#hello?.version;
  }

  /** Commands accepted and not yet answered. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Opens the socket and runs the handshake. Rejects if the first attempt fails. */
  connect(): Promise<void> {
    if (this.#status !== 'idle') {
      return Promise.reject(
        new ConnectionError(`connect() called on a ${this.#status} connection`, 'NOT_CONNECTED', false),
      );
    }
    return new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.#open();
    });
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
      if (this.#pending.length - this.#inFlight >= this.options.maxQueuedCommands) {
        command.reject(queueFull(this.options.maxQueuedCommands));
        return;
      }
      try {
        this.#writer.append(command.encodedName, command.args, command.name);
      } catch (error) {
        command.reject(error as Error);
        return;
      }
    }
    if (this.#pending.length === 0) this.#decoder.returnBuffers = command.buffers;
    // Pushed before any flush: #flushNow counts everything in #pending as written.
    this.#pending.push(command);
    // After a flush we sent, nothing is known to be loaded (flushes by others show as NOSCRIPT).
    if (command.name === 'SCRIPT FLUSH') this.knownScripts.clear();
    if (command.deadline > 0) this.#deadlines.add(command);
    if (status === 'ready') {
      if (this.#writer.pendingBytes > EAGER_FLUSH_BYTES) this.#flushNow();
      else if (!this.#flushScheduled) this.#schedule();
    }
  }

  /** Cancels a command for its AbortSignal (see `Command.watchSignal`). */
  abort(command: Command): void {
    if (command.isDone) return;
    command.reject(new AbortError(this.#mayHaveRun(command), { cause: command.signal?.reason }));
  }

  /**
   * Loads `script` on this server once even when many callers ask at the same time (single
   * flight), then remembers that the server has it until the socket changes.
   */
  loadScript(script: ScriptSource): Promise<unknown> {
    let loading = this.#scriptLoads.get(script.sha1);
    if (loading === undefined) {
      const command =
        script.kind === 'function'
          ? // Without REPLACE: heal a node that lacks the library, never overwrite a newer version.
            new Command('FUNCTION', encodedNameOf('FUNCTION'), ['LOAD', script.lua])
          : new Command('SCRIPT', encodedNameOf('SCRIPT'), ['LOAD', script.lua]);
      this.send(command);
      loading = command.promise.then(
        (sha) => {
          this.#scriptLoads.delete(script.sha1);
          this.knownScripts.add(script.sha1);
          return sha;
        },
        (error) => {
          this.#scriptLoads.delete(script.sha1);
          throw error;
        },
      );
      this.#scriptLoads.set(script.sha1, loading);
    }
    return loading;
  }

  /** Sends QUIT after everything already queued, waits for the server to close, then closes. */
  async quit(): Promise<void> {
    if (this.#status === 'closed' || this.#status === 'idle') {
      this.#status = 'closed';
      return;
    }
    if (this.#status !== 'ready') {
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
    if (this.#pending.length - this.#inFlight >= this.options.maxQueuedCommands) {
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
    process.nextTick(this.#flush);
  }

  #flushNow(): void {
    this.#flushScheduled = false;
    const socket = this.#socket;
    if (socket === undefined || this.#blocked || this.#writer.isEmpty) return;
    const chunks = this.#writer.take();
    this.#inFlight = this.#pending.length;
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const command = this.#pending.at(i)!;
      if (command.state !== CommandState.Queued) break;
      command.state = CommandState.Written;
    }
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
  }

  #read(chunk: Buffer): void {
    try {
      this.#decoder.feed(chunk);
    } catch (error) {
      const protocolError =
        error instanceof ProtocolError
          ? error
          : new ProtocolError(`reply handling failed: ${(error as Error).message}`);
      this.#lastError = protocolError;
      this.emitError(protocolError);
      this.#socket?.destroy();
    }
  }

  #onReply(value: RespValue | ProtocolError): void {
    const command = this.#pending.shift();
    if (command === undefined) {
      throw new ProtocolError('received a reply with no command waiting for it');
    }
    this.#inFlight--;
    const next = this.#pending.peek();
    if (next !== undefined) this.#decoder.returnBuffers = next.buffers;
    if (!(value instanceof RedisError)) {
      command.resolve(value);
      return;
    }
    // A malformed value in an intact frame fails the command it answers, and only that one.
    if (value instanceof ProtocolError) {
      command.reject(value);
      return;
    }
    value.command = command.name;
    if (command.script !== undefined && isMissing(value, command.script)) {
      this.knownScripts.delete(command.script.sha1);
      if (!command.reloaded && !command.isDone) {
        this.#reloadAndResend(command, command.script);
        return;
      }
    }
    command.reject(value);
  }

  /**
   * DESIGN §3: NOSCRIPT (or, for a function, "Function not found") means nothing ran, so loading
   * it on this node and sending once more is safe.
   */
  #reloadAndResend(command: Command, script: ScriptSource): void {
    command.reloaded = true;
    command.state = CommandState.Queued;
    this.loadScript(script).then(
      () => {
        if (!command.isDone) this.send(command);
      },
      (error) => command.reject(error),
    );
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
    const { host, port, tls } = this.options;
    const socket =
      tls === undefined
        ? tcpConnect({ host, port, noDelay: true, keepAlive: true })
        : tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, ...tls });
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
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', (error) => {
      this.#lastError ??= error;
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
      this.#inFlight++;
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
  }

  #becomeReady(): void {
    this.#status = 'ready';
    this.#attempt = 0;
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

  #onClose(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#blocked = false;
    this.#flushScheduled = false;
    this.#writer.clear();
    this.#decoder.reset();
    this.knownScripts.clear();
    const error = this.#lastError ?? new Error('the server closed the connection');
    this.#failWritten(error);

    const first = this.#firstConnect;
    if (first !== undefined) {
      this.#firstConnect = undefined;
      const failure = new ConnectionError(
        `could not connect to ${this.options.host}:${this.options.port}: ${error.message}`,
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
    this.emitError(error);
    this.emit('reconnecting', { attempt: this.#attempt, delay, error });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#status === 'reconnecting') this.#open();
    }, delay);
  }

  /**
   * Settles the commands written to the socket that just closed. DESIGN §3, at most once: a write
   * whose reply was lost fails with `mayHaveRun: true`; a retryable (read-only) one stays queued
   * and is sent again. Commands not yet written stay queued in order. Without an offline queue,
   * both fail instead, and whoever routed them decides (a cluster retries what is safe).
   */
  #failWritten(cause: Error): void {
    const written = this.#inFlight;
    this.#inFlight = 0;
    const kept = new Queue<Command>(Math.max(16, this.#pending.length));
    const closing = this.#status === 'closing' || this.#status === 'closed';
    for (
      let i = 0, command = this.#pending.shift();
      command !== undefined;
      i++, command = this.#pending.shift()
    ) {
      if (command.isDone) continue;
      if (i >= written || command.state === CommandState.Queued) {
        // Without an offline queue (cluster node connections), unsent commands fail at once so
        // the router can send them to wherever their slot lives now.
        if (this.options.offlineQueue || closing) kept.push(command);
        else command.reject(notSent(command.name, cause));
      } else if (command.retryable && !closing && this.options.offlineQueue) {
        command.state = CommandState.Queued;
        kept.push(command);
      } else {
        command.reject(lost(command.name, cause));
      }
    }
    this.#pending = kept;
  }

  #closeForGood(cause: Error | undefined): void {
    const wasClosed = this.#status === 'closed';
    this.#status = 'closed';
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
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
    for (const waiter of this.#closeWaiters.splice(0)) waiter();
  }

  #waitClosed(): Promise<void> {
    if (this.#status === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** Never shows the password or TLS keys held in `options`. */
  [inspect.custom](): string {
    return `Connection { ${this.options.host}:${this.options.port}, status: ${this.#status}, pending: ${this.#pending.length} }`;
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
    const { host, port } = this.options;
    const message = `connection to ${host}:${port} failed: ${error.message}`;
    this.emit('error', new ConnectionError(message, 'CONNECTION_LOST', true, { cause: error }));
  }
}

function lost(name: string, cause: Error): ConnectionError {
  return new ConnectionError(
    `${name}: the connection was lost after the command was sent; it may have been applied (${cause.message})`,
    'CONNECTION_LOST',
    true,
    { cause },
  );
}

/**
 * Whether the server lacks what `source` provides. A missing function has no error code of its
 * own (`ERR Function not found`), so it is recognised by its text.
 */
function isMissing(error: ReplyError, source: ScriptSource): boolean {
  if (source.kind === 'function')
    return error.code === 'ERR' && error.message.startsWith('ERR Function not found');
  return error.code === 'NOSCRIPT';
}

function notSent(name: string, cause: Error): ConnectionError {
  return new ConnectionError(
    `${name}: the connection was lost before the command was sent; it did not run (${cause.message})`,
    'NOT_CONNECTED',
    false,
    { cause },
  );
}

function queueFull(limit: number): ConnectionError {
  return new ConnectionError(`too many queued commands (maxQueuedCommands: ${limit})`, 'QUEUE_FULL', false);
}

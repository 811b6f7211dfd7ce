import { EventEmitter } from 'node:events';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from '../connection/options.js';
import { ConnectionError, ProtocolError, ReplyError } from '../errors.js';
import { Decoder } from '../resp/decoder.js';
import { CommandWriter, encodeName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';

const AUTH = encodeName('AUTH');
const SUBSCRIBE = encodeName('SUBSCRIBE');
const MAX_RETRY_DELAY_MS = 2000;

/**
 * Listens to the sentinels' event channels (`+switch-master`, ...) on a socket of its own, one
 * sentinel at a time, moving to the next when that one fails.
 *
 * A dedicated RESP2 socket rather than a `Connection`: in RESP2 a subscribed connection answers
 * nothing but subscription frames, and in RESP3 the SUBSCRIBE confirmation itself arrives as a
 * push, so neither fits the connection's one-reply-per-command FIFO. Everything here is replies
 * to our AUTH and SUBSCRIBE, then `message` frames.
 *
 * Events: `subscribed` (sentinel index) after every (re)subscription — messages may have been
 * missed while unsubscribed, so listeners check the state afresh; `message` (channel, text,
 * sentinel index); `error` (only when listened to).
 */
export class SentinelSubscriber extends EventEmitter {
  readonly #sentinels: readonly ConnectionOptions[];
  readonly #channels: readonly string[];
  #socket: Socket | undefined;
  #index = 0;
  /** Consecutive failed attempts; a full round of them backs off. */
  #failures = 0;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #firstSubscription: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(sentinels: readonly ConnectionOptions[], channels: readonly string[]) {
    super();
    this.#sentinels = sentinels;
    this.#channels = channels;
  }

  /** The sentinel currently subscribed to (or being tried). */
  get sentinelIndex(): number {
    return this.#index;
  }

  /** Subscribes; resolves once subscribed, rejects once every sentinel has failed once. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#firstSubscription = { resolve, reject };
      this.#open();
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): void {
    const options = this.#sentinels[this.#index];
    const { host, port, tls } = options;
    const socket =
      tls === undefined
        ? tcpConnect({ host, port, noDelay: true, keepAlive: true })
        : tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, ...tls });
    socket.setKeepAlive(true, 30_000);
    this.#socket = socket;
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      socket.destroy();
    };
    const timer = setTimeout(
      () => fail(new Error(`subscribing on ${host}:${port} timed out`)),
      options.connectTimeout,
    );
    timer.unref();

    let awaitingAuth = options.password !== undefined;
    let confirmations = 0;
    const decoder = new Decoder({
      onReply: (reply) => {
        if (awaitingAuth) {
          awaitingAuth = false;
          if (reply instanceof ReplyError) fail(reply);
          return;
        }
        if (reply instanceof ReplyError) return fail(reply);
        const [kind, channel, payload] = Array.isArray(reply) ? reply : [];
        if (kind === 'subscribe' && ++confirmations === this.#channels.length) {
          clearTimeout(timer);
          this.#subscribed();
        } else if (kind === 'message' && typeof channel === 'string') {
          this.emit('message', channel, text(payload), this.#index);
        }
      },
      onPush: () => undefined,
    });
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      const writer = new CommandWriter();
      if (options.password !== undefined) {
        const args: RedisArg[] =
          options.username === undefined ? [options.password] : [options.username, options.password];
        writer.append(AUTH, args, 'AUTH');
      }
      writer.append(SUBSCRIBE, this.#channels, 'SUBSCRIBE');
      for (const chunk of writer.take()) socket.write(chunk);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.feed(chunk);
      } catch (error) {
        fail(error instanceof ProtocolError ? error : new ProtocolError((error as Error).message));
      }
    });
    socket.on('error', fail);
    socket.once('close', () => {
      clearTimeout(timer);
      if (this.#socket === socket) this.#socket = undefined;
      this.#lost(failure ?? new Error(`${host}:${port} closed the connection`));
    });
  }

  #subscribed(): void {
    this.#failures = 0;
    const first = this.#firstSubscription;
    this.#firstSubscription = undefined;
    first?.resolve();
    this.emit('subscribed', this.#index);
  }

  /** The subscription ended: try the next sentinel, backing off once all have failed in a row. */
  #lost(error: Error): void {
    if (this.#closed) return;
    this.#failures++;
    const { host, port } = this.#sentinels[this.#index];
    const failure = new ConnectionError(
      `the sentinel event subscription on ${host}:${port} ended: ${error.message}`,
      'CONNECT_FAILED',
      false,
      { cause: error },
    );
    if (this.listenerCount('error') > 0) this.emit('error', failure);
    const rounds = Math.floor(this.#failures / this.#sentinels.length);
    if (rounds > 0 && this.#firstSubscription !== undefined) {
      const first = this.#firstSubscription;
      this.#firstSubscription = undefined;
      this.close();
      first.reject(failure);
      return;
    }
    this.#index = (this.#index + 1) % this.#sentinels.length;
    const delay = rounds === 0 ? 0 : Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** (rounds - 1));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#closed) this.#open();
    }, delay);
    this.#retryTimer.unref();
  }
}

function text(payload: RespValue | undefined): string {
  return Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
}

import type { RedisError } from '../errors.js';
import { type EncodedName, encodeName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/** Turns a raw reply into what the caller receives. May throw; the command then rejects. */
export type ReplyShaper = (reply: RespValue) => unknown;

/**
 * A reply shaper for each protocol, `[resp2, resp3]`: the connection picks the one for the
 * protocol it negotiated, so no shaper has to guess from the reply's form.
 */
export type ReplyShapers = readonly [resp2: ReplyShaper, resp3: ReplyShaper];

/** Per-call options: `client.withOptions({ timeout, signal, buffers })`. */
export interface CommandOptions {
  /** Reply blob strings as Buffers instead of UTF-8 strings. */
  buffers?: boolean;
  /** Milliseconds before the call fails with `TimeoutError`; 0 disables. Overrides the client's. */
  timeout?: number;
  /** Cancels the call: before it is written it is dropped; after, its reply is discarded. */
  signal?: AbortSignal;
}

export const CommandState = {
  /** Accepted but not yet written to a socket. */
  Queued: 0,
  /** Written to the current socket; a reply is owed. */
  Written: 1,
  /** Resolved or rejected; a late reply is discarded. */
  Done: 2,
} as const;
export type CommandState = (typeof CommandState)[keyof typeof CommandState];

/** Notified once per settled command (see `Command.listener`). */
export interface SettleListener {
  commandSettled(): void;
}

/**
 * What a command and its hooks see of the connection it is on (a `Connection`): enough to send
 * again, and to keep facts about the server that hold for the current socket.
 */
export interface CommandChannel {
  send(command: Command): void;
  /** Facts about the server for the current socket's lifetime (see `Connection.session`). */
  readonly session: Map<object, unknown>;
  /** The protocol negotiated. */
  readonly resp: 2 | 3;
  readonly options: { readonly host: string; readonly port: number };
}

/**
 * What a higher layer attaches to a command to take part in its life on a connection. The
 * connection knows nothing of what a hook does; scripting uses one to load a script the server
 * lacks (NOSCRIPT) and send the command again on the node that said it.
 */
export interface CommandHook {
  /**
   * `command` is about to fail with `error` on `connection` (an error reply, or a lost
   * connection). Return `true` to take it over: the hook then settles or resends it.
   */
  recover(command: Command, error: RedisError, connection: CommandChannel): boolean;
  /** A batch is about to send `command` on `connection`: a command to send just before it, if any. */
  prepare(command: Command, connection: CommandChannel): Command | undefined;
  /** `command` failed with `error` inside a transaction on `connection` (it cannot be resent there). */
  failedInTransaction(command: Command, error: RedisError, connection: CommandChannel): void;
}

const ignore = () => undefined;

const encodedNames = new Map<string, EncodedName>();

/** The encoded form of `name`, cached, for commands issued by name through `call()`. */
export function encodedNameOf(name: string): EncodedName {
  let encoded = encodedNames.get(name);
  if (encoded === undefined) {
    encoded = encodeName(name);
    // Bounded: names come from callers of call(); keep the cache from growing without limit.
    if (encodedNames.size < 4096) encodedNames.set(name, encoded);
  }
  return encoded;
}

/**
 * One command on its way through a connection: its bytes-to-be, where its reply goes, and the
 * facts the connection needs to keep DESIGN §3 (may it be retried? did it run user code?).
 * A class rather than closures so the hot path allocates one object and one promise per call;
 * the same object travels through every attempt (a cluster's redirects, a script's reload).
 */
export class Command {
  readonly name: string;
  readonly encodedName: EncodedName;
  readonly args: readonly RedisArg[];
  readonly shapers: ReplyShapers | undefined;
  readonly promise: Promise<unknown>;
  state: CommandState = CommandState.Queued;
  /** Reply blob strings as Buffers. */
  buffers = false;
  /** Safe to send again after a connection loss: a repeat changes nothing. */
  retryable = false;
  /** Runs a script or a function: an error reply may follow writes (see `ReplyError.attach`). */
  runsCode = false;
  /** A higher layer taking part in this command's failures and batches (scripting). */
  hook: CommandHook | undefined = undefined;
  /** How many times a hook has sent it again after a failure. */
  resent = 0;
  /** Absolute deadline in ms (performance.now()), 0 for none. */
  deadline = 0;
  signal: AbortSignal | undefined = undefined;
  /** Why it was rejected, once it was (a batch refuses itself if a call was refused on creation). */
  error: Error | undefined = undefined;
  /** What it resolved to, once it did (a batch gathers its results from here). */
  value: unknown = undefined;
  /** Told when the command settles (a pipeline or transaction counting its commands). */
  listener: SettleListener | undefined = undefined;
  /** Queued in a batch: a rejection nobody awaits is not reported as unhandled. */
  quiet = false;
  /**
   * The transaction it belongs to, shared by MULTI, the queued commands and EXEC: once one of
   * them was written, the others are never sent on a later socket.
   */
  group: object | undefined = undefined;
  /** Runs when the command is accepted by a connection (a description's effect on its state). */
  onSent: ((connection: CommandChannel) => void) | undefined = undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (error: Error) => void;
  #onAbort: (() => void) | undefined;

  constructor(name: string, encodedName: EncodedName, args: readonly RedisArg[], shapers?: ReplyShapers) {
    this.name = name;
    this.encodedName = encodedName;
    this.args = args;
    this.shapers = shapers;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get isDone(): boolean {
    return this.state === CommandState.Done;
  }

  /** Settles with `reply`, shaped for protocol `resp` when the command has shapers. */
  resolve(reply: RespValue, resp: 2 | 3 = 3): void {
    if (this.state === CommandState.Done) return;
    if (this.shapers === undefined) {
      this.#settle(reply);
      return;
    }
    let value: unknown;
    try {
      value = this.shapers[resp - 2](reply);
    } catch (error) {
      this.reject(error as Error);
      return;
    }
    this.#settle(value);
  }

  reject(error: Error | RedisError): void {
    if (this.state === CommandState.Done) return;
    this.state = CommandState.Done;
    this.error = error;
    if (this.#onAbort !== undefined) this.#detachSignal();
    // A batch reports failures from exec(); a queued call nobody awaits must not become an
    // unhandled rejection. Guarding only here keeps successful calls free of the extra handler.
    if (this.quiet) this.promise.catch(ignore);
    this.#reject(error);
    this.listener?.commandSettled();
  }

  /**
   * Called by a connection before it fails the command with `error`: `true` when something took
   * it over (it will be settled later). Subclasses (a cluster's command) recover more.
   */
  recover(error: RedisError, connection: CommandChannel): boolean {
    return this.hook?.recover(this, error, connection) === true;
  }

  /** Calls `onAbort` when the signal fires; detached automatically when the command settles. */
  watchSignal(signal: AbortSignal, onAbort: () => void): void {
    this.signal = signal;
    this.#onAbort = onAbort;
    signal.addEventListener('abort', onAbort, { once: true });
  }

  #settle(value: unknown): void {
    this.state = CommandState.Done;
    if (this.#onAbort !== undefined) this.#detachSignal();
    this.value = value;
    this.#resolve(value);
    this.listener?.commandSettled();
  }

  #detachSignal(): void {
    this.signal?.removeEventListener('abort', this.#onAbort!);
    this.#onAbort = undefined;
  }
}

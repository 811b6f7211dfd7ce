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
  /**
   * True when `prepare` would send nothing ahead on `connection` (the script is known there): a
   * packed pipeline then needs no command per call. Absent: always prepare.
   */
  preparesNothing?(connection: CommandChannel): boolean;
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

/** The resolving function of the promise being made: a shared executor, no closure per command. */
let made: ((value: unknown) => void) | undefined;
function keepResolve(resolve: (value: unknown) => void): void {
  made = resolve;
}

/** A new pending promise; `takeResolve()` right after gives its one resolving function. */
export function pendingPromise(): Promise<unknown> {
  return new Promise(keepResolve);
}

/** The resolving function of the promise `pendingPromise()` just made. */
export function takeResolve(): (value: unknown) => void {
  const resolve = made!;
  made = undefined;
  return resolve;
}

/**
 * Settles a batch's call as failed with `error`, through its resolving function, without an
 * unhandled rejection if nobody awaits it (`exec()` reports the failure).
 */
export function failQuietly(
  promise: Promise<unknown>,
  resolve: (value: unknown) => void,
  error: Error,
): void {
  const rejection = Promise.reject(error);
  rejection.catch(ignore);
  resolve(rejection);
  promise.catch(ignore);
}

// Bits of `Command.#flags`.
const BUFFERS = 1;
const RETRYABLE = 2;
const RUNS_CODE = 4;
const QUIET = 8;
const FAILED = 16;
const PACKED = 32;

/** What few commands carry: kept off the command itself, so the common one stays small. */
class Rare {
  resent = 0;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  group: object | undefined = undefined;
  onSent: ((connection: CommandChannel) => void) | undefined = undefined;
}

/**
 * One command on its way through a connection: its bytes-to-be, where its reply goes, and the
 * facts the connection needs to keep DESIGN §3 (may it be retried? did it run user code?).
 * A class rather than closures so the hot path allocates one object and one promise per call;
 * the same object travels through every attempt (a cluster's redirects, a script's reload).
 *
 * Kept small (1M commands in flight are 1M of these): booleans share one field, what few
 * commands carry (a signal, a transaction group, a resend count) lives in a side object made on
 * first use, and the promise keeps one resolving function — a rejection resolves it with a
 * rejected promise, which costs an allocation on the rare path instead of a function per call.
 */
export class Command {
  readonly name: string;
  readonly encodedName: EncodedName;
  readonly args: readonly RedisArg[];
  readonly shapers: ReplyShapers | undefined;
  readonly promise: Promise<unknown>;
  state: CommandState = CommandState.Queued;
  /** Absolute deadline in ms (performance.now()), 0 for none. */
  deadline = 0;
  /** A higher layer taking part in this command's failures and batches (scripting). */
  hook: CommandHook | undefined = undefined;
  /** Told when the command settles (a pipeline or transaction counting its commands). */
  listener: SettleListener | undefined = undefined;
  #flags = 0;
  /** The value it resolved to, or the error it was rejected with (FAILED set). */
  #result: unknown = undefined;
  #rare: Rare | undefined = undefined;
  #resolve: (value: unknown) => void;

  constructor(name: string, encodedName: EncodedName, args: readonly RedisArg[], shapers?: ReplyShapers) {
    this.name = name;
    this.encodedName = encodedName;
    this.args = args;
    this.shapers = shapers;
    this.promise = pendingPromise();
    this.#resolve = takeResolve();
  }

  get isDone(): boolean {
    return this.state === CommandState.Done;
  }

  /** Reply blob strings as Buffers. */
  get buffers(): boolean {
    return (this.#flags & BUFFERS) !== 0;
  }
  set buffers(on: boolean) {
    this.#flag(BUFFERS, on);
  }

  /** Safe to send again after a connection loss: a repeat changes nothing. */
  get retryable(): boolean {
    return (this.#flags & RETRYABLE) !== 0;
  }
  set retryable(on: boolean) {
    this.#flag(RETRYABLE, on);
  }

  /** Runs a script or a function: an error reply may follow writes (see `ReplyError.attach`). */
  get runsCode(): boolean {
    return (this.#flags & RUNS_CODE) !== 0;
  }
  set runsCode(on: boolean) {
    this.#flag(RUNS_CODE, on);
  }

  /** Queued in a batch: a rejection nobody awaits is not reported as unhandled. */
  get quiet(): boolean {
    return (this.#flags & QUIET) !== 0;
  }
  set quiet(on: boolean) {
    this.#flag(QUIET, on);
  }

  /** A pipeline's calls as one entry (`PackedCalls`): it answers as many replies as it has calls. */
  get packed(): boolean {
    return (this.#flags & PACKED) !== 0;
  }
  protected set packed(on: boolean) {
    this.#flag(PACKED, on);
  }

  /** Why it was rejected, once it was (a batch refuses itself if a call was refused on creation). */
  get error(): Error | undefined {
    return (this.#flags & FAILED) !== 0 ? (this.#result as Error) : undefined;
  }

  /** What it resolved to, once it did (a batch gathers its results from here). */
  get value(): unknown {
    return (this.#flags & FAILED) !== 0 ? undefined : this.#result;
  }

  /** How many times a hook has sent it again after a failure. */
  get resent(): number {
    return this.#rare?.resent ?? 0;
  }
  set resent(count: number) {
    this.#rareFields().resent = count;
  }

  /** The AbortSignal it watches, if any (see `watchSignal`). */
  get signal(): AbortSignal | undefined {
    return this.#rare?.signal;
  }

  /**
   * The transaction it belongs to, shared by MULTI, the queued commands and EXEC: once one of
   * them was written, the others are never sent on a later socket.
   */
  get group(): object | undefined {
    return this.#rare?.group;
  }
  set group(group: object | undefined) {
    if (group !== undefined || this.#rare !== undefined) this.#rareFields().group = group;
  }

  /** Runs when the command is accepted by a connection (a description's effect on its state). */
  get onSent(): ((connection: CommandChannel) => void) | undefined {
    return this.#rare?.onSent;
  }
  set onSent(onSent: ((connection: CommandChannel) => void) | undefined) {
    if (onSent !== undefined || this.#rare !== undefined) this.#rareFields().onSent = onSent;
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
    this.#flags |= FAILED;
    this.#result = error;
    if (this.#rare?.onAbort !== undefined) this.#detachSignal();
    const rejection = Promise.reject(error);
    // The promise adopts `rejection`, which is therefore handled; whether the command's own
    // promise is awaited is the caller's affair — except in a batch, which reports failures from
    // exec(): a queued call nobody awaits must not become an unhandled rejection.
    rejection.catch(ignore);
    this.#resolve(rejection);
    if ((this.#flags & QUIET) !== 0) this.promise.catch(ignore);
    this.listener?.commandSettled();
  }

  /**
   * Called by a connection before it fails the command with `error`: `true` when something took
   * it over (it will be settled later). Subclasses (a cluster's command) recover more.
   */
  recover(error: RedisError, connection: CommandChannel): boolean {
    return this.hook?.recover(this, error, connection) === true;
  }

  /**
   * Settles `promise` (through `resolve`) instead of its own: a call queued as part of a packed
   * pipeline becomes a command of its own when it needs per-command handling (a lost socket).
   */
  adopt(promise: Promise<unknown>, resolve: (value: unknown) => void): void {
    (this as { promise: Promise<unknown> }).promise = promise;
    this.#resolve = resolve;
  }

  /** Calls `onAbort` when the signal fires; detached automatically when the command settles. */
  watchSignal(signal: AbortSignal, onAbort: () => void): void {
    const rare = this.#rareFields();
    rare.signal = signal;
    rare.onAbort = onAbort;
    signal.addEventListener('abort', onAbort, { once: true });
  }

  #settle(value: unknown): void {
    this.state = CommandState.Done;
    if (this.#rare?.onAbort !== undefined) this.#detachSignal();
    this.#result = value;
    this.#resolve(value);
    this.listener?.commandSettled();
  }

  #flag(bit: number, on: boolean): void {
    this.#flags = on ? this.#flags | bit : this.#flags & ~bit;
  }

  #rareFields(): Rare {
    this.#rare ??= new Rare();
    return this.#rare;
  }

  #detachSignal(): void {
    const rare = this.#rare!;
    rare.signal?.removeEventListener('abort', rare.onAbort!);
    rare.onAbort = undefined;
  }
}

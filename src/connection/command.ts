import type { RedisError } from '../errors.js';
import { type EncodedName, encodeName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/** Turns a raw reply into what the caller receives. May throw; the command then rejects. */
export type ReplyTransform = (reply: RespValue) => unknown;

/**
 * What a command needs the server to hold, attached so a NOSCRIPT reply (or a missing function)
 * can be healed on the node that said it: a script (`sha1`, `lua`), or a function library
 * (`kind: 'function'`, `sha1` = `function:<library>`, `lua` = the library's code).
 */
export interface ScriptSource {
  readonly sha1: string;
  readonly lua: string;
  readonly kind?: 'script' | 'function';
}

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
 * facts the connection needs to keep DESIGN §3 (may it be retried? can NOSCRIPT be healed?).
 * A class rather than closures so the hot path allocates one object and one promise per call.
 */
export class Command {
  readonly name: string;
  readonly encodedName: EncodedName;
  readonly args: readonly RedisArg[];
  readonly transform: ReplyTransform | undefined;
  readonly promise: Promise<unknown>;
  state: CommandState = CommandState.Queued;
  /** Reply blob strings as Buffers. */
  buffers = false;
  /** Safe to send again after a connection loss (read-only). */
  retryable = false;
  /** For EVALSHA/EVALSHA_RO: the script to load if the server answers NOSCRIPT. */
  script: ScriptSource | undefined = undefined;
  /** Whether a NOSCRIPT reply was already healed once for this command. */
  reloaded = false;
  /**
   * Where a cluster sends it: a hash slot (0..16383), `-1` for keyless commands, `-2` when the
   * keys must first be asked of the server (commands redmoon does not describe). Unused otherwise.
   */
  route = -1;
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
  #resolve!: (value: unknown) => void;
  #reject!: (error: Error) => void;
  #onAbort: (() => void) | undefined;

  constructor(name: string, encodedName: EncodedName, args: readonly RedisArg[], transform?: ReplyTransform) {
    this.name = name;
    this.encodedName = encodedName;
    this.args = args;
    this.transform = transform;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get isDone(): boolean {
    return this.state === CommandState.Done;
  }

  resolve(reply: RespValue): void {
    if (this.state === CommandState.Done) return;
    if (this.transform === undefined) {
      this.state = CommandState.Done;
      if (this.#onAbort !== undefined) this.#detachSignal();
      this.value = reply;
      this.#resolve(reply);
      this.listener?.commandSettled();
      return;
    }
    let value: unknown;
    try {
      value = this.transform(reply);
    } catch (error) {
      this.reject(error as Error);
      return;
    }
    this.state = CommandState.Done;
    if (this.#onAbort !== undefined) this.#detachSignal();
    this.value = value;
    this.#resolve(value);
    this.listener?.commandSettled();
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

  /** Calls `onAbort` when the signal fires; detached automatically when the command settles. */
  watchSignal(signal: AbortSignal, onAbort: () => void): void {
    this.signal = signal;
    this.#onAbort = onAbort;
    signal.addEventListener('abort', onAbort, { once: true });
  }

  #detachSignal(): void {
    this.signal?.removeEventListener('abort', this.#onAbort!);
    this.#onAbort = undefined;
  }
}

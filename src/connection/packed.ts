import { ReplyError } from '../errors.js';
import type { CommandWriter, EncodedName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import {
  Command,
  type CommandChannel,
  type CommandHook,
  CommandState,
  encodedNameOf,
  failQuietly,
  type ReplyShapers,
  type SettleListener,
} from './command.js';

/** What a packed call needs of its command's description (a `CommandSpec` is one). */
export interface PackedSpec {
  readonly name: string;
  readonly encodedName: EncodedName;
  readonly reply: ReplyShapers | undefined;
  readonly retrySafe: boolean;
  readonly runsCode: boolean;
}

const NO_ARGS: readonly RedisArg[] = [];
const PIPELINE = encodedNameOf('PIPELINE');

/**
 * A pipeline's calls as one entry in a connection's FIFO: issue 14's "no `Command` per queued
 * call". The calls' descriptions, arguments, promises and resolving functions sit in flat arrays;
 * the entry is written like one command and answers one reply per call, in order. Its own
 * promise is `exec()`'s: the values, a `ReplyError` in place of a call that got one, or the first
 * other failure.
 *
 * Only a plain pipeline is packed (no signal, Buffer replies or connection state change, on a
 * ready connection, a script helper's call only when its script is known there); its calls share
 * one deadline, and the replies still owed when it passes are taken and dropped. Everything
 * else, and every failure that needs one call handled on its own, goes through `Command`: when the
 * socket closes, `expand()` turns the calls still owed a reply into commands that keep their
 * promises, and DESIGN §3 is applied to each of them exactly as to any command
 * (`PendingCommands.settleWritten`); a NOSCRIPT reply to a script helper's call makes that call a
 * command its hook loads the script for and sends again.
 */
export class PackedCalls extends Command {
  readonly size: number;
  readonly #specs: readonly PackedSpec[];
  readonly #args: readonly (readonly RedisArg[])[];
  readonly #promises: readonly Promise<unknown>[];
  readonly #resolves: readonly ((value: unknown) => void)[];
  /** The calls' hooks (a script helper's reload), when any call has one. */
  readonly #hooks: readonly (CommandHook | undefined)[] | undefined;
  readonly #results: unknown[];
  /** Replies taken so far: the next reply answers call `#next`. */
  #next = 0;
  /** Calls settled, from the first: `#next` of them, or all once the entry was failed whole. */
  #settled = 0;
  /** Calls not yet settled, here or as expanded commands. */
  #remaining: number;
  /** The first failure that is not a reply error, by call index: `exec()` rejects with it. */
  #failure: { index: number; error: Error } | undefined;

  constructor(
    specs: readonly PackedSpec[],
    args: readonly (readonly RedisArg[])[],
    promises: readonly Promise<unknown>[],
    resolves: readonly ((value: unknown) => void)[],
    hooks: readonly (CommandHook | undefined)[] | undefined,
  ) {
    super('PIPELINE', PIPELINE, NO_ARGS);
    this.packed = true;
    this.size = specs.length;
    this.#specs = specs;
    this.#args = args;
    this.#promises = promises;
    this.#resolves = resolves;
    this.#hooks = hooks;
    this.#results = new Array(specs.length);
    this.#remaining = specs.length;
  }

  /**
   * Encodes every call, or none: a refused argument (the pipeline checked them as they were
   * queued, so this is not expected) takes back what the calls before it wrote, so part of a
   * pipeline can never reach the wire.
   */
  encode(writer: CommandWriter): void {
    const specs = this.#specs;
    const argLists = this.#args;
    const mark = writer.mark();
    try {
      for (let i = 0; i < specs.length; i++) writer.append(specs[i].encodedName, argLists[i], specs[i].name);
    } catch (error) {
      writer.rollback(mark);
      throw error;
    }
  }

  /**
   * The next reply (or a malformed value, or a broken read) on `connection`: true when the entry
   * is answered.
   */
  take(reply: RespValue | Error, connection: CommandChannel): boolean {
    const index = this.#next++;
    if (index < this.#settled) return this.#next === this.size;
    this.#settled = index + 1;
    const spec = this.#specs[index];
    if (reply instanceof Error) {
      if (reply instanceof ReplyError) {
        reply.attach(spec.name, spec.runsCode);
        // NOSCRIPT for a script helper's call: it becomes a command the hook loads and resends.
        const hook = this.#hooks?.[index];
        if (hook !== undefined && this.#command(index, CommandState.Written).recover(reply, connection)) {
          return this.#next === this.size;
        }
      }
      this.#fail(index, reply);
    } else if (spec.reply === undefined) {
      this.#succeed(index, reply);
    } else {
      let value: unknown;
      try {
        value = spec.reply[connection.resp - 2](reply);
      } catch (error) {
        this.#fail(index, error as Error);
        return this.#next === this.size;
      }
      this.#succeed(index, value);
    }
    return this.#next === this.size;
  }

  /**
   * The socket closed with calls still owed a reply: they become commands of their own, in order,
   * `state` as the entry's, settling the calls' own promises and reporting back here.
   */
  expand(): Command[] {
    const commands: Command[] = [];
    const state = this.state === CommandState.Written ? CommandState.Written : CommandState.Queued;
    for (let index = this.#settled; index < this.size; index++) commands.push(this.#command(index, state));
    this.#next = this.size;
    this.#settled = this.size;
    return commands;
  }

  /** Call `index` as a command of its own that settles the call's promise and reports back here. */
  #command(index: number, state: CommandState): Command {
    const spec = this.#specs[index];
    const command = new Command(spec.name, spec.encodedName, this.#args[index], spec.reply);
    command.adopt(this.#promises[index], this.#resolves[index]);
    command.retryable = spec.retrySafe;
    command.runsCode = spec.runsCode;
    command.hook = this.#hooks?.[index];
    command.quiet = true;
    command.state = state;
    command.listener = new Expanded(this, index, command);
    return command;
  }

  /** An expanded call settled. */
  settledCall(index: number, command: Command): void {
    const error = command.error;
    if (error === undefined) this.#results[index] = command.value;
    else this.#noteFailure(index, error);
    if (--this.#remaining === 0) this.#finish();
  }

  /** Fails every call not yet settled with `error` (closed, refused, queue full). */
  override reject(error: Error): void {
    if (this.isDone) return;
    for (let index = this.#settled; index < this.size; index++) this.#fail(index, error);
    this.#settled = this.size;
  }

  #succeed(index: number, value: unknown): void {
    this.#results[index] = value;
    this.#resolves[index](value);
    if (--this.#remaining === 0) this.#finish();
  }

  #fail(index: number, error: Error): void {
    failQuietly(this.#promises[index], this.#resolves[index], error);
    this.#noteFailure(index, error);
    if (--this.#remaining === 0) this.#finish();
  }

  #noteFailure(index: number, error: Error): void {
    if (error instanceof ReplyError) this.#results[index] = error;
    else if (this.#failure === undefined || index < this.#failure.index) this.#failure = { index, error };
  }

  #finish(): void {
    if (this.#failure !== undefined) super.reject(this.#failure.error);
    else this.resolve(this.#results as unknown as RespValue);
  }
}

/** Reports an expanded call's settlement to its entry. */
class Expanded implements SettleListener {
  readonly #entry: PackedCalls;
  readonly #index: number;
  readonly #command: Command;

  constructor(entry: PackedCalls, index: number, command: Command) {
    this.#entry = entry;
    this.#index = index;
    this.#command = command;
  }

  commandSettled(): void {
    this.#entry.settledCall(this.#index, this.#command);
  }
}

import {
  type Command,
  type CommandHook,
  type CommandOptions,
  failQuietly,
  pendingPromise,
  takeResolve,
} from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { PackedCalls } from '../connection/packed.js';
import { ArgumentError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';
import { batchChannel } from '../telemetry/channels.js';
import { Batch } from './batch.js';
import type { CommandSpec } from './spec.js';
import type { Commands } from './surface.js';

export interface Pipeline extends Commands {}

/**
 * Whether a pipeline with `options` on a client with this `keyPrefix` may be packed (see
 * `Pipeline`): nothing per call that a packed entry does not keep — no signal, no Buffer
 * replies, no keys to prefix. A timeout is kept: the calls share one deadline.
 */
export function packable(options: CommandOptions | undefined, keyPrefix: string): boolean {
  if (keyPrefix !== '') return false;
  return options === undefined || (options.signal === undefined && options.buffers !== true);
}

/**
 * Commands sent together without waiting for each other's replies. Not atomic: other clients'
 * commands may run in between, and an error reply fails only its own command.
 *
 * ```ts
 * const pipe = client.pipeline();
 * pipe.set('a', 1);
 * pipe.incr('a');
 * const [ok, two] = await pipe.exec();
 * ```
 *
 * A plain pipeline on a standalone or Sentinel client (no key prefix, signal or Buffer replies; a
 * script helper's calls only once the script is known on the connection) is queued flat — a
 * description, an argument list and a promise per call — and goes to the connection as one
 * entry (`PackedCalls`); anything else, or a pipeline sent while the connection is not ready, is
 * a `Command` per call, as in a transaction.
 */
export class Pipeline extends Batch {
  /** Where the packed form goes, while this pipeline is packed; undefined once it is not. */
  #packedOn: Connection | undefined;
  /** The packed calls' shared timeout in ms, 0 for none. */
  #timeout = 0;
  #specs: CommandSpec[] = [];
  #args: RedisArg[][] = [];
  #promises: Promise<unknown>[] = [];
  #resolves: Array<(value: unknown) => void> = [];
  /** The calls' hooks, once a call has one (a script helper's). */
  #hooks: Array<CommandHook | undefined> | undefined;

  /** @internal */
  constructor(...params: ConstructorParameters<typeof Batch>) {
    super(...params);
    const target = this.router._packedTarget?.(this.options);
    this.#packedOn = target?.connection;
    this.#timeout = target?.timeout ?? 0;
  }

  protected get kind(): string {
    return 'pipeline';
  }

  override get length(): number {
    return this.commands.length + this.#specs.length;
  }

  override _execute(spec: CommandSpec, args: RedisArg[], hook?: CommandHook): Promise<unknown> {
    if (this.#packedOn === undefined || this.executed) return super._execute(spec, args, hook);
    if (
      spec.onSent !== undefined ||
      spec.buffers ||
      (hook !== undefined && hook.preparesNothing === undefined) ||
      // A blocking command's deadline counts from the end of its block: a command of its own.
      (spec.blockTime !== undefined && this.#timeout > 0)
    ) {
      this.#unpack();
      return super._execute(spec, args, hook);
    }
    if (hook !== undefined) (this.#hooks ??= [])[this.#specs.length] = hook;
    const promise = pendingPromise();
    const resolve = takeResolve();
    const refusal = this.checkArgs(spec, args);
    if (refusal !== undefined) failQuietly(promise, resolve, refusal);
    this.#specs.push(spec);
    this.#args.push(args);
    this.#promises.push(promise);
    this.#resolves.push(resolve);
    return promise;
  }

  /** Sends every queued command; resolves to one entry per command: its value or its ReplyError. */
  exec(): Promise<unknown[]> {
    const connection = this.#packedOn;
    if (connection !== undefined && (connection.status !== 'ready' || !this.#prepared(connection)))
      this.#unpack();
    let commands: ReturnType<Batch['takeCommands']>;
    try {
      commands = this.takeCommands();
    } catch (error) {
      if (this.#packedOn !== undefined) this.#refuseCalls(error as Error);
      return Promise.reject(error);
    }
    if (this.#packedOn !== undefined) return this.#execPacked(this.#packedOn);
    if (commands.length === 0) return Promise.resolve([]);
    if (batchChannel.hasSubscribers) {
      return this.traced(
        'pipeline',
        commands.map((command) => command.name),
        () => this.#send(commands),
        commands[0],
      );
    }
    return this.#send(commands);
  }

  #send(commands: Command[]): Promise<unknown[]> {
    const results = Batch.collect(commands);
    this.router._sendBatch(commands);
    return results;
  }

  #execPacked(connection: Connection): Promise<unknown[]> {
    const specs = this.#specs;
    const calls = new PackedCalls(specs, this.#args, this.#promises, this.#resolves, this.#hooks);
    // Sent: nothing of it stays here for a later exec() (refused as already executed) to touch.
    this.#packedOn = undefined;
    this.#clear();
    if (specs.length === 0) return Promise.resolve([]);
    if (this.#timeout > 0) calls.deadline = performance.now() + this.#timeout;
    const send = () => {
      connection.send(calls);
      return calls.promise as Promise<unknown[]>;
    };
    if (!batchChannel.hasSubscribers) return send();
    return this.traced(
      'pipeline',
      specs.map((spec) => spec.name),
      send,
      undefined,
    );
  }

  /** No call's hook has anything to send ahead on `connection` (every script is known there). */
  #prepared(connection: Connection): boolean {
    const hooks = this.#hooks;
    if (hooks === undefined) return true;
    let checked: CommandHook | undefined;
    for (const hook of hooks) {
      if (hook === undefined || hook === checked) continue;
      if (!hook.preparesNothing!(connection)) return false;
      checked = hook;
    }
    return true;
  }

  /** From here on a `Command` per call: the calls queued flat so far become commands, in order. */
  #unpack(): void {
    const specs = this.#specs;
    const hooks = this.#hooks;
    this.#packedOn = undefined;
    this.#hooks = undefined;
    for (let i = 0; i < specs.length; i++) {
      const command = this.router._command(specs[i], this.#args[i], hooks?.[i], this.options);
      command.adopt(this.#promises[i], this.#resolves[i]);
      command.quiet = true;
      this.commands.push(command);
    }
    this.#clear();
  }

  #clear(): void {
    this.#specs = [];
    this.#args = [];
    this.#promises = [];
    this.#resolves = [];
    this.#hooks = undefined;
  }

  /** The pipeline was refused before sending: every call queued flat fails (see `takeCommands`). */
  #refuseCalls(refusal: Error): void {
    const specs = this.#specs;
    for (let i = 0; i < specs.length; i++) {
      const error = new ArgumentError(
        `${specs[i].name}: not sent, because another command in the pipeline was refused: ${refusal.message}`,
      );
      failQuietly(this.#promises[i], this.#resolves[i], error);
    }
    this.#packedOn = undefined;
    this.#clear();
  }
}

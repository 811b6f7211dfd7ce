import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import type { ScanSource } from './iterators.js';
import type { CommandSpec } from './spec.js';

/**
 * What typed methods run on: a client, a cluster, a view of either, a pipeline or a transaction.
 * `Script`, `Library` and `RedisFunction` accept any of them.
 * @internal
 */
export interface CommandTarget {
  /** Runs a described command with built arguments; `hook` takes part in its failures (scripts). */
  _execute(spec: CommandSpec, args: RedisArg[], hook?: CommandHook): Promise<unknown>;
  /** Batches record calls refused before they were built, so `exec()` refuses the whole batch. */
  _refuse?(error: Error): void;
  /** Runs any command; the reply comes back as decoded. */
  call(command: string, ...args: RedisArg[]): Promise<RespValue>;
}

/** Where a packed pipeline goes, and its timeout (0: none), from `CommandRouter._packedTarget`. */
export interface PackedTarget {
  readonly connection: Connection;
  readonly timeout: number;
}

/**
 * Where the commands of a surface go: a `Client` has one connection, a `Cluster` picks one per
 * call. Pipelines, transactions and views talk to this, not to a concrete client.
 * @internal
 */
export interface CommandRouter extends CommandTarget, ScanSource {
  /** Runs a command with per-call options. */
  _executeWith(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown>;
  /** Builds the command object for `spec` without sending it. */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command;
  /** The connection a transaction runs on (all its commands in one slot on a cluster). */
  _connectionFor(commands: readonly Command[]): Connection;
  /**
   * Where a plain pipeline with `options` may go as one packed entry (see `PackedCalls`), and its
   * timeout, when it may: a standalone or Sentinel client without key prefix or signal.
   */
  _packedTarget?(options: CommandOptions | undefined): PackedTarget | undefined;
  /** Sends a pipeline's commands, each resolving its own promise. */
  _sendBatch(commands: readonly Command[]): void;
  /** Where `command` went, for telemetry. */
  _addressOf?(command: Command | undefined): ServerAddress | undefined;
  /** The logical database, where there is one, for telemetry. */
  readonly _database?: number | undefined;
  /** Reloads routing after a transaction was refused with MOVED (clusters only). */
  _refreshRouting?(): Promise<void>;
}

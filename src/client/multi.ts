import { Command, encodedNameOf } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { ExecAbortError, RedisError, ReplyError, WatchError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { batchChannel } from '../telemetry/channels.js';
import { Batch, batchSize } from './batch.js';
import type { Commands } from './surface.js';

export interface Multi extends Commands {}

const ignore = () => undefined;

/** Times a transaction refused with MOVED is sent again after reloading the slot map. */
const MAX_REROUTES = 2;

/**
 * A transaction: `MULTI`, the queued commands and `EXEC`, written together so nothing of this
 * client interleaves, and run atomically by the server.
 *
 * - An error at run time (e.g. WRONGTYPE) fails that command only; the others are applied.
 * - A command refused while queueing makes the server discard everything: every command fails
 *   and `exec()` rejects with `ExecAbortError` (nothing ran).
 * - A `WATCH`ed key that changed makes `exec()` reject with `WatchError` (nothing ran).
 *
 * Scripts queued here that the server is not known to hold are loaded inside the transaction
 * (SCRIPT LOAD before their EVALSHA), so they run even right after a flush; the connection only
 * records them as loaded once EXEC succeeded, so a discarded transaction leaves no false belief.
 */
export class Multi extends Batch {
  protected get kind(): string {
    return 'transaction';
  }

  /** Runs the transaction; resolves to one entry per command: its value or its ReplyError. */
  async exec(): Promise<unknown[]> {
    const commands = this.takeCommands();
    if (commands.length === 0) return [];
    if (batchChannel.hasSubscribers)
      return this.traced(
        'transaction',
        commands.map((command) => command.name),
        () => this.#runAll(commands),
        commands[0],
      );
    return this.#runAll(commands);
  }

  async #runAll(commands: Command[]): Promise<unknown[]> {
    // On a cluster whose slot map is stale, the node answers every queued command with MOVED and
    // EXEC with EXECABORT: nothing ran, so the transaction goes again once the map is reloaded.
    for (let attempt = 0; ; attempt++) {
      const results = await this.#run(commands, attempt < MAX_REROUTES);
      if (results !== undefined) return results;
      await this.router._refreshRouting?.();
    }
  }

  /** One attempt; `undefined` when it was refused with MOVED everywhere and may be rerouted. */
  async #run(commands: Command[], mayReroute: boolean): Promise<unknown[] | undefined> {
    let connection: Connection;
    try {
      connection = this.router._connectionFor(commands);
    } catch (error) {
      for (const command of commands) command.reject(error as Error);
      throw error;
    }

    // MULTI and EXEC around the commands go whole or not at all: MULTI accepted without its EXEC
    // would leave the connection inside a transaction, queueing other callers' commands.
    if (!connection.hasRoomFor(batchSize(commands, connection) + 2)) {
      const full = connection.queueFullError();
      for (const command of commands) command.reject(full);
      throw full;
    }

    // Everything from MULTI to EXEC is one group: if the connection drops after part of it was
    // written, the rest is never sent on the next socket (the server discarded the MULTI).
    const group = {};
    const multi = internal('MULTI', group);
    // What hooks send first (a SCRIPT LOAD the server may lack) runs inside the transaction, before
    // the call that needs it. On the wire each goes as a twin that takes the `QUEUED` reply; the
    // real commands (the caller's, and those loads) settle from EXEC's reply.
    const inner: Command[] = [];
    const owners: Command[] = [];
    const isCallers: boolean[] = [];
    for (const command of commands) {
      const before = command.hook?.prepare(command, connection);
      if (before !== undefined) {
        inner.push(twinOf(before, group));
        owners.push(before);
        isCallers.push(false);
      }
      inner.push(twinOf(command, group));
      owners.push(command);
      isCallers.push(true);
    }
    const exec = internal('EXEC', group);
    exec.buffers = commands.some((command) => command.buffers);
    connection.send(multi);
    for (const command of inner) connection.send(command);
    connection.send(exec);

    let reply: RespValue;
    try {
      reply = (await exec.promise) as RespValue;
    } catch (error) {
      const failure = await this.#explain(error as Error, inner, isCallers);
      if (
        mayReroute &&
        this.router._refreshRouting !== undefined &&
        failure instanceof ExecAbortError &&
        failure.errors.size > 0 &&
        [...failure.errors.values()].every((refusal) => refusal.code === 'MOVED')
      ) {
        return undefined;
      }
      // The refused commands get their own errors; the rest, the transaction's.
      for (const [index, refusal] of failure instanceof ExecAbortError ? failure.errors : []) {
        commands[index].reject(refusal);
      }
      for (const command of owners) command.reject(failure);
      throw failure;
    }
    if (reply === null) {
      const aborted = new WatchError();
      for (const command of owners) command.reject(aborted);
      throw aborted;
    }
    const results = reply as RespValue[];
    for (let i = 0; i < inner.length; i++) {
      const result = results[i];
      const owner = owners[i];
      if (result instanceof ReplyError) {
        result.attach(owner.name, owner.runsCode);
        owner.hook?.failedInTransaction(owner, result, connection);
        owner.reject(result);
      } else {
        owner.resolve(result, connection.resp);
      }
    }
    return Batch.collect(commands);
  }

  /**
   * Drops the queued commands without sending them (they fail with code `DISCARDED`) and sends
   * `UNWATCH`, releasing keys watched for this transaction as the server's DISCARD would.
   */
  async discard(): Promise<void> {
    const commands = this.takeCommands();
    const discarded = new RedisError('the transaction was discarded', 'DISCARDED', false);
    for (const command of commands) command.reject(discarded);
    await this.router.call('UNWATCH');
  }

  /** Why EXEC failed: for EXECABORT, which queued commands the server refused, by index. */
  async #explain(error: Error, inner: readonly Command[], isCallers: readonly boolean[]): Promise<Error> {
    if (!(error instanceof ReplyError) || error.code !== 'EXECABORT') return error;
    const errors = new Map<number, ReplyError>();
    const settled = await Promise.all(
      inner.map((command) => command.promise.then(ignore, (refusal: Error) => refusal)),
    );
    let index = -1;
    settled.forEach((refusal, position) => {
      if (!isCallers[position]) return;
      index++;
      if (refusal instanceof ReplyError) errors.set(index, refusal);
    });
    return new ExecAbortError(error.message, errors);
  }
}

/** The wire copy of `command` inside a transaction: it takes the `QUEUED` (or refusal) reply. */
function twinOf(command: Command, group: object): Command {
  const twin = new Command(command.name, command.encodedName, command.args);
  twin.group = group;
  twin.promise.catch(ignore);
  return twin;
}

function internal(name: string, group: object): Command {
  const command = new Command(name, encodedNameOf(name), []);
  command.group = group;
  command.promise.catch(ignore);
  return command;
}

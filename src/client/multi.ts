import { Command, encodedNameOf, type ScriptSource } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { ExecAbortError, RedisError, ReplyError, WatchError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { Batch } from './batch.js';
import { installSurface } from './executor.js';
import type { Commands } from './surface.js';

export interface Multi extends Commands {}

const ignore = () => undefined;

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
    let connection: Connection;
    try {
      connection = this.router._connectionFor(commands);
    } catch (error) {
      for (const command of commands) command.reject(error as Error);
      throw error;
    }

    const loads: ScriptSource[] = [];
    for (const command of commands) {
      const script = command.script;
      if (script === undefined || script.kind === 'function') continue;
      if (!connection.knownScripts.has(script.sha1) && !loads.includes(script)) loads.push(script);
    }
    const multi = internal('MULTI', []);
    const loadCommands = loads.map((script) => internal('SCRIPT', ['LOAD', script.lua]));
    const queued = commands.map((command) => {
      const twin = new Command(command.name, command.encodedName, command.args);
      twin.promise.catch(ignore);
      return twin;
    });
    const exec = internal('EXEC', []);
    exec.buffers = commands.some((command) => command.buffers);
    for (const command of [multi, ...loadCommands, ...queued, exec]) connection.send(command);

    let reply: RespValue;
    try {
      reply = (await exec.promise) as RespValue;
    } catch (error) {
      const failure = await this.#explain(error as Error, queued);
      // The refused commands get their own errors; the rest, the transaction's.
      for (const [index, refusal] of failure instanceof ExecAbortError ? failure.errors : []) {
        commands[index].reject(refusal);
      }
      for (const command of commands) command.reject(failure);
      throw failure;
    }
    if (reply === null) {
      const aborted = new WatchError();
      for (const command of commands) command.reject(aborted);
      throw aborted;
    }
    const results = reply as RespValue[];
    loads.forEach((script, index) => {
      if (typeof results[index] === 'string') connection.knownScripts.add(script.sha1);
    });
    const offset = loads.length;
    commands.forEach((command, index) => {
      const result = results[offset + index];
      if (result instanceof ReplyError) {
        result.command = command.name;
        if (result.code === 'NOSCRIPT' && command.script !== undefined)
          connection.knownScripts.delete(command.script.sha1);
        command.reject(result);
      } else {
        command.resolve(result);
      }
    });
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

  async #explain(error: Error, queued: readonly Command[]): Promise<Error> {
    if (!(error instanceof ReplyError) || error.code !== 'EXECABORT') return error;
    const errors = new Map<number, ReplyError>();
    const settled = await Promise.all(
      queued.map((twin) => twin.promise.then(ignore, (refusal: Error) => refusal)),
    );
    settled.forEach((refusal, index) => {
      if (refusal instanceof ReplyError) errors.set(index, refusal);
    });
    return new ExecAbortError(error.message, errors);
  }
}

function internal(name: string, args: string[]): Command {
  const command = new Command(name, encodedNameOf(name), args);
  command.promise.catch(ignore);
  return command;
}

installSurface(Multi.prototype);

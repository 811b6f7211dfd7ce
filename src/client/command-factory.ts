import { Command, type CommandOptions, type ScriptSource } from '../connection/command.js';
import { AbortError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';
import type { CommandSpec } from './spec.js';

/**
 * Builds the command object for one call: reply shaping, retry safety, buffers and deadline from
 * the description and the per-call options. When the call's signal is already aborted the command
 * comes back rejected (not run); otherwise `onAbort` runs if it fires later.
 */
export function createCommand(
  spec: CommandSpec,
  args: RedisArg[],
  script: ScriptSource | undefined,
  options: CommandOptions | undefined,
  defaultTimeout: number,
  onAbort: (command: Command) => void,
): Command {
  const command = new Command(spec.name, spec.encodedName, args, spec.reply);
  command.retryable = spec.readOnly;
  command.script = script;
  command.buffers = spec.buffers;
  const timeout = options?.timeout ?? defaultTimeout;
  if (timeout > 0) command.deadline = performance.now() + timeout;
  if (options !== undefined) {
    if (options.buffers === true) command.buffers = true;
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) command.reject(new AbortError(false, { cause: signal.reason }));
      else command.watchSignal(signal, () => onAbort(command));
    }
  }
  return command;
}

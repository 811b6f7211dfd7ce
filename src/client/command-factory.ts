import { Command, type CommandHook, type CommandOptions } from '../connection/command.js';
import { AbortError } from '../errors.js';
import type { RedisArg } from '../resp/types.js';
import { prefixKeys } from './key-prefix.js';
import type { CommandSpec } from './spec.js';

/**
 * Fills in one call's command object from its description and the per-call options: reply
 * shaping, retry safety, buffers, deadline (a blocking call's includes its block time), hook. When the call's signal is already aborted the
 * command comes back rejected (not run); otherwise `onAbort` runs if it fires later.
 */
export function prepareCommand<C extends Command>(
  command: C,
  spec: CommandSpec,
  hook: CommandHook | undefined,
  options: CommandOptions | undefined,
  defaultTimeout: number,
  onAbort: (command: C) => void,
): C {
  command.retryable = spec.retrySafe;
  command.runsCode = spec.runsCode;
  command.hook = hook;
  command.buffers = spec.buffers;
  command.onSent = spec.onSent;
  let timeout = options?.timeout ?? defaultTimeout;
  // The client-wide timeout counts from the end of the block the caller asked for (BLPOP k 5 with
  // commandTimeout 500 has 5.5 s); a per-call timeout is the whole wait, as the caller said.
  if (timeout > 0 && options?.timeout === undefined && spec.blockTime !== undefined) {
    const blockMs = spec.blockTime(command.args);
    if (blockMs !== undefined) timeout = blockMs === 0 ? 0 : blockMs + timeout;
  }
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

/**
 * A new command for one call of `spec` (see `prepareCommand`), with the client's `keyPrefix` in
 * front of its keys (`prefixKeys`); `command.args` are then the arguments as sent.
 */
export function createCommand(
  spec: CommandSpec,
  args: RedisArg[],
  hook: CommandHook | undefined,
  options: CommandOptions | undefined,
  defaultTimeout: number,
  onAbort: (command: Command) => void,
  keyPrefix = '',
): Command {
  const keyed = keyPrefix === '' ? args : prefixKeys(spec.keys, args, keyPrefix);
  const command = new Command(spec.name, spec.encodedName, keyed, spec.reply);
  return prepareCommand(command, spec, hook, options, defaultTimeout, onAbort);
}

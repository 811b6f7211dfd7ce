import type { CommandOptions } from '../connection/command.js';
import { ArgumentError } from '../errors.js';
import { shown } from './commands/argument-checks.js';

/**
 * Checks the options of `withOptions(...)` once, when the view is made, so that its calls never
 * meet a timeout they cannot add or a signal they cannot listen to. Returns a copy.
 */
export function checkCommandOptions(options: unknown): CommandOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(
      `withOptions: expected an object of { timeout, signal, buffers }, got ${shown(options)}`,
    );
  }
  const { timeout, signal, buffers } = options as Record<string, unknown>;
  const checked: CommandOptions = {};
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > 2 ** 31 - 1) {
      throw new ArgumentError(
        `withOptions: timeout must be a number of milliseconds from 0 (none) to 2^31 - 1, got ${shown(timeout)}`,
      );
    }
    checked.timeout = timeout;
  }
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) {
      throw new ArgumentError(`withOptions: signal must be an AbortSignal, got ${shown(signal)}`);
    }
    checked.signal = signal;
  }
  if (buffers !== undefined) {
    if (typeof buffers !== 'boolean') {
      throw new ArgumentError(`withOptions: buffers must be true or false, got ${shown(buffers)}`);
    }
    checked.buffers = buffers;
  }
  return checked;
}

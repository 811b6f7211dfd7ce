import type { CommandSpec } from '../spec.js';
import { scriptingCommands } from './scripting.js';
import { stringCommands } from './strings.js';

/** Every described command, by method name. One entry per command; see `spec.ts`. */
export const COMMANDS = {
  ...stringCommands,
  ...scriptingCommands,
};

export type CommandTable = typeof COMMANDS;

/** Described commands by their Redis name (`GET`, `FUNCTION LOAD`), for `call()` and routing. */
export const specsByName: ReadonlyMap<string, CommandSpec> = new Map(
  Object.values(COMMANDS as Record<string, CommandSpec>).map((spec) => [spec.name, spec]),
);

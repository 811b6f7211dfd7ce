import type { CommandSpec } from '../spec.js';
import { callOnlyCommands } from './call-only.js';
import { hashCommands } from './hashes.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import { pubsubCommands } from './pubsub.js';
import { scriptingCommands } from './scripting.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { sortedSetCommands } from './sorted-sets.js';
import { streamCommands } from './streams.js';
import { stringCommands } from './strings.js';

/** Every described command, by method name. One entry per command; see `spec.ts`. */
export const COMMANDS = {
  ...stringCommands,
  ...keyCommands,
  ...hashCommands,
  ...listCommands,
  ...setCommands,
  ...sortedSetCommands,
  ...streamCommands,
  ...serverCommands,
  ...pubsubCommands,
  ...scriptingCommands,
};

export type CommandTable = typeof COMMANDS;

/**
 * Described commands by their Redis name (`GET`, `FUNCTION LOAD`), for `call()` and routing:
 * every typed command, and those only `call()` sees (refused ones, ones with secret arguments).
 */
export const specsByName: ReadonlyMap<string, CommandSpec> = new Map(
  [...Object.values(COMMANDS as Record<string, CommandSpec>), ...callOnlyCommands].map((spec) => [
    spec.name,
    spec,
  ]),
);

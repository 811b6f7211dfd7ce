import type { RedisArg, RespValue } from '../resp/types.js';
import type { CommandTable } from './commands/index.js';
import type { ScriptingMethods } from './scripting-methods.js';
import type { BufferCommandMethods, CommandMethods } from './spec.js';

/** Methods whose types are written by hand in `ScriptingMethods` rather than derived. */
type HandTyped = keyof ScriptingMethods | 'scriptExistsMany';

/**
 * The command surface shared by `Client`, `Cluster`, pipelines and transactions: every described
 * command as a typed method, the scripting methods, and `call()`.
 */
export interface Commands
  extends Omit<CommandMethods<CommandTable>, HandTyped>,
    ScriptingMethods,
    CallMethod {}

/** The same surface with blob-string replies as Buffers (`withOptions({ buffers: true })`). */
export interface BufferCommands
  extends Omit<BufferCommandMethods<CommandTable>, HandTyped>,
    ScriptingMethods,
    CallMethod {}

/** `call()`, on every surface. */
export interface CallMethod {
  /** Runs any command; the reply comes back as decoded (see "Values" in the README), without shaping. */
  call(command: string, ...args: RedisArg[]): Promise<RespValue>;
}

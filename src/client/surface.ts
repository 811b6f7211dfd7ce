import type { RedisArg, RespValue } from '../resp/types.js';
import type { CommandTable } from './commands/index.js';
import type { BufferIterators, Iterators } from './iterators.js';
import type { Multi } from './multi.js';
import type { Pipeline } from './pipeline.js';
import type { ScriptingMethods } from './scripting-methods.js';
import type { BufferCommandMethods, CommandMethods } from './spec.js';
import type { ClientView } from './view.js';

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

// The buffers surfaces replace the string one rather than intersect with it: in `ClientView &
// BufferCommands` each method would be an overload pair whose first (string) signature wins.

/** What `withOptions({ buffers: true })` returns: a view whose replies carry Buffers. */
export interface BufferClientView
  extends Omit<ClientView, keyof Commands | keyof Iterators | 'pipeline' | 'multi'>,
    BufferCommands,
    BufferIterators {
  /** A pipeline whose calls use this view's options, Buffers included. */
  pipeline(): BufferPipeline;
  /** A transaction whose calls use this view's options, Buffers included. */
  multi(): BufferMulti;
}

/** A pipeline of a buffers view. */
export interface BufferPipeline extends Omit<Pipeline, keyof Commands>, BufferCommands {}

/** A transaction of a buffers view. */
export interface BufferMulti extends Omit<Multi, keyof Commands>, BufferCommands {}

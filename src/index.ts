export { Batch } from './client/batch.js';
export { Client } from './client/client.js';
export type {
  FunctionInfo,
  FunctionLibraryInfo,
  FunctionRestorePolicy,
  FunctionStats,
} from './client/commands/scripting.js';
export type { SetOptions } from './client/commands/strings.js';
export { Multi } from './client/multi.js';
export type { ClientOptions } from './client/options.js';
export { Pipeline } from './client/pipeline.js';
export { ClientView, type CommandRouter } from './client/router.js';
export type { BufferCommands, Commands } from './client/surface.js';
export { Cluster, type ClusterOptions } from './cluster/cluster.js';
export { slotOf } from './cluster/slots.js';
export type { CommandOptions } from './connection/command.js';
export type { ConnectionStatus } from './connection/connection.js';
export { exponentialBackoff, type ReconnectStrategy } from './connection/options.js';
export {
  AbortError,
  type AnalysisDiagnostic,
  ArgumentError,
  ClusterError,
  ConnectionError,
  type ConnectionErrorCode,
  ExecAbortError,
  FanOutError,
  ProtocolError,
  RedisError,
  ReplyError,
  ScriptAnalysisError,
  TimeoutError,
  WatchError,
} from './errors.js';
export type { RedisArg, RespValue } from './resp/types.js';
export { type FunctionFlag, Library, type LibraryOptions, RedisFunction } from './scripting/library.js';
export type { ReplacePolicy } from './scripting/library-load.js';
export type { LintOption } from './scripting/lint-option.js';
export {
  Script,
  type ScriptOptions,
  type ScriptParams,
  type ScriptSignature,
  type ScriptTarget,
  type UntypedScript,
} from './scripting/script.js';
export { sha1 } from './scripting/sha1.js';
export type { FunctionSignatures, LibraryFunctions, TypedFunction } from './scripting/typed-functions.js';

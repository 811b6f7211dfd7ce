export { Client } from './client/client.js';
export type {
  FunctionInfo,
  FunctionLibraryInfo,
  FunctionRestorePolicy,
  FunctionStats,
} from './client/commands/scripting.js';
export type { SetOptions } from './client/commands/strings.js';
export type { IsolatedConnection } from './client/isolated.js';
export type { Multi } from './client/multi.js';
export type { ClientOptions } from './client/options.js';
export type { Pipeline } from './client/pipeline.js';
export type { BufferCommands, Commands } from './client/surface.js';
export type { ClientView } from './client/view.js';
export { Cluster, type ClusterOptions } from './cluster/cluster.js';
export { slotOf } from './cluster/slots.js';
export type { CommandOptions } from './connection/command.js';
export type { ConnectionStatus } from './connection/connection.js';
export { exponentialBackoff, type ReconnectStrategy } from './connection/options.js';
export {
  AbortError,
  ArgumentError,
  ClusterError,
  ConnectionError,
  type ConnectionErrorCode,
  ExecAbortError,
  FanOutError,
  ProtocolError,
  RedisError,
  ReplyError,
  type ReplyReason,
  TimeoutError,
  WatchError,
} from './errors.js';
export type { SubscriptionNames } from './pubsub/pubsub.js';
export type {
  MessageListener,
  PatternListener,
  Subscription,
  SubscriptionStatus,
} from './pubsub/subscription.js';
export type { TopicKind } from './pubsub/topic.js';
export type { RedisArg, RespValue } from './resp/types.js';
export { type FunctionFlag, Library, RedisFunction } from './scripting/library.js';
export {
  Script,
  type ScriptOptions,
  type ScriptParams,
  type ScriptSignature,
  type ScriptTarget,
  type UntypedScript,
} from './scripting/script.js';
export { sha1 } from './scripting/sha1.js';

/**
 * A Redis client for Node.js built around Lua scripts and Redis Functions: `Client` for one
 * server, `Cluster` for a Redis Cluster, `Script`, `Library` and `RedisFunction` for server-side
 * logic, and the error classes every failure is an instance of.
 *
 * @module redmoon
 */

export type { BufferClientView, BufferMulti, BufferPipeline } from './client/buffer-surface.js';
export { Client } from './client/client.js';
export type {
  CopyOptions,
  ExpireCondition,
  KeyScanOptions,
  RestoreOptions,
  ScanOptions,
} from './client/commands/keys.js';
export type { ListEnd, LposOptions } from './client/commands/lists.js';
export type {
  FunctionInfo,
  FunctionLibraryInfo,
  FunctionRestorePolicy,
  FunctionStats,
} from './client/commands/scripting.js';
export type { FlushMode } from './client/commands/server.js';
export type {
  RangeLimit,
  ScoreBound,
  ScoredMember,
  ZaddOptions,
  ZrangeOptions,
  ZstoreOptions,
} from './client/commands/sorted-sets.js';
export type {
  StreamOffsets,
  StreamTrim,
  XaddOptions,
  XautoclaimOptions,
  XclaimOptions,
  XgroupCreateOptions,
  XpendingRangeOptions,
  XrangeOptions,
  XreadgroupOptions,
  XreadOptions,
} from './client/commands/stream-args.js';
export type {
  StreamAutoclaim,
  StreamAutoclaimIds,
  StreamConsumerInfo,
  StreamEntry,
  StreamGroupEntry,
  StreamGroupInfo,
  StreamId,
  StreamInfo,
  StreamPendingEntry,
  StreamPendingSummary,
  StreamRead,
} from './client/commands/stream-replies.js';
export type { SetOptions } from './client/commands/strings.js';
export type { IsolatedConnection } from './client/isolated.js';
export type { BufferIterators, Iterators } from './client/iterators.js';
export type { Multi } from './client/multi.js';
export type { ClientOptions } from './client/options.js';
export type { Pipeline } from './client/pipeline.js';
export type { Unbuffered } from './client/spec.js';
export type { BufferCommands, Commands } from './client/surface.js';
export type { ClientView } from './client/view.js';
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
  type ReplyReason,
  ScriptAnalysisError,
  SentinelError,
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
export type { SentinelOptions } from './sentinel/options.js';
export { Sentinel } from './sentinel/sentinel.js';

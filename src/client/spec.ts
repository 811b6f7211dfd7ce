import type { CommandChannel, ReplyShapers } from '../connection/command.js';
import { type EncodedName, encodeName } from '../resp/encoder.js';
import type { RedisArg, RespValue } from '../resp/types.js';

/**
 * Where a command's keys are among its arguments (the arguments after the command name,
 * 0-based), so routing, replica reads and prefixing read one description instead of per-command
 * code. Mirrors the server's own key specs (`COMMAND INFO`).
 * - `none`: no keys (PING, INFO, SCRIPT LOAD).
 * - `range`: keys from `first` to `last` (negative counts from the end, -1 = last) every `step`.
 * - `numkeys`: `args[index]` is a key count and that many keys follow it (EVAL, FCALL, ZUNION);
 *   `destination`, when given, is the position of one more key before the count (ZUNIONSTORE).
 * - `keyword`: the keys are the first half of the arguments after `keyword`, searched from
 *   `startFrom` (XREAD ... STREAMS k1 k2 id1 id2; the server's own spec says `limit 2`).
 */
export type KeySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'range'; readonly first: number; readonly last: number; readonly step: number }
  | { readonly kind: 'numkeys'; readonly index: number; readonly destination?: number }
  | { readonly kind: 'keyword'; readonly keyword: string; readonly startFrom: number };

export const NO_KEYS: KeySpec = { kind: 'none' };
/** The first argument is the only key (GET, HSET, LPUSH, ...). */
export const FIRST_KEY: KeySpec = { kind: 'range', first: 0, last: 0, step: 1 };
/** Every argument is a key (DEL, EXISTS, MGET, WATCH). */
export const ALL_KEYS: KeySpec = { kind: 'range', first: 0, last: -1, step: 1 };
/** Keys and values alternate (MSET k v k v). */
export const EVERY_OTHER_KEY: KeySpec = { kind: 'range', first: 0, last: -1, step: 2 };

/**
 * Where a cluster sends a command (the description's `cluster`):
 * - `slot`: to the node serving its keys' slot; keyless commands to any primary (the one serving
 *   slot 0). The default.
 * - `refused`: keyless calls are refused before sending (SCAN: use `scanIterator`).
 * - `primaries`: to every primary — and, with `replicas`, to every replica the cluster reads from
 *   (the script cache is per node) — merging the answers with `merge`. Errors whose code is
 *   `ignoredCode` are dropped while at least one node succeeded (NOTBUSY from idle nodes when
 *   killing a script).
 */
export type ClusterPolicy =
  | { readonly kind: 'slot' }
  /** Keyless, it would answer for one node only and look complete: refused, saying what to use. */
  | { readonly kind: 'refused'; readonly reason: string }
  | {
      readonly kind: 'primaries';
      readonly merge: (replies: RespValue[]) => RespValue;
      readonly replicas: boolean;
      readonly ignoredCode?: string;
    };

/** Which connection a command needs. */
export type ConnectionNeed =
  /** The shared, auto-pipelined connection (almost everything). */
  | 'shared'
  /** A side connection that is never queued behind a busy script (SCRIPT KILL, FUNCTION KILL). */
  | 'control'
  /** It blocks the connection until it is answered (BLPOP, XREAD BLOCK, WAIT). */
  | 'blocking'
  /** It turns the connection into a subscriber (SUBSCRIBE and kin). */
  | 'pubsub';

/**
 * A command described once: everything the machinery needs to know about it, so no other place
 * branches on its name. Adding a command is adding one of these (see `command()`).
 */
export interface CommandSpec<Params extends unknown[] = any[], Reply = unknown> {
  readonly name: string;
  readonly encodedName: EncodedName;
  /** Where its keys are among the arguments. */
  readonly keys: KeySpec;
  /** False for commands redmoon does not describe (`call()`): a cluster asks the server for keys. */
  readonly keysKnown: boolean;
  /** Sending it again after a lost reply is safe: a repeat changes nothing. */
  readonly retrySafe: boolean;
  /** A replica may answer it (`replicaReads`): a read that tolerates replication lag. */
  readonly replicaSafe: boolean;
  /** Runs a script or function: an error reply may follow writes (see `ReplyError.attach`). */
  readonly runsCode: boolean;
  /** Where it goes on a cluster. */
  readonly cluster: ClusterPolicy;
  /** Which connection it needs. */
  readonly connection: ConnectionNeed;
  /**
   * How long this call may block the server's answer, in milliseconds (0: as long as it takes), or
   * `undefined` when, with these arguments, it answers at once. A `blocking` command goes to a
   * dedicated connection only when it blocks (XREAD without BLOCK does not), and its timeout is
   * this plus `commandTimeout`, so a client-wide timeout never cuts a block the caller asked for.
   */
  readonly blockTime: ((args: readonly RedisArg[]) => number | undefined) | undefined;
  /** Why `call()` refuses it (it would break a shared connection), when it does. */
  readonly refusedInCall: string | undefined;
  /** What sending it does to the connection's state (SCRIPT FLUSH forgets the known scripts). */
  readonly onSent: ((connection: CommandChannel) => void) | undefined;
  /** Indexes of arguments that hold secrets (passwords), for errors, logs and telemetry. */
  readonly secretArgs: ((args: readonly RedisArg[]) => readonly number[]) | undefined;
  /** Builds the arguments after the name. Throws `ArgumentError` for values it cannot send. */
  readonly args: (...params: Params) => RedisArg[];
  /** Shapes the raw reply into `Reply`, one shaper per protocol; absent when the raw reply is the value. */
  readonly reply: ReplyShapers | undefined;
  /** The reply is binary by nature (FUNCTION DUMP, DUMP): always decoded as Buffers. */
  readonly buffers: boolean;
  /** `args` itself refuses every value that cannot be sent, so batches need not check again. */
  readonly argsChecked: boolean;
  /** Phantom: carries the reply type for method signatures. Never set. */
  readonly __reply?: Reply;
}

/** A reply shaper, or one per protocol (see `byProtocol`). */
export type ReplyDefinition<Reply> = ((raw: any) => Reply) | ByProtocol<Reply>;

/** Shapers for RESP2 and RESP3 replies of the same command, giving one shape. */
export interface ByProtocol<Reply> {
  readonly resp2: (raw: any) => Reply;
  readonly resp3: (raw: any) => Reply;
}

export interface CommandDefinition<Params extends unknown[], Reply> {
  name: string;
  keys?: KeySpec;
  /**
   * Reads only: safe to retry, and — when it has keys — safe on a replica. Keyless reads (INFO,
   * FUNCTION LIST) go to a primary unless `replicaSafe` says otherwise: a lagging replica would
   * not show what was just loaded.
   */
  readOnly?: boolean;
  /** Overrides what `readOnly` implies for replicas. */
  replicaSafe?: boolean;
  /** Overrides what `readOnly` implies for retries (SCRIPT LOAD writes, but twice is the same as once). */
  retrySafe?: boolean;
  runsCode?: boolean;
  cluster?: ClusterPolicy;
  connection?: ConnectionNeed;
  /** See `CommandSpec.blockTime`; a `blocking` command without one always blocks, for as long as it takes. */
  blockTime?: (args: readonly RedisArg[]) => number | undefined;
  refusedInCall?: string;
  onSent?: (connection: CommandChannel) => void;
  secretArgs?: (args: readonly RedisArg[]) => readonly number[];
  args: (...params: Params) => RedisArg[];
  reply?: ReplyDefinition<Reply>;
  buffers?: boolean;
  argsChecked?: boolean;
}

export const SLOT_ROUTE: ClusterPolicy = { kind: 'slot' };

/** Sent to every primary (and, with `replicas`, every read replica), answers merged by `merge`. */
export function everyPrimary(
  merge: (replies: RespValue[]) => RespValue,
  options: { replicas?: boolean; ignoredCode?: string } = {},
): ClusterPolicy {
  return { kind: 'primaries', merge, replicas: options.replicas ?? false, ignoredCode: options.ignoredCode };
}

/** Declares a command. The reply type is inferred from `reply`, or given explicitly. */
export function command<Params extends unknown[], Reply = unknown>(
  definition: CommandDefinition<Params, Reply>,
): CommandSpec<Params, Reply> {
  const keys = definition.keys ?? NO_KEYS;
  const readOnly = definition.readOnly ?? false;
  return {
    name: definition.name,
    encodedName: encodeName(definition.name),
    keys,
    keysKnown: true,
    retrySafe: definition.retrySafe ?? readOnly,
    replicaSafe: definition.replicaSafe ?? (readOnly && keys.kind !== 'none'),
    runsCode: definition.runsCode ?? false,
    cluster: definition.cluster ?? SLOT_ROUTE,
    connection: definition.connection ?? 'shared',
    blockTime: definition.blockTime ?? (definition.connection === 'blocking' ? blocksForever : undefined),
    refusedInCall: definition.refusedInCall,
    onSent: definition.onSent,
    secretArgs: definition.secretArgs,
    args: definition.args,
    reply: shapersOf(definition.reply),
    buffers: definition.buffers ?? false,
    argsChecked: definition.argsChecked ?? false,
  };
}

const blocksForever = () => 0;

/**
 * `blockTime` of a command whose timeout argument is in seconds (BLPOP's last, BLMPOP's first):
 * `index` counts from the end when negative. A timeout that is not a number blocks forever as far
 * as the deadline goes; the server refuses it anyway.
 */
export function secondsAt(index: number): (args: readonly RedisArg[]) => number {
  return (args) => {
    const seconds = Number(args[index < 0 ? args.length + index : index]);
    return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds * 1000) : 0;
  };
}

/** `blockTime` of a command whose timeout argument is in milliseconds (WAIT). */
export function millisecondsAt(index: number): (args: readonly RedisArg[]) => number {
  return (args) => {
    const ms = Number(args[index < 0 ? args.length + index : index]);
    return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
  };
}

/**
 * `blockTime` of a command that blocks only with an option word followed by milliseconds
 * (`XREAD ... BLOCK ms STREAMS ...`): `undefined`, so not blocking, without it. The search stops
 * at `stopWord`, after which come keys, one of which may be named like the option.
 */
export function millisecondsAfter(
  word: string,
  stopWord?: string,
): (args: readonly RedisArg[]) => number | undefined {
  const upper = word.toUpperCase();
  const stop = stopWord?.toUpperCase();
  return (args) => {
    for (let i = 0; i < args.length - 1; i++) {
      const arg = args[i];
      if (typeof arg !== 'string') continue;
      const option = arg.toUpperCase();
      if (option === stop) return undefined;
      if (option === upper) {
        const ms = Number(args[i + 1]);
        return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : 0;
      }
    }
    return undefined;
  };
}

/** Milliseconds `spec` may block with `args`, or `undefined` when this call does not block. */
export function blockTimeOf(spec: CommandSpec, args: readonly RedisArg[]): number | undefined {
  return spec.blockTime === undefined ? undefined : spec.blockTime(args);
}

function shapersOf<Reply>(reply: ReplyDefinition<Reply> | undefined): ReplyShapers | undefined {
  if (reply === undefined) return undefined;
  if (typeof reply === 'function') return [reply, reply];
  return [reply.resp2, reply.resp3];
}

/** The arguments of a call as they may be shown: secrets replaced by `(redacted)`. */
export function redactedArgs(spec: CommandSpec, args: readonly RedisArg[]): string[] {
  const secret = spec.secretArgs?.(args) ?? [];
  return args.map((arg, index) =>
    secret.includes(index) ? '(redacted)' : Buffer.isBuffer(arg) ? `<${arg.length} bytes>` : String(arg),
  );
}

/** The key arguments of a call, given the arguments after the name. */
export function keysOf(keys: KeySpec, args: readonly RedisArg[]): RedisArg[] {
  switch (keys.kind) {
    case 'none':
      return [];
    case 'range': {
      const last = keys.last < 0 ? args.length + keys.last : keys.last;
      const found: RedisArg[] = [];
      for (let i = keys.first; i <= last && i < args.length; i += keys.step) found.push(args[i]);
      return found;
    }
    case 'numkeys': {
      const count = Number(args[keys.index]);
      const found =
        Number.isInteger(count) && count >= 0 ? args.slice(keys.index + 1, keys.index + 1 + count) : [];
      if (keys.destination !== undefined) found.push(args[keys.destination]);
      return found;
    }
    case 'keyword':
      for (let i = keys.startFrom; i < args.length; i++) {
        if (isKeyword(args[i], keys.keyword)) return args.slice(i + 1, i + 1 + ((args.length - i - 1) >> 1));
      }
      return [];
  }
}

function isKeyword(arg: RedisArg, keyword: string): boolean {
  if (typeof arg === 'string') return arg.length === keyword.length && arg.toUpperCase() === keyword;
  return Buffer.isBuffer(arg) && arg.length === keyword.length && arg.toString().toUpperCase() === keyword;
}

/** The method signatures a table of specs gives a client, pipeline or transaction. */
export type CommandMethods<Table> = {
  [Name in keyof Table]: Table[Name] extends CommandSpec<infer Params, infer Reply>
    ? (...params: Params) => Promise<Reply>
    : never;
};

declare const unbuffered: unique symbol;

/**
 * Marks a string reply that stays a string on a buffers view (`withOptions({ buffers: true })`):
 * a simple-string status such as TYPE's answer, or text redmoon builds itself such as a SCAN
 * cursor. A `string & Unbuffered` is a `string` for every other purpose.
 */
export type Unbuffered = { readonly [unbuffered]: true };

declare const textReply: unique symbol;

/**
 * A reply string that stays a `string` on a buffers view and that any string may be assigned to:
 * ASCII by nature, compared and sent back by callers (stream IDs).
 */
export type TextReply = string & { readonly [textReply]?: true };

/**
 * The same reply type as decoded with blob strings as Buffers (`withOptions({ buffers: true })`).
 * The decoder turns blob strings into Buffers and leaves simple strings alone, so the wide
 * `string` of a reply type becomes `Buffer` while string literals (`'OK'`, `'PONG'`: simple
 * strings) and `Unbuffered` strings stay; arrays, tuples, maps and objects change member by member.
 */
export type Bufferize<T> = T extends Unbuffered
  ? T
  : T extends string
    ? typeof textReply extends keyof T
      ? string
      : string extends T
        ? Buffer
        : T
    : T extends Buffer | number | bigint | boolean | null | undefined
      ? T
      : T extends Map<infer K, infer V>
        ? Map<Bufferize<K>, Bufferize<V>>
        : T extends Set<infer V>
          ? Set<Bufferize<V>>
          : T extends object
            ? { [K in keyof T]: Bufferize<T[K]> }
            : T;

export type BufferCommandMethods<Table> = {
  [Name in keyof Table]: Table[Name] extends CommandSpec<infer Params, infer Reply>
    ? (...params: Params) => Promise<Bufferize<Reply>>
    : never;
};

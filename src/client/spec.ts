import type { ReplyTransform } from '../connection/command.js';
import { type EncodedName, encodeName } from '../resp/encoder.js';
import type { RedisArg } from '../resp/types.js';

/**
 * Where a command's keys are among its arguments (the arguments after the command name,
 * 0-based), so routing, replica reads and prefixing read one description instead of per-command
 * code. Mirrors the server's own key specs (`COMMAND INFO`).
 * - `none`: no keys (PING, INFO, SCRIPT LOAD).
 * - `range`: keys from `first` to `last` (negative counts from the end, -1 = last) every `step`.
 * - `numkeys`: `args[index]` is a key count and that many keys follow it (EVAL, FCALL, ZUNION).
 * - `keyword`: the keys are the first half of the arguments after `keyword`, searched from
 *   `startFrom` (XREAD ... STREAMS k1 k2 id1 id2; the server's own spec says `limit 2`).
 */
export type KeySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'range'; readonly first: number; readonly last: number; readonly step: number }
  | { readonly kind: 'numkeys'; readonly index: number }
  | { readonly kind: 'keyword'; readonly keyword: string; readonly startFrom: number };

export const NO_KEYS: KeySpec = { kind: 'none' };
/** The first argument is the only key (GET, HSET, LPUSH, ...). */
export const FIRST_KEY: KeySpec = { kind: 'range', first: 0, last: 0, step: 1 };
/** Every argument is a key (DEL, EXISTS, MGET, WATCH). */
export const ALL_KEYS: KeySpec = { kind: 'range', first: 0, last: -1, step: 1 };
/** Keys and values alternate (MSET k v k v). */
export const EVERY_OTHER_KEY: KeySpec = { kind: 'range', first: 0, last: -1, step: 2 };

/**
 * A command described once: what it is called, where its keys are, whether it only reads, how to
 * build its arguments from a typed method's parameters, and how to shape its reply so that RESP2
 * and RESP3 give the same value. Adding a command is adding one of these.
 */
export interface CommandSpec<Params extends unknown[] = any[], Reply = unknown> {
  readonly name: string;
  readonly encodedName: EncodedName;
  readonly keys: KeySpec;
  /** Reads only: safe to retry after a connection loss and to serve from a replica. */
  readonly readOnly: boolean;
  /** Builds the arguments after the name. Throws `ArgumentError` for values it cannot send. */
  readonly args: (...params: Params) => RedisArg[];
  /** Shapes the raw reply (RESP2 or RESP3) into `Reply`; absent when the raw reply is the value. */
  readonly reply: ReplyTransform | undefined;
  /** The reply is binary by nature (FUNCTION DUMP, DUMP): always decoded as Buffers. */
  readonly buffers: boolean;
  /** False for commands redmoon does not describe (`call()`): a cluster asks the server for keys. */
  readonly keysKnown: boolean;
  /** `args` itself refuses every value that cannot be sent, so batches need not check again. */
  readonly argsChecked: boolean;
  /**
   * The command may block the connection (XREAD/XREADGROUP with BLOCK): such commands are meant
   * for dedicated connections.
   */
  readonly blocking?: boolean;
  /** Phantom: carries the reply type for method signatures. Never set. */
  readonly __reply?: Reply;
}

export interface CommandDefinition<Params extends unknown[], Reply> {
  name: string;
  keys?: KeySpec;
  readOnly?: boolean;
  args: (...params: Params) => RedisArg[];
  reply?: (raw: any) => Reply;
  buffers?: boolean;
  argsChecked?: boolean;
  /** See `CommandSpec.blocking`. */
  blocking?: true;
}

/** Declares a command. The reply type is inferred from `reply`, or given explicitly. */
export function command<Params extends unknown[], Reply = unknown>(
  definition: CommandDefinition<Params, Reply>,
): CommandSpec<Params, Reply> {
  return {
    name: definition.name,
    encodedName: encodeName(definition.name),
    keys: definition.keys ?? NO_KEYS,
    readOnly: definition.readOnly ?? false,
    args: definition.args,
    reply: definition.reply as ReplyTransform | undefined,
    buffers: definition.buffers ?? false,
    keysKnown: true,
    argsChecked: definition.argsChecked ?? false,
    blocking: definition.blocking === true,
  };
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
      if (!Number.isInteger(count) || count < 0) return [];
      return args.slice(keys.index + 1, keys.index + 1 + count);
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

declare const textReply: unique symbol;

/**
 * A reply string that stays a `string` on a buffers view: ASCII by nature, compared by loops and
 * sent back by callers (stream IDs). Any string is assignable to it.
 */
export type TextReply = string & { readonly [textReply]?: true };

/** The same reply type with blob strings as Buffers (for `withOptions({ buffers: true })`). */
export type Bufferize<T> = T extends 'OK' | 'QUEUED' | 'PONG'
  ? T
  : T extends string
    ? typeof textReply extends keyof T
      ? string
      : Buffer
    : T extends Array<infer Item>
      ? Bufferize<Item>[]
      : T extends Map<infer K, infer V>
        ? Map<Bufferize<K>, Bufferize<V>>
        : T extends Record<string, unknown>
          ? { [K in keyof T]: Bufferize<T[K]> }
          : T;

export type BufferCommandMethods<Table> = {
  [Name in keyof Table]: Table[Name] extends CommandSpec<infer Params, infer Reply>
    ? (...params: Params) => Promise<Bufferize<Reply>>
    : never;
};

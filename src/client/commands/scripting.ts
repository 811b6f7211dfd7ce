import type { CommandChannel } from '../../connection/command.js';
import { ArgumentError } from '../../errors.js';
import { describe, isRedisArg } from '../../resp/encoder.js';
import type { RedisArg, RespValue } from '../../resp/types.js';
import { type ProtocolShapes, shaped } from '../replies.js';
import { command, everyPrimary, NO_KEYS } from '../spec.js';
import { optionsOf } from './argument-checks.js';

/**
 * Scripting and Redis Functions commands. Their methods on clients (with generic reply types and
 * `scriptExists` taking one sha or many) are in `client/scripting-methods.ts`; this file is their
 * single description: names, key positions (KEYS come after a count) and reply shapes.
 */

/** EVAL-family key positions: `script numkeys key... arg...`. */
const SCRIPT_KEYS = { kind: 'numkeys', index: 1 } as const;

/** Builds `target numkeys keys... args...`, naming the offending key or argument. */
export function scriptCallArgs(
  commandName: string,
  target: RedisArg,
  keys: readonly RedisArg[] | undefined,
  args: readonly RedisArg[] | undefined,
): RedisArg[] {
  const keyList = keys ?? [];
  const argList = args ?? [];
  if (!Array.isArray(keyList))
    throw new ArgumentError(`${commandName}: keys must be an array, got ${describe(keys)}`);
  if (!Array.isArray(argList))
    throw new ArgumentError(`${commandName}: args must be an array, got ${describe(args)}`);
  // Sized once: grown by push, the array of a one-key call would keep room for 19 (1M calls in
  // flight, 120 bytes each).
  const out: RedisArg[] = new Array(2 + keyList.length + argList.length);
  out[0] = target;
  out[1] = keyList.length;
  let at = 2;
  for (let i = 0; i < keyList.length; i++) {
    const key = keyList[i];
    if (!isRedisArg(key)) {
      throw new ArgumentError(
        `${commandName}: keys[${i}] is ${describe(key)}; expected a string, Buffer, number or bigint`,
      );
    }
    out[at++] = key;
  }
  for (let i = 0; i < argList.length; i++) {
    const arg = argList[i];
    if (!isRedisArg(arg)) {
      throw new ArgumentError(
        `${commandName}: args[${i}] is ${describe(arg)}; expected a string, Buffer, number or bigint`,
      );
    }
    out[at++] = arg;
  }
  return out;
}

/** Refuses anything that is not 40 hex digits before it reaches the server. */
export function checkSha1(commandName: string, sha1: unknown): string {
  // One script called in a loop is the common case: the sha checked last time needs no new check.
  if (sha1 === lastCheckedSha1) return sha1;
  if (typeof sha1 !== 'string' || sha1.length !== 40 || !isHex(sha1)) {
    const shown = typeof sha1 === 'string' ? `"${sha1.slice(0, 48)}"` : describe(sha1);
    throw new ArgumentError(`${commandName}: ${shown} is not a SHA1 digest (40 hexadecimal digits)`);
  }
  lastCheckedSha1 = sha1.toLowerCase();
  return lastCheckedSha1;
}

let lastCheckedSha1 = '';

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function checkScriptBody(commandName: string, lua: unknown): string | Buffer {
  if (typeof lua !== 'string' && !Buffer.isBuffer(lua)) {
    throw new ArgumentError(`${commandName}: the script must be a string or Buffer, got ${describe(lua)}`);
  }
  return lua;
}

/** One function as FUNCTION LIST describes it. */
export interface FunctionInfo {
  name: string;
  description: string | null;
  /** Flags as the server reports them (`no-writes`, `allow-oom`, `allow-stale`, `no-cluster`, ...). */
  flags: string[];
}

/** One library as FUNCTION LIST describes it (same shape on RESP2 and RESP3). */
export interface FunctionLibraryInfo {
  libraryName: string;
  engine: string;
  functions: FunctionInfo[];
  /** Present when listed `withCode`. */
  libraryCode?: string;
}

/** FUNCTION STATS, shaped. `runningScript` is what runs now, if anything. */
export interface FunctionStats {
  runningScript: { name: string; command: string[]; durationMs: number } | null;
  engines: Record<string, { librariesCount: number; functionsCount: number }>;
}

export type FunctionRestorePolicy = 'FLUSH' | 'APPEND' | 'REPLACE';

const toLibraryInfos = shaped((shapes: ProtocolShapes) => {
  const toLibraryInfo = (raw: RespValue): FunctionLibraryInfo => {
    const fields = shapes.object(raw);
    const library: FunctionLibraryInfo = {
      libraryName: String(fields.library_name),
      engine: String(fields.engine),
      functions: ((fields.functions ?? []) as RespValue[]).map((entry) => {
        const fn = shapes.object(entry);
        return {
          name: String(fn.name),
          description:
            fn.description === null || fn.description === undefined ? null : String(fn.description),
          flags: ((fn.flags ?? []) as RespValue[]).map(String),
        };
      }),
    };
    if (fields.library_code !== undefined) library.libraryCode = String(fields.library_code);
    return library;
  };
  return (raw: RespValue[]): FunctionLibraryInfo[] => raw.map(toLibraryInfo);
});

const toFunctionStats = shaped((shapes: ProtocolShapes) => (raw: RespValue): FunctionStats => {
  const fields = shapes.object(raw);
  const running = fields.running_script;
  const stats: FunctionStats = { runningScript: null, engines: {} };
  if (running !== null && running !== undefined) {
    const script = shapes.object(running);
    stats.runningScript = {
      name: String(script.name),
      command: ((script.command ?? []) as RespValue[]).map(String),
      durationMs: Number(script.duration_ms),
    };
  }
  const engines = fields.engines === undefined ? {} : shapes.object(fields.engines);
  for (const [engine, info] of Object.entries(engines)) {
    const counts = shapes.object(info);
    stats.engines[engine] = {
      librariesCount: Number(counts.libraries_count),
      functionsCount: Number(counts.functions_count),
    };
  }
  return stats;
});

/**
 * The scripts a server is known to hold, per socket (see `Connection.session`). Kept by
 * `scripting/script-cache.ts`; SCRIPT FLUSH sent by this client forgets them all (flushes by
 * others show up as NOSCRIPT, which forgets one).
 */
export const KNOWN_SCRIPTS: object = { name: 'known scripts' };

const forgetKnownScripts = (connection: CommandChannel) => {
  connection.session.delete(KNOWN_SCRIPTS);
};

/** Merges of answers from every primary (see `everyPrimary`). */
const firstReply = (replies: RespValue[]): RespValue => replies[0];

/** Every node must agree (SCRIPT LOAD answers the sha, FUNCTION LOAD the library name). */
const agreedReply = (replies: RespValue[]): RespValue => {
  for (const reply of replies) {
    if (String(reply) !== String(replies[0]))
      throw new Error(`the nodes disagree: ${replies.map(String).join(', ')}`);
  }
  return replies[0];
};

/** SCRIPT EXISTS on a cluster: a script exists only if every node has it. */
const existsEverywhere = (replies: RespValue[]): RespValue => {
  const lists = replies as RespValue[][];
  return lists[0].map((_, index) =>
    lists.every((list) => list[index] === 1 || list[index] === true) ? 1 : 0,
  );
};

function flushMode(commandName: string, mode: unknown): RedisArg[] {
  if (mode === undefined) return [];
  if (mode !== 'SYNC' && mode !== 'ASYNC') {
    throw new ArgumentError(`${commandName}: mode must be 'SYNC' or 'ASYNC', got ${describe(mode)}`);
  }
  return [mode];
}

export const scriptingCommands = {
  /** https://redis.io/commands/eval/ */
  eval: command({
    name: 'EVAL',
    argsChecked: true,
    runsCode: true,
    keys: SCRIPT_KEYS,
    args: (lua: string, keys?: RedisArg[], args?: RedisArg[]) =>
      scriptCallArgs('EVAL', checkScriptBody('EVAL', lua), keys, args),
  }),
  /** https://redis.io/commands/eval_ro/ */
  evalRo: command({
    name: 'EVAL_RO',
    argsChecked: true,
    runsCode: true,
    keys: SCRIPT_KEYS,
    readOnly: true,
    args: (lua: string, keys?: RedisArg[], args?: RedisArg[]) =>
      scriptCallArgs('EVAL_RO', checkScriptBody('EVAL_RO', lua), keys, args),
  }),
  /** https://redis.io/commands/evalsha/ */
  evalsha: command({
    name: 'EVALSHA',
    argsChecked: true,
    runsCode: true,
    keys: SCRIPT_KEYS,
    args: (sha1: string, keys?: RedisArg[], args?: RedisArg[]) =>
      scriptCallArgs('EVALSHA', checkSha1('EVALSHA', sha1), keys, args),
  }),
  /** https://redis.io/commands/evalsha_ro/ */
  evalshaRo: command({
    name: 'EVALSHA_RO',
    argsChecked: true,
    runsCode: true,
    keys: SCRIPT_KEYS,
    readOnly: true,
    args: (sha1: string, keys?: RedisArg[], args?: RedisArg[]) =>
      scriptCallArgs('EVALSHA_RO', checkSha1('EVALSHA_RO', sha1), keys, args),
  }),
  /** https://redis.io/commands/fcall/ */
  fcall: command({
    name: 'FCALL',
    argsChecked: true,
    runsCode: true,
    keys: SCRIPT_KEYS,
    args: (name: string, keys?: RedisArg[], args?: RedisArg[]) =>
      scriptCallArgs('FCALL', checkName('FCALL', name), keys, args),
  }),
  /** https://redis.io/commands/fcall_ro/ */
  fcallRo: command({
    name: 'FCALL_RO',
    argsChecked: true,
    runsCode: true,
    keys: SCRIPT_KEYS,
    readOnly: true,
    args: (name: string, keys?: RedisArg[], args?: RedisArg[]) =>
      scriptCallArgs('FCALL_RO', checkName('FCALL_RO', name), keys, args),
  }),
  /** https://redis.io/commands/script-exists/ — one boolean per sha. */
  scriptExistsMany: command({
    name: 'SCRIPT EXISTS',
    keys: NO_KEYS,
    readOnly: true,
    cluster: everyPrimary(existsEverywhere, { replicas: true }),
    args: (sha1s: readonly string[]) => {
      if (!Array.isArray(sha1s) || sha1s.length === 0) {
        throw new ArgumentError('SCRIPT EXISTS: expected a sha1 or a non-empty array of them');
      }
      return sha1s.map((sha) => checkSha1('SCRIPT EXISTS', sha));
    },
    reply: (raw: RespValue[]): boolean[] => raw.map((value) => value === 1 || value === true),
  }),
  /** https://redis.io/commands/script-load/ — resolves the sha1 the server computed. */
  scriptLoad: command({
    name: 'SCRIPT LOAD',
    keys: NO_KEYS,
    retrySafe: true,
    cluster: everyPrimary(agreedReply, { replicas: true }),
    args: (lua: string) => [checkScriptBody('SCRIPT LOAD', lua)],
    reply: (raw): string => String(raw),
  }),
  /** https://redis.io/commands/script-flush/ */
  scriptFlush: command({
    name: 'SCRIPT FLUSH',
    keys: NO_KEYS,
    cluster: everyPrimary(firstReply, { replicas: true }),
    onSent: forgetKnownScripts,
    args: (mode?: 'SYNC' | 'ASYNC') => flushMode('SCRIPT FLUSH', mode),
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /**
   * https://redis.io/commands/script-kill/ — sent on a side connection: the shared one may be
   * queued behind the very script being killed. On a cluster, every node; idle ones answer NOTBUSY.
   */
  scriptKill: command({
    name: 'SCRIPT KILL',
    keys: NO_KEYS,
    connection: 'control',
    cluster: everyPrimary(firstReply, { replicas: true, ignoredCode: 'NOTBUSY' }),
    args: () => [],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/function-load/ — resolves the library name. */
  functionLoad: command({
    name: 'FUNCTION LOAD',
    keys: NO_KEYS,
    cluster: everyPrimary(agreedReply),
    args: (code: string, options?: { replace?: boolean }) => {
      const body = checkScriptBody('FUNCTION LOAD', code);
      return optionsOf('FUNCTION LOAD', options)?.replace ? ['REPLACE', body] : [body];
    },
    reply: (raw): string => String(raw),
  }),
  /** https://redis.io/commands/function-list/ — `libraryName` is a pattern to the server. */
  functionList: command({
    name: 'FUNCTION LIST',
    keys: NO_KEYS,
    readOnly: true,
    args: (listOptions?: { libraryName?: string; withCode?: boolean }) => {
      const args: RedisArg[] = [];
      const options = optionsOf('FUNCTION LIST', listOptions);
      if (options?.libraryName !== undefined)
        args.push('LIBRARYNAME', checkName('FUNCTION LIST', options.libraryName));
      if (options?.withCode) args.push('WITHCODE');
      return args;
    },
    reply: toLibraryInfos,
  }),
  /** https://redis.io/commands/function-delete/ */
  functionDelete: command({
    name: 'FUNCTION DELETE',
    keys: NO_KEYS,
    cluster: everyPrimary(firstReply),
    args: (libraryName: string) => [checkName('FUNCTION DELETE', libraryName)],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/function-flush/ */
  functionFlush: command({
    name: 'FUNCTION FLUSH',
    keys: NO_KEYS,
    cluster: everyPrimary(firstReply),
    args: (mode?: 'SYNC' | 'ASYNC') => flushMode('FUNCTION FLUSH', mode),
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/function-dump/ — a binary payload, always a Buffer. */
  functionDump: command({
    name: 'FUNCTION DUMP',
    keys: NO_KEYS,
    readOnly: true,
    buffers: true,
    args: () => [],
    reply: (raw): Buffer => raw as Buffer,
  }),
  /** https://redis.io/commands/function-restore/ */
  functionRestore: command({
    name: 'FUNCTION RESTORE',
    keys: NO_KEYS,
    cluster: everyPrimary(firstReply),
    args: (dump: Buffer, policy?: FunctionRestorePolicy) => {
      if (!Buffer.isBuffer(dump))
        throw new ArgumentError(`FUNCTION RESTORE: the dump must be a Buffer, got ${describe(dump)}`);
      if (policy === undefined) return [dump];
      if (policy !== 'FLUSH' && policy !== 'APPEND' && policy !== 'REPLACE') {
        throw new ArgumentError(
          `FUNCTION RESTORE: policy must be 'FLUSH', 'APPEND' or 'REPLACE', got ${describe(policy)}`,
        );
      }
      return [dump, policy];
    },
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/function-kill/ — on a side connection, like SCRIPT KILL. */
  functionKill: command({
    name: 'FUNCTION KILL',
    keys: NO_KEYS,
    connection: 'control',
    cluster: everyPrimary(firstReply, { replicas: true, ignoredCode: 'NOTBUSY' }),
    args: () => [],
    reply: (raw): 'OK' => raw as 'OK',
  }),
  /** https://redis.io/commands/function-stats/ */
  functionStats: command({
    name: 'FUNCTION STATS',
    keys: NO_KEYS,
    readOnly: true,
    args: () => [],
    reply: toFunctionStats,
  }),
};

function checkName(commandName: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ArgumentError(`${commandName}: the name must be a non-empty string, got ${describe(name)}`);
  }
  return name;
}

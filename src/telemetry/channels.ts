import { channel, tracingChannel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * redmoon's `node:diagnostics_channel` channels, the way undici and Node's own http publish
 * theirs: instrumentation subscribes (see `redmoon/otel`), nothing patches the client, and a
 * channel nobody subscribes to costs one boolean check per call.
 *
 * - `redmoon:command` (tracing channel: start, end, asyncStart, asyncEnd, error) — one call of one
 *   command. Context: `CommandContext`.
 * - `redmoon:batch` (tracing channel) — a pipeline's or transaction's `exec()`. Context:
 *   `BatchContext`.
 * - `redmoon:connect` — a socket is ready (handshake done). Message: `ConnectMessage`.
 * - `redmoon:script-load` — a script or library loaded because the server lacked it (NOSCRIPT,
 *   missing function). Message: `ScriptLoadMessage`.
 * - `redmoon:redirect` — a cluster command was redirected or retried. Message: `RedirectMessage`.
 */

/** Where a command or batch went. */
export interface ServerAddress {
  host: string;
  port: number;
}

export interface CommandContext {
  /** The command's name (`GET`, `EVALSHA`, `FUNCTION LOAD`). */
  readonly command: string;
  /** Its arguments as they may be shown: secrets replaced by `(redacted)`, Buffers by their size. */
  readonly args: () => string[];
  /** The script's SHA1 for EVALSHA/EVALSHA_RO, the function's name for FCALL/FCALL_RO. */
  readonly script: string | undefined;
  /** The logical database (standalone), if known. */
  readonly database: number | undefined;
  /** Where it was sent (for a cluster: the node its slot mapped to when sent). */
  server: ServerAddress | undefined;
  /** Set on `error`. */
  error?: unknown;
  /** Set on `asyncEnd`. */
  result?: unknown;
}

export interface BatchContext {
  readonly kind: 'pipeline' | 'transaction';
  readonly size: number;
  /** The commands' names, in order. */
  readonly commands: readonly string[];
  readonly database: number | undefined;
  server: ServerAddress | undefined;
  error?: unknown;
  result?: unknown;
}

export interface ConnectMessage extends ServerAddress {
  /** The protocol negotiated. */
  resp: 2 | 3;
  /** 0 for the first connect, then the reconnect attempt it ends. */
  attempt: number;
}

export interface ScriptLoadMessage extends ServerAddress {
  /** The script's SHA1, or `function:<library>`. */
  sha1: string;
  kind: 'script' | 'function';
  /** Why it was loaded: `NOSCRIPT`, `FUNCTION_NOT_FOUND`, or `BATCH` (ahead of a batch's call). */
  reason: string;
  /** The context of the command that needed it, when that command is being traced. */
  command: CommandContext | undefined;
}

export interface RedirectMessage {
  command: CommandContext | undefined;
  /** `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`, ..., or `CONNECTION` for a lost or unready node. */
  reason: string;
  attempt: number;
}

export const commandChannel = tracingChannel<unknown, CommandContext>('redmoon:command');
export const batchChannel = tracingChannel<unknown, BatchContext>('redmoon:batch');
export const connectChannel = channel('redmoon:connect');
export const scriptLoadChannel = channel('redmoon:script-load');
export const redirectChannel = channel('redmoon:redirect');

/**
 * The traced context of a command object, while it is traced: hooks deep below (a script reload,
 * a cluster redirect) find it to report events on the right span. Weak, so nothing is kept.
 */
export const tracedCommands = new WeakMap<object, CommandContext>();

/** `NODE_DEBUG=redmoon` logging: connection events, never commands' arguments or secrets. */
export const debug = debuglog('redmoon');

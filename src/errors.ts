/**
 * Every error redmoon raises is a `RedisError`. Branch on `err.code` (stable) or on the class,
 * never on message text. Each class says whether the command may have run on the server and
 * whether retrying it is safe.
 *
 * The ES module and CommonJS builds of the package share these classes (the ES build re-exports
 * the CommonJS ones), so `instanceof` holds across them: an error raised by code that `require`s
 * redmoon is an instance of the classes that code which `import`s it sees.
 */
export class RedisError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;
  /**
   * Whether the command may have been applied by the server. `false` means it certainly was
   * not (it was never sent); `true` means it may have been, so retrying a write could apply
   * it twice.
   */
  readonly mayHaveRun: boolean;

  constructor(message: string, code: string, mayHaveRun: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.mayHaveRun = mayHaveRun;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * What a reply error means for the machinery, derived once, when the error is built, so no layer
 * matches message text: `NOSCRIPT` (the server lacks the script), `FUNCTION_NOT_FOUND` (it lacks
 * the function: `ERR Function not found` has no code of its own), `COMPILE_ERROR` (the Lua did
 * not compile, so nothing ran).
 */
export type ReplyReason = 'NOSCRIPT' | 'FUNCTION_NOT_FOUND' | 'COMPILE_ERROR';

/**
 * The server answered with an error reply (`-ERR ...`, `-NOSCRIPT ...`, `-BUSY ...`).
 * The command ran as far as the server let it. For an ordinary command the codes in
 * `NOT_APPLIED_CODES` mean nothing was applied; for a script or a function (EVAL, EVALSHA, FCALL)
 * only refusals before it started do (NOSCRIPT, BUSY, a compile error, a missing function, a
 * redirect): an error raised while it ran — even `WRONGTYPE` from `redis.call` — may follow
 * writes, which Redis does not roll back, so `mayHaveRun` is then `true`.
 * `code` is the first word of the reply (`ERR`, `NOSCRIPT`, `BUSY`, `WRONGTYPE`, `MOVED`, ...).
 * `command` is the command name; arguments are never included, as they may hold secrets.
 */
export class ReplyError extends RedisError {
  /** The name of the command that received this reply, e.g. `EVALSHA`, when known. */
  command: string | undefined;
  /** What the error means beyond its code, when it means something to redmoon (see `ReplyReason`). */
  readonly reason: ReplyReason | undefined;

  constructor(reply: string, command?: string) {
    const space = reply.indexOf(' ');
    const code = space === -1 ? reply : reply.slice(0, space);
    const normalized = isUpperCaseWord(code) ? code : 'ERR';
    super(reply, normalized, !NOT_APPLIED_CODES.has(normalized));
    this.command = command;
    this.reason = reasonOf(normalized, reply);
  }

  /**
   * Records which command received the reply. `runsCode`: the command runs a script or a
   * function, so an error raised while it ran may follow writes.
   */
  attach(command: string, runsCode: boolean): void {
    this.command = command;
    if (runsCode) {
      (this as { mayHaveRun: boolean }).mayHaveRun =
        this.reason === undefined && !REFUSED_BEFORE_RUNNING.has(this.code);
    }
  }
}

function reasonOf(code: string, reply: string): ReplyReason | undefined {
  if (code === 'NOSCRIPT') return 'NOSCRIPT';
  if (code !== 'ERR') return undefined;
  // https://github.com/redis/redis/blob/7.0/src/function.c (fcallCommandGeneric) and eval.c.
  if (reply.startsWith('ERR Function not found')) return 'FUNCTION_NOT_FOUND';
  if (reply.startsWith('ERR Error compiling script')) return 'COMPILE_ERROR';
  return undefined;
}

/**
 * For scripts and functions, the codes the server answers before any of the code runs (key
 * checks, cluster state, a busy server). `WRONGTYPE`, `OOM`, `NOPERM` and `ERR` can come from a
 * `redis.call` halfway through, so they are not here. `READONLY` is: on a replica the first
 * write fails, so nothing before it can have been written.
 */
const REFUSED_BEFORE_RUNNING: ReadonlySet<string> = new Set([
  'NOSCRIPT',
  'BUSY',
  'MOVED',
  'ASK',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'NOAUTH',
  'CROSSSLOT',
  'NOPROTO',
]);

/**
 * Error codes with which Redis refuses an ordinary command before executing any of it: those
 * above, and refusals that for a script may come from inside it. Any other code (notably `ERR`
 * raised from inside a script after it wrote) may leave writes applied.
 */
const NOT_APPLIED_CODES: ReadonlySet<string> = new Set([
  ...REFUSED_BEFORE_RUNNING,
  'WRONGPASS',
  'NOPERM',
  'WRONGTYPE',
  'EXECABORT',
  'OOM',
  'NOREPLICAS',
  'MISCONF',
  'NOTBUSY',
  'UNKILLABLE',
]);

function isUpperCaseWord(word: string): boolean {
  if (word.length === 0) return false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const digitOrUnderscore = (c >= 48 && c <= 57) || c === 95;
    if (!upper && !(i > 0 && digitOrUnderscore)) return false;
  }
  return true;
}

/**
 * A transaction was discarded by the server because a queued command was refused
 * (`EXECABORT`). Nothing in the transaction ran. `errors` holds the reply error of each refused
 * command by its index in the transaction.
 */
export class ExecAbortError extends RedisError {
  readonly errors: ReadonlyMap<number, ReplyError>;
  constructor(message: string, errors: ReadonlyMap<number, ReplyError>) {
    super(message, 'EXECABORT', false);
    this.errors = errors;
  }
}

/** A `WATCH`ed key changed, so `EXEC` ran nothing. Safe to retry the whole transaction. */
export class WatchError extends RedisError {
  constructor() {
    super('Transaction aborted: a watched key was modified before EXEC', 'WATCH_FAILED', false);
  }
}

/**
 * An argument was refused before anything was sent: the command did not run and the
 * connection is untouched. Fix the call; retrying as is fails the same way.
 */
export class ArgumentError extends RedisError {
  constructor(message: string) {
    super(message, 'ERR_ARGUMENT', false);
  }
}

/**
 * Codes of `ConnectionError`:
 * - `CONNECTION_LOST`: the connection dropped after the command was written; it may have run.
 * - `CONNECTION_CLOSED`: the client was closed (`quit`/`disconnect`) or gave up reconnecting
 *   before the command was written; it did not run.
 * - `NOT_CONNECTED`: `connect()` was not called, or the offline queue is disabled.
 * - `QUEUE_FULL`: too many commands were waiting; this one was refused and did not run.
 * - `CONNECT_FAILED`: the connection could not be established.
 */
export type ConnectionErrorCode =
  | 'CONNECTION_LOST'
  | 'CONNECTION_CLOSED'
  | 'NOT_CONNECTED'
  | 'QUEUE_FULL'
  | 'CONNECT_FAILED';

/**
 * The connection failed. `mayHaveRun` tells whether the command reached the server:
 * when `true`, redmoon did not resend it (at most once), and a write may or may not be applied.
 */
export class ConnectionError extends RedisError {
  declare readonly code: ConnectionErrorCode;
  constructor(
    message: string,
    code: ConnectionErrorCode,
    mayHaveRun: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, code, mayHaveRun, options);
  }
}

/**
 * A command or connect attempt took longer than its timeout. If the command was already written
 * (`mayHaveRun: true`) the server may still apply it; its late reply is discarded.
 */
export class TimeoutError extends RedisError {
  constructor(message: string, mayHaveRun: boolean) {
    super(message, 'TIMEOUT', mayHaveRun);
  }
}

/**
 * The caller's `AbortSignal` fired. Before the command was written it is removed and does not run
 * (`mayHaveRun: false`); after, the server may still apply it and its reply is discarded.
 */
export class AbortError extends RedisError {
  constructor(mayHaveRun: boolean, options?: { cause?: unknown }) {
    super('The operation was aborted', 'ABORTED', mayHaveRun, options);
  }
}

/**
 * The server sent bytes that are not valid RESP, or a declared length, nesting or element count
 * over the configured limit. When the framing is lost the connection is closed (and
 * reconnected) and commands in flight fail with `CONNECTION_LOST`. When only a value is
 * malformed inside an intact frame (Redis 7.0 sends `(123  123` for a Lua
 * `{big_number='123  123'}`), only the command it answers fails, with this error: it ran.
 */
export class ProtocolError extends RedisError {
  constructor(message: string) {
    super(message, 'ERR_PROTOCOL', true);
  }
}

/**
 * A cluster could not route a command: keys in different hash slots (`CROSSSLOT`), no node for
 * a slot, or too many redirections. Codes: `CROSSSLOT` and `NO_NODE` were raised before sending
 * (did not run); `TOO_MANY_REDIRECTS` may have run.
 */
export class ClusterError extends RedisError {}

/**
 * Sentinel could not give a usable primary. Raised before anything was sent (`mayHaveRun: false`):
 * - `NO_PRIMARY`: no sentinel could be reached, or none knows the name, or none names a primary.
 * - `WRONG_ROLE`: the node the sentinels named says (ROLE) it is not the primary (a failover is
 *   under way); the connection refuses it and asks again.
 * - `FAILOVER`: the sentinels announced a new primary, so the connection to the old one was
 *   dropped; commands written to it fail with `CONNECTION_LOST` and this as their cause.
 */
export class SentinelError extends RedisError {
  declare readonly code: 'NO_PRIMARY' | 'WRONG_ROLE' | 'FAILOVER';
  constructor(
    message: string,
    code: 'NO_PRIMARY' | 'WRONG_ROLE' | 'FAILOVER',
    options?: { cause?: unknown },
  ) {
    super(message, code, false, options);
  }
}

/**
 * A command sent to every primary (SCRIPT LOAD, FUNCTION LOAD, SCRIPT FLUSH, ...) failed on some
 * of them. `results` holds what the others answered, `errors` each failure, by `host:port`. The
 * command ran where it succeeded (`mayHaveRun: true`); repeating these commands is safe. When
 * every primary refuses with the same error reply, that `ReplyError` is raised instead.
 */
export class FanOutError extends ClusterError {
  readonly results: ReadonlyMap<string, unknown>;
  readonly errors: ReadonlyMap<string, Error>;
  constructor(
    commandName: string,
    results: ReadonlyMap<string, unknown>,
    errors: ReadonlyMap<string, Error>,
  ) {
    const failures = [...errors].map(([address, error]) => `${address}: ${error.message}`).join('; ');
    super(
      `${commandName} failed on ${errors.size} of ${errors.size + results.size} primaries: ${failures}`,
      'FANOUT_FAILED',
      true,
    );
    this.results = results;
    this.errors = errors;
  }
}

/** One finding of `lint` (redmoon/lua), as carried by a `ScriptAnalysisError`. */
export interface AnalysisDiagnostic {
  rule: string;
  severity: 'error' | 'warning';
  line: number;
  column: number;
  message: string;
}

/**
 * A script or library was linted before sending (the `lint` option of `Script.fromLua` and
 * `Library.fromCode`) and has errors the server would refuse or that break at run time. Nothing
 * was sent. `diagnostics` holds every finding, warnings included; fix the code, or turn the
 * rule off through the lint options if the finding is wrong for your server.
 */
export class ScriptAnalysisError extends RedisError {
  readonly diagnostics: readonly AnalysisDiagnostic[];
  constructor(what: string, diagnostics: readonly AnalysisDiagnostic[]) {
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    const listed = errors
      .slice(0, 5)
      .map((d) => `${d.line}:${d.column} ${d.rule}: ${d.message}`)
      .join('; ');
    const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
    super(`${what} has ${errors.length} lint error(s): ${listed}${more}`, 'SCRIPT_ANALYSIS', false);
    this.diagnostics = Object.freeze([...diagnostics]);
  }
}

/** What `lint` reports, and the rules it knows. Every rule is described in docs/linting.md. */

export type Severity = 'error' | 'warning';

/** The rules, each with the severity it reports at unless `LintOptions.rules` says otherwise. */
export const RULES = {
  /** The Lua 5.1 parser refused the code; line as the server's own error says. */
  syntax: 'error',
  /** Assignment to a global or a field of a global table: Redis scripts cannot create globals. */
  'global-write': 'error',
  /** A global the server's Lua environment does not have, in the context the code runs. */
  'undefined-global': 'error',
  /** `os`, `io`, `dofile`, ... (absent on the server: error) or `loadstring`, `load` (warning). */
  'forbidden-library': 'error',
  /** `redis.nope()`, `string.nope()`: a member the server's table lacks (read without a call: warning). */
  'unknown-api': 'error',
  /** Deprecated API (`redis.replicate_commands`, a no-op since Redis 7). */
  'deprecated-api': 'warning',
  /** A key named in the script (a literal, or built from ARGV) instead of passed in KEYS. */
  'literal-key': 'warning',
  /** `KEYS[0]`, or `KEYS[i]` past the declared key count. */
  'key-index': 'error',
  /** A write command where only reads are allowed (no-writes, evalRo, FCALL_RO). */
  'write-in-read-only': 'error',
  /** A command the captured command table does not know. */
  'unknown-command': 'error',
  /** A command the server refuses inside scripts (flag `noscript`: MULTI, WATCH, EVAL, ...). */
  'noscript-command': 'error',
  /** Wrong number of arguments, per the command's arity. */
  arity: 'error',
  /** A command deprecated in the command docs (GETSET, RPOPLPUSH, ...). */
  'deprecated-command': 'warning',
  /** KEYS, RANDOMKEY, DBSIZE, FLUSHALL, ...: keyspace-wide, or one node's view in a cluster. */
  'dangerous-command': 'warning',
  /** SCAN/SSCAN/HSCAN/ZSCAN in a loop: a whole-keyspace walk inside one atomic script. */
  'scan-in-loop': 'warning',
  /** A `while`/`repeat` loop over redis calls with no bound on its iterations. */
  'unbounded-loop': 'warning',
  /** A missing or malformed `#!lua` line (a library's `name=`, a script's `flags=`). */
  shebang: 'error',
  /** A flag the server does not know, in a shebang or `register_function{ flags = ... }`. */
  'unknown-flag': 'error',
  /** A malformed `redis.register_function` call (bad name, unknown argument, no callback). */
  'register-function': 'error',
  /** Two functions of one library with the same name. */
  'duplicate-function': 'error',
  /** A library that registers no function (the server refuses it). */
  'no-functions': 'error',
  /** `redis.register_function` where it cannot run: inside a function called at run time. */
  'register-outside-load': 'error',
  /** A malformed or repeated `-- @version` comment of a library. */
  'library-version': 'warning',
} as const satisfies Record<string, Severity>;

export type RuleName = keyof typeof RULES;

/** One finding. `line` and `column` are 1-based; columns count UTF-16 code units of the line. */
export interface Diagnostic {
  rule: RuleName;
  severity: Severity;
  line: number;
  column: number;
  message: string;
}

export interface LintOptions {
  /**
   * `script` (EVAL) or `library` (FUNCTION LOAD). Default: `library` when the code starts with a
   * `#!lua` line that has `name=`, else `script`.
   */
  kind?: 'script' | 'library';
  /** The number of keys a script is called with, when fixed: `KEYS[i]` beyond it is an error. */
  keyCount?: number;
  /** The script runs read-only (EVAL_RO/EVALSHA_RO, or `flags=no-writes`): writes are errors. */
  readOnly?: boolean;
  /**
   * Resolves an include comment (`--- @include "includes/name"`, as bullmq writes them) to the
   * included source, whose top-level locals then count as defined. `from` is the id of the file
   * that holds the comment (undefined for the code being linted); return `{ id, source }` so
   * includes inside the included file resolve relative to it. Without a resolver, or when it
   * returns undefined, undefined globals in a file with include comments are warnings only.
   */
  resolveInclude?: (
    path: string,
    from: string | undefined,
  ) => string | { id: string; source: string } | undefined;
  /** Commands to accept besides the captured table (module commands, newer servers). */
  extraCommands?: readonly string[];
  /** Per-rule severity, or `off`. */
  rules?: Partial<Record<RuleName, Severity | 'off'>>;
}

/** The shape of the data captured from a real server by scripts/capture-lua-data.mjs. */

/** Where a command's keys begin: at an argument index, or after a keyword (searched from `from`). */
export type KeySearch = { index: number } | { keyword: string; from: number } | 'unknown';

/**
 * How many keys follow the beginning: a range (`last` relative to it, -1 = the last argument;
 * `limit` divides what is left), or a count held by an argument (`numkeys` relative to it).
 */
export type KeyFind =
  | { last: number; step: number; limit: number }
  | { numkeys: number; first: number; step: number }
  | 'unknown';

/** One key spec of COMMAND INFO: https://redis.io/docs/latest/develop/reference/key-specs/ */
export interface KeySpec {
  flags: string[];
  begin: KeySearch;
  find?: KeyFind;
}

/** One command or subcommand (`config|get`) as COMMAND INFO and COMMAND DOCS describe it. */
export interface CommandData {
  /** Counting the command name itself: N = exactly N arguments, -N = at least N. */
  arity: number;
  /** `write`, `readonly`, `noscript`, `admin`, `denyoom`, `movablekeys`, ... */
  flags: string[];
  keys?: KeySpec[];
  /** `nondeterministic_output`, `request_policy:all_shards`, ... */
  tips?: string[];
  deprecated?: { since: string; replacedBy: string };
}

/** Globals (name -> Lua type) and members of global tables (lib -> name -> type). */
export interface LuaEnvironment {
  globals: Record<string, string>;
  members: Record<string, Record<string, string>>;
}

export interface RedisData {
  redisVersion: string;
  /** Lower-case names; subcommands as `container|sub`. */
  commands: Record<string, CommandData>;
  lua: {
    /** What an EVAL script sees. */
    script: LuaEnvironment;
    /** What a function body sees when called with FCALL. */
    function: LuaEnvironment;
    /** What a library's top level sees while FUNCTION LOAD runs it. */
    load: LuaEnvironment;
  };
}

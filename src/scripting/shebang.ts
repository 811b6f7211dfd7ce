/**
 * Reads a script's first line, `#!lua flags=no-writes,allow-stale` (EVAL scripts) or
 * `#!lua name=mylib` (function libraries). https://redis.io/docs/latest/develop/interact/programmability/eval-intro/#eval-flags
 */
export interface Shebang {
  engine: string;
  /** `name=` of a function library. */
  name: string | undefined;
  /** `flags=` of an EVAL script, in order; empty when absent. */
  flags: string[];
}

export function parseShebang(code: string): Shebang | undefined {
  if (!code.startsWith('#!')) return undefined;
  const end = code.indexOf('\n');
  const line = (end === -1 ? code : code.slice(0, end)).slice(2).trim();
  const [engine = '', ...settings] = line.split(/\s+/);
  const shebang: Shebang = { engine, name: undefined, flags: [] };
  for (const setting of settings) {
    const equals = setting.indexOf('=');
    if (equals === -1) continue;
    const key = setting.slice(0, equals);
    const value = setting.slice(equals + 1);
    if (key === 'name') shebang.name = value;
    else if (key === 'flags') shebang.flags = value.split(',').filter((flag) => flag.length > 0);
  }
  return shebang;
}

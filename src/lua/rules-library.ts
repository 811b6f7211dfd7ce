import type * as ast from 'luaparse';
import type { Facts } from './analyzer.js';
import { type Contexts, runsAtLoad } from './contexts.js';
import type { Report } from './report.js';
import { parseVersion, versionComments } from './version.js';

/**
 * Rules on shebangs and on what a library registers. The server's own checks, done before it
 * runs a line: https://redis.io/docs/latest/develop/interact/programmability/functions-intro/
 */

/** Flags an EVAL script's shebang and `register_function{ flags = ... }` accept (Redis 7.0). */
export const KNOWN_FLAGS: ReadonlySet<string> = new Set([
  'no-writes',
  'allow-oom',
  'allow-stale',
  'no-cluster',
  'allow-cross-slot-keys',
]);

/** Library and function names: letters, digits and underscores, at least one. */
const NAME = /^[A-Za-z0-9_]+$/;

export interface Shebang {
  engine: string;
  fields: { key: string; value: string; raw: string }[];
}

/** `#!lua name=x flags=a,b` -> engine and fields; undefined when the code has no `#!` line. */
export function readShebang(code: string): Shebang | undefined {
  if (!code.startsWith('#!')) return undefined;
  const end = code.indexOf('\n');
  const [engine = '', ...words] = (end === -1 ? code : code.slice(0, end))
    .slice(2)
    .split(/[ \t\r]+/)
    .filter((word) => word.length > 0);
  const fields = words.map((raw) => {
    const equals = raw.indexOf('=');
    return equals === -1
      ? { key: raw, value: '', raw }
      : { key: raw.slice(0, equals), value: raw.slice(equals + 1), raw };
  });
  return { engine, fields };
}

/** Whether code should be linted as a library by default: a `#!lua` line with `name=`. */
export function looksLikeLibrary(code: string): boolean {
  return readShebang(code)?.fields.some((field) => field.key === 'name') ?? false;
}

export function checkScriptShebang(code: string, report: Report): string[] {
  const shebang = readShebang(code);
  if (shebang === undefined) return [];
  if (shebang.engine !== 'lua') {
    report.add('shebang', 1, `unknown engine '#!${shebang.engine}': scripts start with #!lua`);
    return [];
  }
  const flags: string[] = [];
  for (const field of shebang.fields) {
    if (field.key !== 'flags') {
      report.add(
        'shebang',
        1,
        `unknown shebang option '${field.raw}': an EVAL script's #!lua line takes only flags=`,
      );
      continue;
    }
    for (const flag of field.value.split(',')) {
      if (flag.length === 0) continue;
      if (!KNOWN_FLAGS.has(flag)) report.add('unknown-flag', 1, `unknown script flag '${flag}'`);
      flags.push(flag);
    }
  }
  return flags;
}

export function checkLibraryShebang(code: string, report: Report): void {
  const shebang = readShebang(code);
  if (shebang === undefined) {
    report.add('shebang', 1, "a library must start with a '#!lua name=<library>' line");
    return;
  }
  if (shebang.engine !== 'lua')
    report.add('shebang', 1, `unknown engine '#!${shebang.engine}': libraries start with #!lua`);
  let named = false;
  for (const field of shebang.fields) {
    if (field.key !== 'name') {
      report.add('shebang', 1, `unknown metadata '${field.raw}': a library's #!lua line takes only name=`);
      continue;
    }
    named = true;
    if (!NAME.test(field.value)) {
      report.add(
        'shebang',
        1,
        `library name '${field.value}' must be letters, digits or underscores, at least one`,
      );
    }
  }
  if (!named) report.add('shebang', 1, 'the #!lua line has no name=<library>');
}

export function checkRegistrations(code: string, facts: Facts, contexts: Contexts, report: Report): void {
  const names = new Map<string, ast.Node>();
  for (const registration of facts.registrations) {
    for (const problem of registration.problems)
      report.add('register-function', problem.node, problem.message);
    if (registration.name !== undefined) {
      if (!NAME.test(registration.name)) {
        report.add(
          'register-function',
          registration.node,
          `function name '${registration.name}' must be letters, digits or underscores, at least one`,
        );
      }
      const first = names.get(registration.name);
      if (first !== undefined) {
        report.add(
          'duplicate-function',
          registration.node,
          `the function '${registration.name}' is already registered at line ${report.position(first).line}`,
        );
      } else names.set(registration.name, registration.node);
    }
    if (registration.flags !== 'dynamic') {
      for (const flag of registration.flags) {
        if (!KNOWN_FLAGS.has(flag.value))
          report.add('unknown-flag', flag.node, `unknown function flag '${flag.value}'`);
      }
    }
    if (!runsAtLoad(contexts, registration.fn)) {
      report.add(
        'register-outside-load',
        registration.node,
        'redis.register_function runs only while the library loads, not inside a function called at FCALL time',
      );
    }
  }
  if (facts.registrations.length === 0) {
    report.add('no-functions', 1, 'the library registers no function: the server refuses it');
  }
  const versions = versionComments(code);
  for (const [i, { text, line }] of versions.entries()) {
    if (i > 0)
      report.add(
        'library-version',
        line,
        `a second @version comment (the first, line ${versions[0].line}, counts)`,
      );
    else if (parseVersion(text) === undefined)
      report.add(
        'library-version',
        line,
        `'${text}' is not a version: write MAJOR.MINOR.PATCH, e.g. -- @version 1.2.0`,
      );
  }
}

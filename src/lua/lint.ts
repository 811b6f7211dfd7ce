import { analyze } from './analyzer.js';
import { type Contexts, libraryContexts, scriptContexts } from './contexts.js';
import type { Diagnostic, LintOptions } from './diagnostic.js';
import { parse, sourceOf } from './parse.js';
import { Report } from './report.js';
import { checkCalls, checkGlobals, checkKeysAndLoops } from './rules-code.js';
import {
  checkLibraryShebang,
  checkRegistrations,
  checkScriptShebang,
  looksLikeLibrary,
} from './rules-library.js';

/**
 * Reads a Lua script or function library the way the server will, before it is sent, and says
 * what the server would refuse (errors) or what is risky (warnings). Never throws for bad Lua:
 * a syntax error is a diagnostic at the line the server would report.
 *
 * ```ts
 * lint("return redis.call('GET', 'user:1')");
 * // [{ rule: 'literal-key', severity: 'warning', line: 1, column: 26, message: "the key 'user:1' ..." }]
 * ```
 */
export function lint(lua: string, options: LintOptions = {}): Diagnostic[] {
  if (typeof lua !== 'string')
    throw new TypeError(`lint: expected the Lua source as a string, got ${typeof lua}`);
  const library = (options.kind ?? (looksLikeLibrary(lua) ? 'library' : 'script')) === 'library';
  const source = sourceOf(lua);
  const report = new Report(source, options.rules);

  const scriptFlags = library ? [] : checkScriptShebang(lua, report);
  if (library) checkLibraryShebang(lua, report);

  const parsed = parse(source);
  if (parsed.error !== undefined) {
    report.addAt('syntax', parsed.error.line, parsed.error.column, parsed.error.message);
    return report.sorted();
  }
  report.offsetOf = parsed.offsetOf;
  const facts = analyze(parsed.chunk, parsed.registerCalls, library);
  const contexts: Contexts = library
    ? libraryContexts(facts)
    : scriptContexts(options.readOnly ?? scriptFlags.includes('no-writes'));
  const includes = resolveIncludes(lua, options.resolveInclude);
  const codeOptions = {
    keyCount: library ? undefined : options.keyCount,
    extraCommands: new Set((options.extraCommands ?? []).map((name) => name.toLowerCase())),
    included: includes.names,
    unresolvedIncludes: includes.unresolved,
  };
  checkGlobals(facts, contexts, report, codeOptions);
  checkKeysAndLoops(facts, report, codeOptions);
  checkCalls(facts, contexts, report, codeOptions);
  if (library) checkRegistrations(lua, facts, contexts, report);
  return report.sorted();
}

/** `--- @include "path"` on a comment line (bullmq's convention). */
const INCLUDE = /^[ \t]*--.*@include\s+["']([^"']+)["']/gm;

/**
 * The names defined by the files that include comments name (bullmq's `--- @include "x"`), and
 * whether any could not be resolved. Includes of includes count too; cycles are cut.
 */
function resolveIncludes(
  lua: string,
  resolve: LintOptions['resolveInclude'],
): { names: Set<string>; unresolved: boolean } {
  const names = new Set<string>();
  let unresolved = false;
  const seen = new Set<string>();
  const visit = (code: string, from: string | undefined) => {
    // Cheaper than asking the parser for every comment, and include lines are line comments.
    if (!code.includes('@include')) return;
    for (const match of code.matchAll(INCLUDE)) {
      const resolved = resolve?.(match[1], from);
      const included = typeof resolved === 'string' ? { id: match[1], source: resolved } : resolved;
      if (included === undefined) {
        unresolved = true;
        continue;
      }
      if (seen.has(included.id)) continue;
      seen.add(included.id);
      const parsed = parse(sourceOf(included.source));
      if (parsed.chunk === undefined) {
        unresolved = true;
        continue;
      }
      for (const statement of parsed.chunk.body) {
        if (statement.type === 'LocalStatement')
          for (const variable of statement.variables) names.add(variable.name);
        else if (statement.type === 'FunctionDeclaration' && statement.identifier?.type === 'Identifier')
          names.add(statement.identifier.name);
      }
      visit(included.source, included.id);
    }
  };
  visit(lua, undefined);
  return { names, unresolved };
}

import { ScriptAnalysisError } from '../errors.js';
import type { LintOptions } from '../lua/diagnostic.js';
import { lint } from '../lua/lint.js';

/**
 * The `lint` option of `Script.fromLua` and `Library.fromCode`: `true` lints with what the
 * caller already said (key count, read-only), an object adds lint options (`rules`,
 * `extraCommands`, ...). Off by default: see the README ("Linting before sending") for why.
 */
export type LintOption = boolean | Omit<LintOptions, 'kind'>;

/** Throws a `ScriptAnalysisError` when linting finds errors; warnings alone pass. */
export function lintBeforeSending(
  what: string,
  code: string,
  option: LintOption | undefined,
  implied: LintOptions,
): void {
  if (option === undefined || option === false) return;
  const diagnostics = lint(code, option === true ? implied : { ...implied, ...option });
  if (diagnostics.some((diagnostic) => diagnostic.severity === 'error'))
    throw new ScriptAnalysisError(what, diagnostics);
}

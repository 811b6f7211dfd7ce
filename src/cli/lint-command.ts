import type { Diagnostic } from '../lua/diagnostic.js';
import { lint } from '../lua/lint.js';
import { parse, UsageError } from './args.js';
import { includeResolver, luaFiles, readText } from './lua-files.js';
import type { Output } from './output.js';

export const LINT_USAGE = `Usage: redmoon lint <file.lua|dir>... [options]

Reads Lua scripts and function libraries as the server would, before they are sent. A file
whose first line is '#!lua name=...' is a library; any other is an EVAL script. Directories
are searched for .lua files. Include comments ('--- @include "x"') resolve next to the file.

Options:
  --kind K          script or library, for every file (default: from the first line)
  --key-count N     the number of keys the scripts are called with
  --read-only       the scripts run read-only (EVAL_RO)
  --command NAME    accept a command the captured table lacks (repeatable)
  --fail-on S       exit 1 on 'error' (default) or also on 'warning'
  --json            diagnostics as JSON: [{ file, rule, severity, line, column, message }]
  -h, --help        this help
Exit code: 0 clean (warnings allowed unless --fail-on warning), 1 findings, 2 usage error.`;

const OPTIONS = {
  kind: { type: 'string' },
  'key-count': { type: 'string' },
  'read-only': { type: 'boolean' },
  command: { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function lintFiles(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, LINT_USAGE);
  if (values.help) return out.help(LINT_USAGE);
  if (positionals.length === 0) throw new UsageError('name at least one file or directory', LINT_USAGE);
  const kind = values.kind;
  if (kind !== undefined && kind !== 'script' && kind !== 'library')
    throw new UsageError(`--kind must be script or library, not ${kind}`, LINT_USAGE);
  const keyCount = values['key-count'] === undefined ? undefined : Number(values['key-count']);
  if (keyCount !== undefined && (!Number.isInteger(keyCount) || keyCount < 0))
    throw new UsageError(
      `--key-count must be a non-negative integer, not ${values['key-count']}`,
      LINT_USAGE,
    );
  const failOn = values['fail-on'] ?? 'error';
  if (failOn !== 'error' && failOn !== 'warning')
    throw new UsageError(`--fail-on must be error or warning, not ${failOn}`, LINT_USAGE);

  const all: (Diagnostic & { file: string })[] = [];
  for (const file of await luaFiles(positionals)) {
    const diagnostics = lint(await readText(file), {
      kind,
      keyCount,
      readOnly: values['read-only'],
      extraCommands: (values.command as string[] | undefined) ?? [],
      resolveInclude: includeResolver(file),
    });
    for (const diagnostic of diagnostics) all.push({ file, ...diagnostic });
  }
  if (values.json) out.print(JSON.stringify(all, null, 2));
  else {
    for (const d of all) out.print(`${d.file}:${d.line}:${d.column}  ${d.severity}  ${d.rule}  ${d.message}`);
    const errors = all.filter((d) => d.severity === 'error').length;
    out.error(`${errors} error(s), ${all.length - errors} warning(s)`);
  }
  const failing = all.some((d) => d.severity === 'error' || failOn === 'warning');
  return failing ? 1 : 0;
}

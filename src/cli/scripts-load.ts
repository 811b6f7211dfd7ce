import { lint } from '../lua/lint.js';
import { sha1 } from '../scripting/sha1.js';
import { CONNECTION_OPTIONS, parse, UsageError } from './args.js';
import { connectTarget, resolveTarget } from './connect.js';
import { CliError } from './library-file.js';
import { includeResolver, luaFiles, readText } from './lua-files.js';
import type { Output } from './output.js';

export const SCRIPTS_LOAD_USAGE = `Usage: redmoon scripts load <dir|file.lua>... (--url URL | --cluster URL) [options]

SCRIPT LOADs every .lua file (directories are searched) on every primary, after linting them,
and prints each script's SHA1 — the name EVALSHA calls it by.

Options:
  --url URL       one server (default: REDIS_URL)
  --cluster URL   any node of a cluster; every primary gets the scripts (default: REDIS_CLUSTER_URL)
  --no-lint       load even with lint errors
  -q, --quiet     no progress on stderr
  -h, --help      this help
Exit code: 0 loaded everywhere, 1 refused or failed, 2 usage error.`;

export async function scriptsLoad(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...CONNECTION_OPTIONS, 'no-lint': { type: 'boolean' } },
    SCRIPTS_LOAD_USAGE,
  );
  if (values.help) return out.help(SCRIPTS_LOAD_USAGE);
  resolveTarget(values, SCRIPTS_LOAD_USAGE);
  if (positionals.length === 0) throw new UsageError('name a directory or script files', SCRIPTS_LOAD_USAGE);
  const scripts: { file: string; lua: string }[] = [];
  for (const file of await luaFiles(positionals)) {
    const lua = await readText(file);
    const errors = values['no-lint']
      ? []
      : lint(lua, { kind: 'script', resolveInclude: includeResolver(file) }).filter(
          (d) => d.severity === 'error',
        );
    if (errors.length > 0) {
      const listed = errors.map((d) => `${file}:${d.line}:${d.column} ${d.rule}: ${d.message}`).join('\n');
      throw new CliError(`lint errors (--no-lint to load anyway):\n${listed}`);
    }
    scripts.push({ file, lua });
  }
  if (scripts.length === 0) throw new CliError('no .lua files found');
  const target = await connectTarget(values, SCRIPTS_LOAD_USAGE);
  let failed = false;
  try {
    for (const [index, node] of target.primaries.entries()) {
      out.progress(
        `[${index + 1}/${target.primaries.length}] ${node.address}: SCRIPT LOAD x${scripts.length}`,
      );
      for (const script of scripts) {
        try {
          const reported = await node.client.scriptLoad(script.lua);
          if (reported !== sha1(script.lua)) throw new Error(`the server named it ${reported}`);
        } catch (error) {
          failed = true;
          out.print(`${node.address}  ${script.file}  failed  (${(error as Error).message})`);
        }
      }
    }
    for (const script of scripts) out.print(`${sha1(script.lua)}  ${script.file}`);
    out.progress(`loaded ${scripts.length} script(s) on ${target.description}`);
  } finally {
    await target.close();
  }
  return failed ? 1 : 0;
}

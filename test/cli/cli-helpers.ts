import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';

/** What one in-process run of the command line printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `redmoon argv...` in this process, capturing what it prints. */
export async function redmoon(...argv: string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out: Output = {
    print: (text) => stdout.push(text),
    progress: (text) => stderr.push(text),
    error: (text) => stderr.push(text),
    help: (usage) => {
      stdout.push(usage);
      return 0;
    },
  };
  const code = await run(argv, out);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/** A fresh temporary directory holding `files` (name -> content); returns its path. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'redmoon-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** A library named `name` at `version` whose function `fn` returns `reply`. */
export function library(name: string, version: string, reply: number, fn = `${name}_fn`): string {
  return `#!lua name=${name}
-- @version ${version}
redis.register_function{
  function_name = '${fn}',
  callback = function(keys, args) return ${reply} end,
  flags = { 'no-writes' },
}
`;
}

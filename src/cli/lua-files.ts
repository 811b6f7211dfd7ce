import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LintOptions } from '../lua/diagnostic.js';
import { CliError } from './library-file.js';

/** Every `.lua` file the arguments name: files as given, directories walked (sorted). */
export async function luaFiles(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const walk = async (path: string, top: boolean): Promise<void> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (info.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry), false);
    } else if (top || path.endsWith('.lua')) found.push(path);
  };
  for (const path of paths) await walk(path, true);
  return found;
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * Include comments (`--- @include "includes/x"`) resolve relative to the file that holds them,
 * as `x.lua` or `x` itself.
 */
export function includeResolver(file: string): NonNullable<LintOptions['resolveInclude']> {
  return (path, from) => {
    const base = dirname(from ?? file);
    for (const candidate of [join(base, `${path}.lua`), join(base, path)]) {
      if (existsSync(candidate)) return { id: candidate, source: readFileSync(candidate, 'utf8') };
    }
    return undefined;
  };
}

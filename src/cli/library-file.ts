import { readFile } from 'node:fs/promises';
import type { FunctionLibraryInfo } from '../client/commands/scripting.js';
import type { Diagnostic } from '../lua/diagnostic.js';
import { lint } from '../lua/lint.js';
import { readShebang } from '../lua/rules-library.js';
import { compareVersions, type LibraryVersion, libraryVersion } from '../lua/version.js';
import type { PrimaryNode } from './connect.js';

/** A library file to deploy: its code, the name its shebang gives, the version it declares. */
export interface LibraryFile {
  path: string;
  code: string;
  name: string;
  version: LibraryVersion | undefined;
}

export class CliError extends Error {}

export async function readLibraryFile(path: string): Promise<LibraryFile> {
  let code: string;
  try {
    code = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const name = readShebang(code)?.fields.find((field) => field.key === 'name')?.value;
  if (name === undefined || name.length === 0)
    throw new CliError(`${path}: a library must start with a '#!lua name=<library>' line`);
  return { path, code, name, version: libraryVersion(code) };
}

/** Lint errors of a library, formatted; empty when it may be deployed. */
export function lintErrors(file: LibraryFile): string[] {
  return lint(file.code, { kind: 'library' })
    .filter((diagnostic: Diagnostic) => diagnostic.severity === 'error')
    .map((d) => `${file.path}:${d.line}:${d.column} ${d.rule}: ${d.message}`);
}

/** The library `name` on one node (FUNCTION LIST WITHCODE), or undefined when absent. */
export async function deployedLibrary(
  node: PrimaryNode,
  name: string,
): Promise<FunctionLibraryInfo | undefined> {
  const listed = await node.client.functionList({ libraryName: name, withCode: true });
  // LIBRARYNAME is a glob to the server: pick the exact name.
  return listed.find((library) => library.libraryName === name);
}

export const showVersion = (version: LibraryVersion | undefined): string => version?.text ?? 'unversioned';

/**
 * What deploying `file` does to a node holding `deployed`:
 * - `load`: absent; `unchanged`: the same code;
 * - `replace`: the deployed version is older (or neither declares one);
 * - `refuse`: the deployed version is newer, the same with other code, or declared while ours is not.
 */
export type Action = 'load' | 'unchanged' | 'replace' | 'refuse';

export function plan(
  file: LibraryFile,
  deployed: FunctionLibraryInfo | undefined,
): { action: Action; deployedVersion: LibraryVersion | undefined; reason?: string } {
  if (deployed === undefined) return { action: 'load', deployedVersion: undefined };
  const deployedVersion =
    deployed.libraryCode === undefined ? undefined : libraryVersion(deployed.libraryCode);
  if (deployed.libraryCode === file.code) return { action: 'unchanged', deployedVersion };
  const ours = file.version;
  if (deployedVersion === undefined) return { action: 'replace', deployedVersion };
  if (ours === undefined) {
    return {
      action: 'refuse',
      deployedVersion,
      reason: `the deployed library declares ${deployedVersion.text}; this code declares no version`,
    };
  }
  const order = compareVersions(deployedVersion, ours);
  if (order > 0)
    return { action: 'refuse', deployedVersion, reason: `the deployed ${deployedVersion.text} is newer` };
  if (order === 0) {
    return {
      action: 'refuse',
      deployedVersion,
      reason: `${ours.text} is deployed with different code: bump the version`,
    };
  }
  return { action: 'replace', deployedVersion };
}

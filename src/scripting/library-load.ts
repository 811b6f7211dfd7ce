import type { FunctionLibraryInfo } from '../client/commands/scripting.js';
import { compareVersions, libraryVersion } from '../lua/version.js';

/**
 * How `Library.fromCode` treats a library of the same name already on the server:
 * - `'if-newer'` (the default): load when absent; leave it when its code is the same, or when it
 *   declares a newer `-- @version` than the code given (an older app instance restarting during
 *   a rolling deploy must not downgrade the library); replace it otherwise.
 * - `true`: always FUNCTION LOAD REPLACE.
 * - `false`: FUNCTION LOAD without REPLACE: the server refuses if the library exists.
 */
export type ReplacePolicy = boolean | 'if-newer';

export type LoadDecision = 'load' | 'replace' | 'keep';

/** What `'if-newer'` does given the library as deployed (from FUNCTION LIST WITHCODE), if any. */
export function decideLoad(code: string, deployed: FunctionLibraryInfo | undefined): LoadDecision {
  if (deployed === undefined) return 'load';
  if (deployed.libraryCode === code) return 'keep';
  const ours = libraryVersion(code);
  const theirs = deployed.libraryCode === undefined ? undefined : libraryVersion(deployed.libraryCode);
  if (ours !== undefined && theirs !== undefined && compareVersions(theirs, ours) > 0) return 'keep';
  return 'replace';
}

import type { FunctionLibraryInfo } from '../client/commands/scripting.js';
import { compareVersions, libraryVersion } from '../lua/version.js';

/**
 * How `Library.fromCode` treats a library of the same name already on the server:
 * - `'if-newer'` (the default): leave the library as deployed when it declares a newer
 *   `-- @version` than the code given (an older app instance restarting during a rolling deploy
 *   must not downgrade it); otherwise FUNCTION LOAD REPLACE on every primary — also when the
 *   code is the same, since the check reads one node and another primary may lack it.
 * - `true`: always FUNCTION LOAD REPLACE.
 * - `false`: FUNCTION LOAD without REPLACE: the server refuses if the library exists.
 */
export type ReplacePolicy = boolean | 'if-newer';

export type LoadDecision = 'replace' | 'keep';

/** What `'if-newer'` does given the library as deployed (from FUNCTION LIST WITHCODE), if any. */
export function decideLoad(code: string, deployed: FunctionLibraryInfo | undefined): LoadDecision {
  if (deployed === undefined || deployed.libraryCode === code) return 'replace';
  const ours = libraryVersion(code);
  const theirs = deployed.libraryCode === undefined ? undefined : libraryVersion(deployed.libraryCode);
  if (ours !== undefined && theirs !== undefined && compareVersions(theirs, ours) > 0) return 'keep';
  return 'replace';
}

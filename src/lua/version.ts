/**
 * A library declares its version in a comment, `-- @version 1.2.3`, anywhere in its code
 * (conventionally right under the `#!lua name=` line). A comment because the server keeps a
 * library's code verbatim (FUNCTION LIST WITHCODE shows it back) but refuses any shebang field
 * other than `name=`, and a comment costs nothing at run time. Versions are semantic versions:
 * MAJOR.MINOR.PATCH, optionally `-prerelease`, compared as https://semver.org says.
 */

export interface LibraryVersion {
  text: string;
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

const VERSION_COMMENT = /^[ \t]*--+[ \t]*@version\b[ \t]*(\S*)/gm;
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Every `@version` comment: its text and 1-based line, for the linter. */
export function versionComments(code: string): { text: string; line: number }[] {
  const found: { text: string; line: number }[] = [];
  for (const match of code.matchAll(VERSION_COMMENT)) {
    let line = 1;
    for (let i = 0; i < match.index; i++) if (code.charCodeAt(i) === 10) line++;
    found.push({ text: match[1], line });
  }
  return found;
}

export function parseVersion(text: string): LibraryVersion | undefined {
  const match = SEMVER.exec(text);
  if (match === null) return undefined;
  return {
    text,
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease:
      match[4] === undefined
        ? []
        : match[4].split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
  };
}

/** The version a library declares: the first well-formed `@version` comment, if any. */
export function libraryVersion(code: string): LibraryVersion | undefined {
  for (const { text } of versionComments(code)) {
    const version = parseVersion(text);
    if (version !== undefined) return version;
  }
  return undefined;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: LibraryVersion, b: LibraryVersion): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  // A prerelease is older than its release; then field by field, numbers below words.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return Math.sign(b.prerelease.length - a.prerelease.length);
  }
  const length = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < length; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

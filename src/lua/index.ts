// `redmoon/lua`: reading Lua scripts and function libraries before they are sent.

export { COMMAND_TABLE_VERSION } from './commands.js';
export { type Diagnostic, type LintOptions, RULES, type RuleName, type Severity } from './diagnostic.js';
export { lint } from './lint.js';
export { compareVersions, type LibraryVersion, libraryVersion, parseVersion } from './version.js';

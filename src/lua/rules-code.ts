import type { Facts } from './analyzer.js';
import {
  arityProblem,
  COMMAND_TABLE_VERSION,
  dangerOf,
  isNoScript,
  isWrite,
  keyPositions,
  lookupCommand,
} from './commands.js';
import type { Context, Contexts } from './contexts.js';
import { REDIS_DATA } from './data/redis-data.js';
import type { LuaEnvironment } from './data/types.js';
import type { Report } from './report.js';

/** Rules on the code itself, scripts and libraries alike: globals, APIs, commands, keys, loops. */

const ENVIRONMENTS: Record<Context, LuaEnvironment> = {
  script: REDIS_DATA.lua.script,
  function: REDIS_DATA.lua.function,
  load: REDIS_DATA.lua.load,
};

const WHERE: Record<Context, string> = {
  script: 'in an EVAL script',
  function: 'in a function at FCALL time',
  load: 'while the library loads (only `redis` exists there: use it inside a registered function)',
};

/** Libraries Lua has and Redis takes away (what the server lacks is an error wherever it is used). */
const REMOVED = new Set(['os', 'io', 'dofile', 'loadfile', 'require', 'package', 'module', 'print', 'debug']);
/** Present on the server, but they compile code at run time the linter (and the server's flags) cannot see. */
const RUNTIME_COMPILERS = new Set(['loadstring', 'load']);
/** Present and harmless, but deprecated: https://redis.io/docs/latest/develop/interact/programmability/lua-api/ */
const DEPRECATED_API: Record<string, string> = {
  replicate_commands:
    'redis.replicate_commands() is deprecated: since Redis 7 scripts always replicate effects',
};
const SCANS = new Set(['scan', 'sscan', 'hscan', 'zscan']);

export interface CodeRuleOptions {
  keyCount: number | undefined;
  extraCommands: ReadonlySet<string>;
  /** Names the include comments define (their files' top-level locals). */
  included: ReadonlySet<string>;
  /** Include comments the resolver could not supply: unknown names may come from them. */
  unresolvedIncludes: boolean;
}

export function checkGlobals(
  facts: Facts,
  contexts: Contexts,
  report: Report,
  options: CodeRuleOptions,
): void {
  for (const use of facts.globals) {
    if (use.write) {
      report.add(
        'global-write',
        use.node,
        `assigns the global '${use.name}': the server refuses new globals; declare it local`,
      );
      continue;
    }
    if (options.included.has(use.name)) continue;
    for (const context of contexts.of(use.fn)) {
      const environment = ENVIRONMENTS[context];
      if (Object.hasOwn(environment.globals, use.name)) {
        if (RUNTIME_COMPILERS.has(use.name)) {
          report.add(
            'forbidden-library',
            use.node,
            `${use.name} compiles code at run time, out of the linter's and the server's sight (keys, flags)`,
            'warning',
          );
        }
        continue;
      }
      if (REMOVED.has(use.name)) {
        report.add('forbidden-library', use.node, `'${use.name}' is not available ${WHERE[context]}`);
      } else if (options.unresolvedIncludes) {
        report.add(
          'undefined-global',
          use.node,
          `'${use.name}' is not a global ${WHERE[context]}; it may come from an included file`,
          'warning',
        );
      } else {
        report.add('undefined-global', use.node, `'${use.name}' is not a global ${WHERE[context]}`);
      }
      break;
    }
  }
  for (const use of facts.members) {
    if (use.write) {
      report.add(
        'global-write',
        use.node,
        `assigns ${use.table}.${use.member}: the server's global tables are read-only`,
      );
      continue;
    }
    for (const context of contexts.of(use.fn)) {
      // In a library, a misplaced register_function is register-outside-load's to report.
      if (context !== 'script' && use.table === 'redis' && use.member === 'register_function') continue;
      const members = ENVIRONMENTS[context].members[use.table];
      if (members === undefined) continue; // not a table there: undefined-global says so
      if (!Object.hasOwn(members, use.member)) {
        const where = WHERE[context];
        if (use.called)
          report.add('unknown-api', use.node, `${use.table}.${use.member} does not exist ${where}`);
        else report.add('unknown-api', use.node, `${use.table}.${use.member} is nil ${where}`, 'warning');
        break;
      }
      const deprecated = use.table === 'redis' ? DEPRECATED_API[use.member] : undefined;
      if (deprecated !== undefined) report.add('deprecated-api', use.node, deprecated);
    }
  }
}

export function checkKeysAndLoops(facts: Facts, report: Report, options: CodeRuleOptions): void {
  for (const { index, node, fromParameter } of facts.keyIndexes) {
    const table = fromParameter ? 'keys' : 'KEYS';
    if (!Number.isInteger(index) || index < 1) {
      report.add('key-index', node, `${table}[${index}] is always nil: ${table} holds keys at 1, 2, 3, ...`);
    } else if (!fromParameter && options.keyCount !== undefined && index > options.keyCount) {
      report.add(
        'key-index',
        node,
        `KEYS[${index}] is nil: the script is called with ${options.keyCount} key${options.keyCount === 1 ? '' : 's'}`,
      );
    }
  }
  for (const loop of facts.loops) {
    if (loop.unbounded && loop.redisCalls > 0) {
      report.add(
        'unbounded-loop',
        loop.node,
        'this loop calls Redis with no bound on its iterations, blocking the server until it ends; cap it with a count',
      );
    }
  }
}

export function checkCalls(facts: Facts, contexts: Contexts, report: Report, options: CodeRuleOptions): void {
  for (const call of facts.calls) {
    if (call.command === undefined) continue;
    const lookup = lookupCommand(call.command, call.literals[1]);
    if ('unknown' in lookup) {
      const first = call.command.toLowerCase();
      if (options.extraCommands.has(first) || options.extraCommands.has(lookup.unknown.toLowerCase()))
        continue;
      report.add(
        'unknown-command',
        call.args[0],
        `${lookup.unknown} is not a command of Redis ${COMMAND_TABLE_VERSION} (the captured table); list it in extraCommands if your server has it`,
      );
      continue;
    }
    if ('container' in lookup) continue;
    const command = lookup.found;
    const at = call.args[0];
    if (isNoScript(command)) {
      report.add('noscript-command', at, `${command.display} is not allowed in scripts or functions`);
      continue;
    }
    const problem = arityProblem(command, call.args.length, call.open);
    if (problem !== undefined) report.add('arity', at, problem);
    if (command.data.deprecated !== undefined) {
      const { since, replacedBy } = command.data.deprecated;
      report.add(
        'deprecated-command',
        at,
        `${command.display} is deprecated since Redis ${since}; use ${replacedBy.replaceAll('`', '')}`,
      );
    }
    const danger = dangerOf(command);
    if (danger !== undefined) report.add('dangerous-command', at, danger);
    if (call.inLoop && SCANS.has(command.name)) {
      report.add(
        'scan-in-loop',
        at,
        `${command.display} in a loop walks the whole collection inside one atomic script, blocking the server; iterate from the client`,
      );
    }
    if (isWrite(command) && contexts.readOnly(call.fn)) {
      report.add(
        'write-in-read-only',
        at,
        `${command.display} writes, in code that runs read-only (no-writes, EVAL_RO or FCALL_RO): the server refuses it`,
      );
    }
    const argc = call.open ? undefined : call.args.length;
    for (const position of keyPositions(command, argc, (i) => call.literals[i])) {
      if (position >= call.args.length || (call.open && position === call.args.length - 1)) continue;
      const origin = call.origins[position];
      if (origin === 'literal') {
        report.add(
          'literal-key',
          call.args[position],
          `the key '${call.literals[position]}' of ${command.display} is named in the script: pass it in KEYS so a cluster routes the call to its node`,
        );
      } else if (origin === 'argv') {
        report.add(
          'literal-key',
          call.args[position],
          `a key of ${command.display} is taken from ARGV: pass it in KEYS so a cluster routes the call to its node`,
        );
      }
    }
  }
}

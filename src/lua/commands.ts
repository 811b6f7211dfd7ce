import { REDIS_DATA } from './data/redis-data.js';
import type { CommandData, KeySpec } from './data/types.js';

/**
 * The captured command table, asked the questions the linter has: does this command exist,
 * does it write, how many arguments does it take, and which of its arguments are keys.
 */

const COMMANDS: Readonly<Record<string, CommandData>> = REDIS_DATA.commands;

/** The Redis version the table was captured from. */
export const COMMAND_TABLE_VERSION: string = REDIS_DATA.redisVersion;

/** Containers (`config`, `object`, `xinfo`, ...): commands whose second word picks a subcommand. */
const CONTAINERS: ReadonlySet<string> = new Set(
  Object.keys(COMMANDS)
    .filter((name) => name.includes('|'))
    .map((name) => name.slice(0, name.indexOf('|'))),
);

export interface ResolvedCommand {
  /** `get`, or `config|get` for a subcommand. */
  name: string;
  /** How people write it: `GET`, `CONFIG GET`. */
  display: string;
  data: CommandData;
  /** Arguments the name takes up: 1, or 2 with a subcommand. */
  words: number;
}

export type Lookup =
  | { found: ResolvedCommand }
  | { unknown: string }
  /** A container whose subcommand is not a literal: nothing more can be said. */
  | { container: string };

/** `name` as a script passes it (any case), and its second argument when it is a literal. */
export function lookupCommand(name: string, second: string | undefined): Lookup {
  const lower = name.toLowerCase();
  const data = COMMANDS[lower];
  if (data === undefined) return { unknown: name.toUpperCase() };
  if (!CONTAINERS.has(lower)) return { found: { name: lower, display: lower.toUpperCase(), data, words: 1 } };
  if (second === undefined) return { container: lower };
  const sub = `${lower}|${second.toLowerCase()}`;
  const subData = COMMANDS[sub];
  const display = `${lower.toUpperCase()} ${second.toUpperCase()}`;
  if (subData === undefined) return { unknown: display };
  return { found: { name: sub, display, data: subData, words: 2 } };
}

/** Flags that say a command may change data: `write` (COMMAND INFO). */
export function isWrite(command: ResolvedCommand): boolean {
  return command.data.flags.includes('write');
}

/** The server refuses it inside scripts and functions (`noscript`). */
export function isNoScript(command: ResolvedCommand): boolean {
  return command.data.flags.includes('noscript');
}

/**
 * Why a command is worth a warning in a script, from its COMMAND INFO tips: a request policy of
 * all shards means its answer (KEYS, RANDOMKEY, DBSIZE) or its effect (FLUSHALL) spans the whole
 * keyspace — which, inside a script, is one node's only, and blocks that node meanwhile.
 */
export function dangerOf(command: ResolvedCommand): string | undefined {
  const tips = command.data.tips ?? [];
  const allShards = tips.includes('request_policy:all_shards') || tips.includes('request_policy:all_nodes');
  if (!allShards) return undefined;
  if (tips.includes('response_policy:all_succeeded') && !isWrite(command)) return undefined; // PING
  if (isWrite(command)) return `${command.display} wipes the whole keyspace of the node the script runs on`;
  const random = tips.includes('nondeterministic_output') ? ', and its answer is nondeterministic' : '';
  return `${command.display} spans the whole keyspace: it blocks the server while it runs, and inside a script on a cluster it sees one node only${random}`;
}

/**
 * The positions (in the full argument list, 0 = the command name) of the keys, given the
 * number of arguments (`undefined` when a trailing call or `...` makes it unknown) and a way to
 * read a literal argument. Positions that cannot be known from the literals are left out.
 */
export function keyPositions(
  command: ResolvedCommand,
  argc: number | undefined,
  literalAt: (position: number) => string | undefined,
): number[] {
  const positions: number[] = [];
  for (const spec of command.data.keys ?? []) collect(spec, argc, literalAt, positions);
  return positions;
}

function collect(
  spec: KeySpec,
  argc: number | undefined,
  literalAt: (position: number) => string | undefined,
  out: number[],
): void {
  let start: number;
  const begin = spec.begin;
  if (begin === 'unknown') return;
  if ('index' in begin) start = begin.index;
  else {
    // The keyword is searched forward from `from` (or backwards from the end when negative).
    if (begin.from < 0 || argc === undefined) return;
    const keyword = begin.keyword.toLowerCase();
    let found = -1;
    for (let i = begin.from; i < argc; i++) {
      if (literalAt(i)?.toLowerCase() === keyword) {
        found = i;
        break;
      }
    }
    if (found === -1) return;
    start = found + 1;
  }
  const find = spec.find;
  if (find === undefined || find === 'unknown') return;
  if ('last' in find) {
    let last: number;
    if (find.last >= 0) last = start + find.last;
    else {
      if (argc === undefined) return;
      last = find.limit > 1 ? start + Math.floor((argc - start) / find.limit) - 1 : argc + find.last;
    }
    for (let i = start; i <= last && (argc === undefined || i < argc); i += Math.max(1, find.step))
      out.push(i);
    return;
  }
  const count = Number(literalAt(start + find.numkeys));
  if (!Number.isInteger(count) || count < 0) return;
  const first = start + find.first;
  for (let n = 0; n < count; n++) {
    const position = first + n * Math.max(1, find.step);
    if (argc !== undefined && position >= argc) break;
    out.push(position);
  }
}

/** Whether `argc` arguments (the name(s) included; `open`: maybe more) fit the command's arity. */
export function arityProblem(command: ResolvedCommand, argc: number, open: boolean): string | undefined {
  const arity = command.data.arity;
  const needed = Math.abs(arity) - command.words;
  const given = argc - command.words;
  const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;
  if (arity >= 0) {
    if (given > needed) return `${command.display} takes exactly ${plural(needed)}, got ${given}`;
    if (given < needed && !open) return `${command.display} takes exactly ${plural(needed)}, got ${given}`;
    return undefined;
  }
  if (given < needed && !open) return `${command.display} takes at least ${plural(needed)}, got ${given}`;
  return undefined;
}

import type * as ast from 'luaparse';
import type { Facts, FunctionNode } from './analyzer.js';

/**
 * Where each function of a chunk runs. An EVAL script runs in one environment. A library runs
 * twice: its top level (and the local functions that top level calls) while FUNCTION LOAD runs
 * it, where only `redis.register_function`, `redis.log` and a few constants exist; and its
 * registered functions (and what they call) at FCALL time, with the full API but no KEYS/ARGV.
 * A function nothing visibly calls (kept in a table, say) is taken to run at FCALL time.
 */
export type Context = 'script' | 'load' | 'function';

export interface Contexts {
  of(fn: FunctionNode): readonly Context[];
  /** Functions that run read-only: every function of a read-only script, or reached from a `no-writes` function. */
  readOnly(fn: FunctionNode): boolean;
}

const SCRIPT: readonly Context[] = ['script'];

export function scriptContexts(readOnly: boolean): Contexts {
  return { of: () => SCRIPT, readOnly: () => readOnly };
}

export function libraryContexts(facts: Facts): Contexts {
  const children = new Map<FunctionNode, ast.FunctionDeclaration[]>();
  for (const [fn, parent] of facts.parents) {
    const list = children.get(parent) ?? [];
    list.push(fn);
    children.set(parent, list);
  }
  const reach = (seeds: Iterable<FunctionNode>, throughNesting: boolean): Set<FunctionNode> => {
    const seen = new Set<FunctionNode>();
    const stack = [...seeds];
    while (stack.length > 0) {
      const fn = stack.pop()!;
      if (seen.has(fn)) continue;
      seen.add(fn);
      for (const called of facts.localCalls.get(fn) ?? []) stack.push(called);
      if (throughNesting) for (const child of children.get(fn) ?? []) stack.push(child);
    }
    return seen;
  };

  const atLoad = reach([facts.chunk], false);
  const callbacks = facts.registrations.flatMap((registration) =>
    registration.callback === undefined ? [] : [registration.callback],
  );
  const atCall = reach(callbacks, true);
  const readOnlySeeds = facts.registrations.flatMap((registration) =>
    registration.callback !== undefined &&
    registration.flags !== 'dynamic' &&
    registration.flags.some((flag) => flag.value === 'no-writes')
      ? [registration.callback]
      : [],
  );
  const readOnly = reach(readOnlySeeds, true);
  const BOTH: readonly Context[] = ['load', 'function'];
  const LOAD: readonly Context[] = ['load'];
  const FUNCTION: readonly Context[] = ['function'];

  return {
    of(fn) {
      if (fn.type === 'Chunk') return LOAD;
      if (!atLoad.has(fn)) return FUNCTION;
      return atCall.has(fn) ? BOTH : LOAD;
    },
    readOnly: (fn) => readOnly.has(fn),
  };
}

/** Whether `fn` runs while the library loads (register_function is callable there only). */
export function runsAtLoad(contexts: Contexts, fn: FunctionNode): boolean {
  return contexts.of(fn).includes('load');
}

import { ConnectionError, ProtocolError, RedisError, Script } from '../../src/index.js';
import type { FaultProxy, FaultRule } from '../../src/testing/index.js';

// Scripted INCR load through a fault proxy, and the bookkeeping that lets a test check DESIGN §3
// afterwards, counter by counter, against what the server really holds:
//
//   acknowledged ≤ actual ≤ acknowledged + (failures that said mayHaveRun: true)
//
// and, for the operations that tag themselves atomically with their INCR (scripts and MULTI add
// their id to a set in the same slot), that every acknowledged one ran and that no failure that
// said `mayHaveRun: false` did.

/** Client or Cluster: the surface the load uses. */
export interface LoadTarget {
  incr(key: string): Promise<number | bigint>;
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  pipeline(): LoadBatch;
  multi(): LoadBatch;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

interface LoadBatch {
  incr(key: string): Promise<unknown>;
  sadd(key: string, member: string): Promise<unknown>;
  exec(): Promise<unknown[]>;
}

/** INCRBY the counter and record the operation's id, atomically (a script is never split). */
export const TAGGED_INCR = Script.fromLua<{ keys: [string, string]; args: [string]; reply: number }>(
  "redis.call('SADD', KEYS[2], ARGV[1]); return redis.call('INCR', KEYS[1])",
);

type Outcome = 'acknowledged' | 'maybe' | 'not-run';

interface Counter {
  readonly key: string;
  /** The set of ids of the tagged operations that ran, in the counter's slot. */
  readonly tags: string;
  acknowledged: number;
  maybe: number;
  notRun: number;
}

export interface LoadFigures {
  operations: number;
  acknowledged: number;
  maybeFailures: number;
  notRunFailures: number;
  /** Failures that were not RedisErrors, or 'error' events that were not typed: must stay empty. */
  untyped: string[];
  errorEvents: number;
  invariantChecks: number;
  violations: string[];
  byKind: Record<string, number>;
}

/** The fault mix of the load: every kind, rare enough that work still gets done. */
export function faultMix(nodes?: number[]): FaultRule[] {
  const at = nodes === undefined ? {} : { nodes };
  // spareFirst 1 lets each connection's handshake (HELLO) through, so reconnects succeed.
  return [
    { kind: 'reset', probability: 0.01, spareFirst: 1, ...at },
    { kind: 'cut-request', probability: 0.01, spareFirst: 1, ...at },
    { kind: 'close-mid-reply', probability: 0.01, spareFirst: 1, ...at },
    { kind: 'delay', probability: 0.05, ms: 5, ...at },
    { kind: 'chunk', probability: 0.01, direction: 'reply', ...at },
    { kind: 'stall', probability: 0.003, ms: 60, ...at },
    { kind: 'stall-then-reset', probability: 0.004, ms: 60, spareFirst: 1, ...at },
  ];
}

/**
 * Runs `workers` loops of random operations on `counterCount` counters for `durationMs`, with
 * the proxy's faults on, a blackhole episode now and then (ended by resetting the connections,
 * as a keepalive would), and then checks every counter.
 */
export async function runIncrLoad(options: {
  target: LoadTarget;
  proxy: FaultProxy;
  /** Reads the truth afterwards, once faults are off. */
  reader: LoadTarget;
  prefix: string;
  durationMs: number;
  /**
   * Runs on past `durationMs`, up to this long in all, until `enough()` says the run saw what it
   * must (the faults are drawn at random per chunk, so a slow machine sees fewer of them).
   */
  maxDurationMs?: number;
  enough?: () => boolean;
  workers: number;
  counterCount: number;
  rules: FaultRule[];
}): Promise<LoadFigures> {
  const { target, proxy, reader, prefix, durationMs, workers } = options;
  const counters: Counter[] = Array.from({ length: options.counterCount }, (_, i) => ({
    key: `${prefix}:{c${i}}:n`,
    tags: `${prefix}:{c${i}}:ops`,
    acknowledged: 0,
    maybe: 0,
    notRun: 0,
  }));
  const tagged = new Map<string, { counter: Counter; outcome: Outcome }>();
  const figures: LoadFigures = {
    operations: 0,
    acknowledged: 0,
    maybeFailures: 0,
    notRunFailures: 0,
    untyped: [],
    errorEvents: 0,
    invariantChecks: 0,
    violations: [],
    byKind: {},
  };
  target.on('error', (error) => {
    figures.errorEvents++;
    // A socket error comes wrapped (ConnectionError with the Node error as its cause); a clean
    // close by the server has no cause to carry, but is a ConnectionError all the same.
    const typed =
      (error instanceof ConnectionError &&
        (error.cause !== undefined || /closed the connection/.test(error.message))) ||
      error instanceof ProtocolError;
    if (!typed) figures.untyped.push(`'error' event: ${error.constructor.name}: ${error.message}`);
  });

  let nextId = 0;
  const record = (counter: Counter, outcome: Outcome, id?: string) => {
    if (outcome === 'acknowledged') counter.acknowledged++;
    else if (outcome === 'maybe') counter.maybe++;
    else counter.notRun++;
    if (id !== undefined) tagged.set(id, { counter, outcome });
  };
  const outcomeOf = (error: unknown): Outcome => {
    if (!(error instanceof RedisError)) {
      figures.untyped.push(`${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
      return 'maybe';
    }
    return error.mayHaveRun ? 'maybe' : 'not-run';
  };
  const pick = () => counters[Math.floor(Math.random() * counters.length)];

  const operations: Array<[string, () => Promise<void>]> = [
    [
      'evalshaWithReload',
      async () => {
        const counter = pick();
        const id = `s${nextId++}`;
        await TAGGED_INCR.evalshaWithReload(target as never, [counter.key, counter.tags], [id]).then(
          () => record(counter, 'acknowledged', id),
          (error) => record(counter, outcomeOf(error), id),
        );
      },
    ],
    [
      'incr',
      async () => {
        const counter = pick();
        await target.incr(counter.key).then(
          () => record(counter, 'acknowledged'),
          (error) => record(counter, outcomeOf(error)),
        );
      },
    ],
    [
      'pipeline',
      async () => {
        const pipeline = target.pipeline();
        const picked = [pick(), pick(), pick()];
        const settled = picked.map((counter) =>
          pipeline.incr(counter.key).then(
            () => record(counter, 'acknowledged'),
            (error) => record(counter, outcomeOf(error)),
          ),
        );
        await pipeline.exec().catch(() => undefined);
        await Promise.all(settled);
      },
    ],
    [
      'multi',
      async () => {
        // One counter (one slot): INCR twice and tag, all or nothing.
        const counter = pick();
        const id = `m${nextId++}`;
        const multi = target.multi();
        const queued = [multi.incr(counter.key), multi.incr(counter.key), multi.sadd(counter.tags, id)];
        for (const promise of queued) promise.catch(() => undefined);
        await multi.exec().then(
          (results) => {
            const failed = results.find((result) => result instanceof Error);
            const outcome = failed === undefined ? 'acknowledged' : outcomeOf(failed);
            record(counter, outcome, id);
            record(counter, outcome);
          },
          (error) => {
            const outcome = outcomeOf(error);
            record(counter, outcome, id);
            record(counter, outcome);
          },
        );
      },
    ],
  ];

  const handles = options.rules.map((rule) => proxy.addFault(rule));
  const started = Date.now();
  const hardEnd = started + Math.max(durationMs, options.maxDurationMs ?? durationMs);
  const running = () => {
    const now = Date.now();
    if (now >= hardEnd) return false;
    return now < started + durationMs || !(options.enough?.() ?? true);
  };
  // A blackhole episode every ~second: traffic vanishes, then the connections are reset.
  const blackholes = setInterval(() => {
    const hole = proxy.addFault({ kind: 'blackhole', times: 1, direction: 'request' });
    setTimeout(() => {
      hole.remove();
      proxy.resetConnections();
    }, 250).unref();
  }, 1000);
  blackholes.unref();
  const worker = async () => {
    while (running()) {
      const [kind, run] = operations[Math.floor(Math.random() * operations.length)];
      figures.byKind[kind] = (figures.byKind[kind] ?? 0) + 1;
      figures.operations++;
      await run();
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    clearInterval(blackholes);
    for (const handle of handles) handle.remove();
    proxy.clearFaults();
  }

  // The truth, read once nothing is in flight and no fault is on.
  for (const counter of counters) {
    figures.acknowledged += counter.acknowledged;
    figures.maybeFailures += counter.maybe;
    figures.notRunFailures += counter.notRun;
    const actual = Number((await reader.call('GET', counter.key)) ?? 0);
    figures.invariantChecks += 2;
    if (actual < counter.acknowledged || actual > counter.acknowledged + counter.maybe) {
      figures.violations.push(
        `${counter.key}: actual ${actual}, acknowledged ${counter.acknowledged}, may-have-run failures ${counter.maybe}`,
      );
    }
    const ran = new Set((await reader.call('SMEMBERS', counter.tags)) as string[]);
    for (const [id, { counter: owner, outcome }] of tagged) {
      if (owner !== counter) continue;
      figures.invariantChecks++;
      if (outcome === 'acknowledged' && !ran.has(id))
        figures.violations.push(`${id} was acknowledged but did not run`);
      if (outcome === 'not-run' && ran.has(id))
        figures.violations.push(`${id} failed with mayHaveRun: false but ran`);
    }
  }
  return figures;
}

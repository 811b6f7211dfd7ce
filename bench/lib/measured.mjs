// The figures of one measured run, as worker.mjs and floor.mjs both report them.
import os from 'node:os';
import { quantileSorted } from './stats.mjs';

/**
 * How many calls to run before measuring: `warmOps` operations when given (`--warm`), else a tenth
 * of the measured calls (at least 100). Code that runs once per batch — per pipeline, or per turn
 * of 100 concurrent calls — is called a hundred times less often than code that runs per command,
 * and V8 optimises a function only after some thousands of calls: measured right after a short
 * warm-up, a pipelined run times that code still in the interpreter (docs/performance.md,
 * "Warm-up").
 */
export function warmCalls(calls, perCall, warmOps) {
  if (warmOps !== undefined) return Math.max(1, Math.ceil(warmOps / perCall));
  return Math.max(Math.ceil(calls / 10), Math.min(calls, 100));
}

/** The value of `--name <value>` in `args`, or undefined. */
export function flagValue(args, name) {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

/**
 * `latencies` (ns per call, sorted), `cpu` (process.cpuUsage() delta), server CPU µs before and
 * after (undefined off Linux) → the fields of a BENCH_RESULT line.
 */
export function measuredFigures({
  calls,
  perCall,
  seconds,
  latencies,
  cpu,
  serverBefore,
  serverAfter,
  heapUsed,
}) {
  const measuredOps = calls * perCall;
  return {
    ops: measuredOps,
    seconds,
    opsPerSec: measuredOps / seconds,
    p50Us: quantileSorted(latencies, 0.5) / 1e3,
    p99Us: quantileSorted(latencies, 0.99) / 1e3,
    latencyPer: perCall === 1 ? 'call' : `pipeline of ${perCall}`,
    clientCpuUsPerOp: (cpu.user + cpu.system) / measuredOps,
    serverCpuUsPerOp:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : (serverAfter - serverBefore) / measuredOps,
    heapMB: heapUsed / 2 ** 20,
    loadAverage: os.loadavg()[0],
  };
}

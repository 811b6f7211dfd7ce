// The figures of one measured run, as worker.mjs and floor.mjs both report them.
import os from 'node:os';
import { quantileSorted } from './stats.mjs';

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

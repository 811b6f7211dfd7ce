// Folds the per-round worker results into one cell per workload × client: medians with min–max,
// or why there is no figure (n/a, or the error of the rounds that failed).
import { spread } from './stats.mjs';

const FIGURES = ['opsPerSec', 'clientCpuUsPerOp', 'serverCpuUsPerOp', 'p50Us', 'p99Us', 'heapMB'];

export function summarize(results, workloadNames, clientNames) {
  const cells = new Map();
  for (const workload of workloadNames) {
    for (const client of clientNames) {
      const runs = results.filter((result) => result.workload === workload && result.client === client);
      const measured = runs.filter((result) => result.opsPerSec !== undefined);
      const cell = { runs: runs.length, measured: measured.length };
      if (measured.length > 0) {
        for (const figure of FIGURES) cell[figure] = spread(measured.map((result) => result[figure]));
        cell.latencyPer = measured[0].latencyPer;
      }
      const failed = runs.find((result) => result.error !== undefined);
      if (failed !== undefined) cell.error = failed.error;
      const na = runs.find((result) => result.na !== undefined);
      if (na !== undefined) cell.na = na.na;
      cells.set(cellKey(workload, client), cell);
    }
  }
  return cells;
}

export function cellKey(workload, client) {
  return `${workload}\t${client}`;
}

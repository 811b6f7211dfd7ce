// Issue 14's yardstick: redmoon as a ratio to redis-benchmark on the same server in the same run,
// and the targets read from those ratios. Computation only; ratio-tables.mjs and chart.mjs draw it.
import { formatFigure, formatRate, formatRatio } from './format.mjs';
import { spread } from './stats.mjs';
import { cellKey } from './summary.mjs';

export const OURS = 'redmoon';
/** The build REDMOON_BASE_ENTRY points at: "no slower than before" targets read against it. */
export const BASE = 'redmoon-base';

/**
 * Per workload (base name): `reference`, the redis-benchmark row ids the ratio is computed
 * against (several ids combine harmonically: e alternates SET and GET, so its time per call is
 * the mean of theirs); `also`, further runs shown next to it; `floor`, the Node floor mode run
 * next to it; `own`, a redmoon workload it is also read against (f against b).
 */
export const COMPARISONS = {
  a: { reference: ['evalsha-c1'], also: [], floor: 'a' },
  b: { reference: ['evalsha-c100-p16'], also: [['evalsha-c100-p1']], contract: 'b' },
  c: { reference: ['evalsha-c1-p100'], also: [['evalsha-c100-p16']], floor: 'c', contract: 'c' },
  'd-get': { reference: ['get-64b-p16'], also: [['get-64b-p1']] },
  'd-set': { reference: ['set-64b-p16'], also: [['set-64b-p1']] },
  e: { reference: ['get-16k-p1', 'set-16k-p1'], also: [] },
  f: { reference: ['cluster-evalsha-c100-p16'], also: [['cluster-evalsha-c100-p1']], own: 'b' },
};

/** The workload a name belongs to: `a-helper` is read against what `a` is. */
function baseOf(name) {
  return name.replace(/-helper$/, '');
}

export function comparisonFor(workload) {
  return COMPARISONS[baseOf(workload)];
}

/**
 * Folds reference rows from every round into id → { id, label, for, rps, p50Us, p99Us (spreads),
 * rounds, error }. A run that failed in some rounds keeps the figures of the others.
 */
export function summarizeReferences(rows) {
  const byId = new Map();
  for (const row of rows) {
    const entry = byId.get(row.id) ?? { id: row.id, label: row.label, for: row.for, rows: [] };
    entry.rows.push(row);
    byId.set(row.id, entry);
  }
  const summary = new Map();
  for (const [id, { label, for: next, rows: runs }] of byId) {
    const measured = runs.filter((row) => row.rps !== undefined);
    summary.set(id, {
      id,
      label,
      for: next,
      rps: spread(measured.map((row) => row.rps)),
      p50Us: spread(measured.map((row) => row.p50Us)),
      p99Us: spread(measured.map((row) => row.p99Us)),
      rounds: runs.length,
      measured: measured.length,
      error: runs.find((row) => row.error !== undefined)?.error,
    });
  }
  return summary;
}

/** Median rate of the ids combined harmonically, with a label; undefined when any is missing. */
export function combinedReference(references, ids) {
  const rates = ids.map((id) => references.get(id)?.rps?.median);
  if (rates.some((rate) => !(rate > 0))) return undefined;
  const rate = rates.length / rates.reduce((sum, value) => sum + 1 / value, 0);
  const labels = ids.map((id) => references.get(id).label);
  const label =
    ids.length === 1
      ? labels[0]
      : `${ids.map((id) => id.split('-')[0].toUpperCase()).join('+')} ${labels[0].replace(/^\S+ /, '')} (harmonic mean)`;
  return { label, rate, ids };
}

function median(cell, figure) {
  return cell?.[figure]?.median;
}

/**
 * Everything issue 14 reads for one workload and client: the ratio to its reference, to the
 * further runs, to redmoon's own workload (f/b), and the Node floor next to it.
 */
export function compare({ cells, references, floors }, workload, client = OURS) {
  const comparison = comparisonFor(workload);
  const cell = cells.get(cellKey(workload, client));
  const rate = median(cell, 'opsPerSec');
  const result = { workload, client, cell, rate };
  if (comparison === undefined) return result;
  const ratioTo = (reference) =>
    reference === undefined
      ? undefined
      : { ...reference, ratio: rate === undefined ? undefined : rate / reference.rate };
  result.reference = ratioTo(combinedReference(references, comparison.reference));
  result.also = comparison.also.map((ids) => ratioTo(combinedReference(references, ids))).filter(Boolean);
  if (comparison.own !== undefined) {
    const ownName = workload.replace(baseOf(workload), comparison.own);
    const ownRate = median(cells.get(cellKey(ownName, client)), 'opsPerSec');
    if (ownRate !== undefined) result.own = ratioTo({ label: `${client} ${ownName}`, rate: ownRate });
  }
  result.floor = floorFigures(floors, comparison.floor, 'node-floor', rate, result.reference);
  result.contractFloor = floorFigures(
    floors,
    comparison.contract,
    'node-floor-contract',
    rate,
    result.reference,
  );
  return result;
}

/** A Node floor's figures next to a workload (`ours` is the workload's rate over the floor's). */
function floorFigures(floors, workload, client, rate, reference) {
  if (workload === undefined) return undefined;
  const cell = floors?.get(cellKey(workload, client));
  const floorRate = median(cell, 'opsPerSec');
  if (floorRate === undefined) return undefined;
  return {
    cell,
    rate: floorRate,
    cpu: median(cell, 'clientCpuUsPerOp'),
    ofReference: reference === undefined ? undefined : floorRate / reference.rate,
    ours: rate === undefined ? undefined : rate / floorRate,
  };
}

/**
 * The targets of issue 14. kind: `ratio` (ops/s over the reference ≥ min), `cpu` (client CPU
 * µs per call ≤ max), `own` (ops/s over redmoon's own workload ≥ min), `base` and `base-p99`
 * (no slower, no worse p99, than the redmoon-base build in the same run).
 */
export const TARGETS = [
  { workload: 'a', kind: 'ratio', min: 0.9, text: 'a · ≥ 0.9× redis-benchmark EVALSHA -c 1' },
  { workload: 'b', kind: 'ratio', min: 0.8, text: 'b · ≥ 0.8× redis-benchmark EVALSHA -c 100 -P 16' },
  { workload: 'c', kind: 'ratio', min: 0.8, text: 'c · ≥ 0.8× redis-benchmark EVALSHA -c 1 -P 100' },
  { workload: 'b', kind: 'cpu', max: 1.2, text: 'b · client CPU ≤ 1.2 µs per call' },
  { workload: 'c', kind: 'cpu', max: 1.2, text: 'c · client CPU ≤ 1.2 µs per call' },
  { workload: 'f', kind: 'own', min: 0.7, text: "f · ≥ 0.7× redmoon's own b" },
  { workload: 'b', kind: 'base-p99', text: 'b · p99 latency no worse than before' },
  { workload: 'd-get', kind: 'base', text: 'd · GET 64 B no slower than before' },
  { workload: 'd-set', kind: 'base', text: 'd · SET 64 B no slower than before' },
  { workload: 'e', kind: 'base', text: 'e · 16 KiB no slower than before' },
];

/**
 * "No slower than before" is read with the noise of a shared 2-core machine in mind: 'yes' at
 * ≥ 1.0×, 'within 5%' from 0.95×, 'no' below.
 */
const NOISE = 0.05;

/**
 * A CPU target not met is out of reach when even the contract floor (bench/floor.mjs) spends
 * more per call: no client under DESIGN's contract does less per call than that floor.
 */
function outOfReach(floorMisses) {
  return floorMisses ? 'no: out of reach (the contract floor misses it too)' : 'no';
}

function noWorse(ratio) {
  if (ratio >= 1) return 'yes';
  return ratio >= 1 - NOISE ? 'within 5%' : 'no';
}

/** { measured, met } for one target: measured as text, met 'yes' / 'no' / 'within 5%' / '—'. */
export function judgeTarget(data, target) {
  if (!data.workloads.some((work) => work.name === target.workload)) return { measured: 'not run', met: '—' };
  const ours = compare(data, target.workload);
  if (ours.rate === undefined) return { measured: `${OURS} has no figure`, met: '—' };
  switch (target.kind) {
    case 'ratio': {
      if (ours.reference?.ratio === undefined) return { measured: 'no redis-benchmark figure', met: '—' };
      // Shown, never read as a bound: a client can beat this floor's rate by overlapping its
      // work with the server's (redmoon does in b), where it cannot spend less CPU than it.
      const floor = ours.contractFloor?.ofReference;
      const met = ours.reference.ratio >= target.min ? 'yes' : 'no';
      return {
        measured:
          `${formatRatio(ours.reference.ratio)} (${formatRate(ours.rate)} vs ${formatRate(ours.reference.rate)})` +
          (floor === undefined ? '' : `; contract floor ${formatRatio(floor)}`),
        met,
      };
    }
    case 'cpu': {
      const cpu = median(ours.cell, 'clientCpuUsPerOp');
      const floor = ours.contractFloor?.cpu;
      return {
        measured: `${formatFigure(cpu)} µs${floor === undefined ? '' : `; contract floor ${formatFigure(floor)} µs`}`,
        met: cpu <= target.max ? 'yes' : outOfReach(floor !== undefined && floor > target.max),
      };
    }
    case 'own': {
      if (ours.own?.ratio === undefined)
        return { measured: `${OURS} ${COMPARISONS.f.own} not run`, met: '—' };
      return {
        measured: `${formatRatio(ours.own.ratio)} (${formatRate(ours.rate)} vs ${formatRate(ours.own.rate)})`,
        met: ours.own.ratio >= target.min ? 'yes' : 'no',
      };
    }
    case 'base':
    case 'base-p99': {
      const base = data.cells.get(cellKey(target.workload, BASE));
      if (base === undefined) return { measured: `not judged: run with --clients ${OURS},${BASE}`, met: '—' };
      if (target.kind === 'base') {
        const baseRate = median(base, 'opsPerSec');
        if (baseRate === undefined) return { measured: `${BASE} has no figure`, met: '—' };
        const ratio = ours.rate / baseRate;
        return {
          measured: `${formatRatio(ratio)} of ${BASE} (${formatRate(ours.rate)} vs ${formatRate(baseRate)})`,
          met: noWorse(ratio),
        };
      }
      const p99 = median(ours.cell, 'p99Us');
      const baseP99 = median(base, 'p99Us');
      if (baseP99 === undefined) return { measured: `${BASE} has no figure`, met: '—' };
      return {
        measured: `${formatFigure(p99)} µs vs ${formatFigure(baseP99)} µs (${BASE})`,
        met: noWorse(baseP99 / p99),
      };
    }
    default:
      throw new Error(`unknown target kind ${target.kind}`);
  }
}

// The report's headline sections (issue 14): redmoon's ratio to redis-benchmark per workload,
// the targets with met / not met, the Node floor, and every redis-benchmark run of the round.
import { BASE, compare, comparisonFor, judgeTarget, TARGETS } from './comparisons.mjs';
import { formatFigure, formatRate, formatRatio } from './format.mjs';
import { escapeCell, missingFigure, table } from './markdown.mjs';
import { cellKey } from './summary.mjs';

function rateWithRange(spread) {
  if (spread === undefined) return '—';
  const range = spread.count > 1 ? ` [${formatRate(spread.min)}–${formatRate(spread.max)}]` : '';
  return `${formatRate(spread.median)}${range}`;
}

/** The further comparisons of one workload, as one cell. */
function alsoCell(result) {
  const parts = (result.also ?? []).map(
    (reference) => `${formatRatio(reference.ratio)} ${reference.label} (${formatRate(reference.rate)})`,
  );
  if (result.own !== undefined) {
    parts.push(`${formatRatio(result.own.ratio)} ${result.own.label} (${formatRate(result.own.rate)})`);
  }
  if (result.floor !== undefined) {
    parts.push(
      `Node floor ${formatRate(result.floor.rate)} = ${formatRatio(result.floor.ofReference)} the reference; ${result.client} at ${formatRatio(result.floor.ours)} the floor`,
    );
  }
  if (result.contractFloor !== undefined) {
    parts.push(
      `contract floor ${formatRate(result.contractFloor.rate)} = ${formatRatio(result.contractFloor.ofReference)} the reference`,
    );
  }
  return escapeCell(parts.join(' · '));
}

/**
 * One row per workload for `client`: its figures, the redis-benchmark run the ratio is computed
 * against, the ratio, and the further comparisons. With redmoon-base in the run, its ratio too.
 */
export function headlineTable(data, client) {
  const withBase = client !== BASE && data.clients.includes(BASE);
  const header = [
    'workload',
    `${data.labels[client]} ops/s [min–max]`,
    'client CPU µs/op',
    'p99 µs',
    'reference (redis-benchmark, same run)',
    'reference req/s [min–max]',
    '**ratio**',
    ...(withBase ? [`${data.labels[BASE]} ratio`] : []),
    'also',
  ];
  const rows = data.workloads.map((work) => {
    const result = compare(data, work.name, client);
    const cell = result.cell;
    const reference = result.reference;
    const referenceRuns = comparisonFor(work.name)?.reference.map((id) => data.references.get(id));
    const ours =
      result.rate === undefined
        ? [missingFigure(cell), '', '']
        : [
            rateWithRange(cell.opsPerSec),
            formatFigure(cell.clientCpuUsPerOp.median),
            `${formatFigure(cell.p99Us.median)}${cell.latencyPer === 'call' ? '' : ` (per ${cell.latencyPer})`}`,
          ];
    let referenceText = '—';
    let referenceRate = '—';
    if (reference !== undefined) {
      referenceText = reference.label;
      referenceRate =
        referenceRuns.length === 1 ? rateWithRange(referenceRuns[0].rps) : formatRate(reference.rate);
    } else if (referenceRuns !== undefined) {
      const failed = referenceRuns.find((run) => run?.error !== undefined);
      referenceText = failed ? escapeCell(`${failed.label}: error: ${failed.error}`) : 'not run';
    } else {
      referenceText = 'none';
    }
    const baseRatio = withBase ? [formatRatio(compare(data, work.name, BASE).reference?.ratio)] : [];
    return [
      work.label,
      ...ours,
      referenceText,
      referenceRate,
      `**${formatRatio(reference?.ratio)}**`,
      ...baseRatio,
      alsoCell(result),
    ];
  });
  return table(header, rows);
}

export function targetsTable(data) {
  const rows = TARGETS.map((target) => {
    const { measured, met } = judgeTarget(data, target);
    return [target.text, escapeCell(measured), met];
  });
  rows.push([
    'memory · < 250 bytes per command, 1M in flight and 1M queued offline',
    'not measured here: `npm run bench:memory`',
    '—',
  ]);
  return table(['target (issue 14)', 'measured (medians, same run)', 'met'], rows);
}

const FLOOR_KINDS = [
  { key: 'floor', client: 'node-floor', name: 'raw socket' },
  { key: 'contractFloor', client: 'node-floor-contract', name: 'contract' },
];

/** The Node floors that ran next to a, b and c; empty when none did. */
export function floorTable(data, client) {
  const rows = [];
  for (const work of data.workloads) {
    if (work.name.endsWith('-helper')) continue;
    const comparison = comparisonFor(work.name);
    for (const kind of FLOOR_KINDS) {
      const floorName = kind.key === 'floor' ? comparison?.floor : comparison?.contract;
      if (floorName === undefined) continue;
      const cell = data.floors.get(cellKey(floorName, kind.client));
      if (cell === undefined) continue;
      const result = compare(data, work.name, client);
      const floor = result[kind.key];
      if (floor === undefined) {
        rows.push([work.label, kind.name, missingFigure(cell), '', '', '', '', '']);
        continue;
      }
      rows.push([
        work.label,
        kind.name,
        rateWithRange(cell.opsPerSec),
        formatFigure(cell.clientCpuUsPerOp.median),
        `${formatFigure(cell.p50Us.median)}${cell.latencyPer === 'call' ? '' : ` (per ${cell.latencyPer})`}`,
        result.reference === undefined
          ? '—'
          : `${result.reference.label} ${formatRate(result.reference.rate)}`,
        formatRatio(floor.ofReference),
        formatRatio(floor.ours),
      ]);
    }
  }
  if (rows.length === 0) return '';
  return table(
    [
      'next to',
      'floor',
      'ops/s [min–max]',
      'client CPU µs/op',
      'p50 µs',
      'redis-benchmark reference',
      'floor / reference',
      `${data.labels[client]} / floor`,
    ],
    rows,
  );
}

export function referenceRunsTable(references) {
  const rows = [...references.values()].map((row) =>
    row.rps === undefined
      ? [escapeCell(row.label), row.for ?? '', escapeCell(`error: ${row.error}`), '', '']
      : [
          row.label,
          row.for ?? '',
          `${rateWithRange(row.rps)}${row.measured < row.rounds ? ` (${row.measured}/${row.rounds} rounds; ${escapeCell(row.error)})` : ''}`,
          formatFigure(row.p50Us?.median),
          formatFigure(row.p99Us?.median),
        ],
  );
  return table(['redis-benchmark run', 'next to', 'requests/s median [min–max]', 'p50 µs', 'p99 µs'], rows);
}

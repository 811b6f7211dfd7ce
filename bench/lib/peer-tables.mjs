// The report's side-by-side sections (issue 5): every client's throughput, redmoon against the
// best peer with issue 5's targets, and the latency / server CPU / heap details.
import { combinedReference, comparisonFor, OURS } from './comparisons.mjs';
import { formatFigure, formatRate, formatRatio } from './format.mjs';
import { escapeCell, missingFigure, table } from './markdown.mjs';
import { cellKey } from './summary.mjs';

/**
 * The targets of issue 5, by workload letter (helper variants share their letter's target).
 * peer 'every' means ahead of every other client in the run.
 */
const PEER_TARGETS = {
  a: { peer: 'ioredis', ops: 1.1, text: '≥ 1.1× ioredis' },
  b: { peer: 'ioredis', ops: 1.6, cpu: 0.5, text: '≥ 1.6× ioredis, ≤ 0.5× its CPU/op' },
  c: { peer: 'node-redis', ops: 1.4, text: '≥ 1.4× node-redis' },
  d: { peer: 'ioredis', ops: 1.6, text: '≥ 1.6× ioredis' },
  e: { peer: 'every', ops: 1, text: 'ahead of every peer' },
  f: { peer: 'every', ops: 1, text: 'ahead of every peer' },
};

/** Other redmoon builds and configurations are not peers. */
function isPeer(client) {
  return !client.startsWith(OURS);
}

function median(cell, figure) {
  return cell?.[figure]?.median;
}

/** The peer with the highest median ops/s for a workload. */
function bestPeer(cells, workload, clients) {
  let best;
  for (const client of clients) {
    if (!isPeer(client)) continue;
    const rate = median(cells.get(cellKey(workload, client)), 'opsPerSec');
    if (rate !== undefined && (best === undefined || rate > best.rate)) best = { client, rate };
  }
  return best;
}

function throughputCell(cell, isBest) {
  if (cell?.opsPerSec === undefined) return cell === undefined ? '' : missingFigure(cell);
  const rate = formatRate(cell.opsPerSec.median);
  const range =
    cell.measured > 1 ? ` [${formatRate(cell.opsPerSec.min)}–${formatRate(cell.opsPerSec.max)}]` : '';
  const partial =
    cell.measured < cell.runs ? ` (${cell.measured}/${cell.runs} rounds; ${escapeCell(cell.error)})` : '';
  return `${isBest ? `**${rate}**` : rate} (${formatFigure(cell.clientCpuUsPerOp.median)})${range}${partial}`;
}

/** redis-benchmark's figures next to a plain workload: its reference first, then the others. */
function referenceCell(references, workload) {
  const comparison = comparisonFor(workload);
  if (comparison === undefined || workload.endsWith('-helper')) return '';
  return [comparison.reference, ...comparison.also]
    .map((ids) => combinedReference(references, ids))
    .filter(Boolean)
    .map((reference) => `${formatRate(reference.rate)} (${reference.label})`)
    .join(' · ');
}

export function throughputTable({ workloads, clients, labels, cells, references }) {
  const header = ['workload', ...clients.map((client) => labels[client]), 'redis-benchmark'];
  const rows = workloads.map((work) => {
    const best = Math.max(
      ...clients.map((client) => median(cells.get(cellKey(work.name, client)), 'opsPerSec') ?? 0),
    );
    return [
      work.label,
      ...clients.map((client) => {
        const cell = cells.get(cellKey(work.name, client));
        return throughputCell(cell, best > 0 && median(cell, 'opsPerSec') === best);
      }),
      referenceCell(references, work.name),
    ];
  });
  return table(header, rows);
}

export function detailsTable({ workloads, clients, labels, cells }) {
  const header = [
    'workload',
    'client',
    'ops/s median [min–max]',
    'p50 µs',
    'p99 µs',
    'client CPU µs/op',
    'server CPU µs/op',
    'heap MB',
  ];
  const rows = [];
  for (const work of workloads) {
    for (const client of clients) {
      const cell = cells.get(cellKey(work.name, client));
      if (cell === undefined) continue;
      if (cell.opsPerSec === undefined) {
        const why = cell.na !== undefined ? `n/a: ${cell.na}` : `error: ${cell.error ?? 'no result'}`;
        rows.push([work.name, labels[client], escapeCell(why), '', '', '', '', '']);
        continue;
      }
      const per = cell.latencyPer === 'call' ? '' : ` (per ${cell.latencyPer})`;
      rows.push([
        work.name,
        labels[client],
        `${formatRate(cell.opsPerSec.median)} [${formatRate(cell.opsPerSec.min)}–${formatRate(cell.opsPerSec.max)}]`,
        `${formatFigure(cell.p50Us.median)}${per}`,
        formatFigure(cell.p99Us.median),
        formatFigure(cell.clientCpuUsPerOp.median),
        formatFigure(cell.serverCpuUsPerOp?.median),
        formatFigure(cell.heapMB.median),
      ]);
    }
  }
  return table(header, rows);
}

function peerVerdict(target, cells, workload, clients) {
  const ours = cells.get(cellKey(workload, OURS));
  const ourRate = median(ours, 'opsPerSec');
  if (ourRate === undefined) return { against: '—', met: '—' };
  if (target.peer === 'every') {
    const best = bestPeer(cells, workload, clients);
    if (best === undefined) return { against: '—', met: '—' };
    return { against: formatRatio(ourRate / best.rate), met: ourRate > best.rate ? 'yes' : 'no' };
  }
  const peer = cells.get(cellKey(workload, target.peer));
  const peerRate = median(peer, 'opsPerSec');
  if (peerRate === undefined) return { against: `${target.peer} not measured`, met: '—' };
  const opsRatio = ourRate / peerRate;
  const cpuRatio = median(ours, 'clientCpuUsPerOp') / median(peer, 'clientCpuUsPerOp');
  let met = opsRatio >= target.ops;
  let against = `${formatRatio(opsRatio)} ops/s`;
  if (target.cpu !== undefined) {
    met &&= cpuRatio <= target.cpu;
    against += `, ${formatRatio(cpuRatio)} CPU/op`;
  }
  return { against: `${against} vs ${target.peer}`, met: met ? 'yes' : 'no' };
}

/** redmoon against the best peer per workload; empty when no peer ran. */
export function peerTable({ workloads, clients, labels, cells }) {
  if (!clients.includes(OURS) || !clients.some(isPeer)) return '';
  const header = [
    'workload',
    'redmoon ops/s (CPU µs/op)',
    'best peer',
    'ops/s ratio',
    'client CPU/op ratio',
    'target (issue 5)',
    'against target',
    'met',
  ];
  const rows = workloads.map((work) => {
    const ours = cells.get(cellKey(work.name, OURS));
    const best = bestPeer(cells, work.name, clients);
    const bestCell = best && cells.get(cellKey(work.name, best.client));
    const target = PEER_TARGETS[work.name[0]];
    const ourRate = median(ours, 'opsPerSec');
    const verdict = target ? peerVerdict(target, cells, work.name, clients) : { against: '—', met: '—' };
    return [
      work.label,
      ourRate === undefined
        ? missingFigure(ours)
        : `${formatRate(ourRate)} (${formatFigure(median(ours, 'clientCpuUsPerOp'))})`,
      best === undefined
        ? '—'
        : `${labels[best.client]} ${formatRate(best.rate)} (${formatFigure(median(bestCell, 'clientCpuUsPerOp'))})`,
      best && ourRate !== undefined ? formatRatio(ourRate / best.rate) : '—',
      best && ourRate !== undefined
        ? formatRatio(median(ours, 'clientCpuUsPerOp') / median(bestCell, 'clientCpuUsPerOp'))
        : '—',
      target?.text ?? '—',
      verdict.against,
      verdict.met,
    ];
  });
  return table(header, rows);
}

export function notAvailableNotes({ workloads, clients, labels, cells }) {
  const notes = [];
  for (const work of workloads) {
    for (const client of clients) {
      const cell = cells.get(cellKey(work.name, client));
      if (cell?.na !== undefined) notes.push(`- ${work.name} × ${labels[client]}: ${cell.na}`);
    }
  }
  return notes.length === 0 ? '' : `\nn/a:\n${notes.join('\n')}\n`;
}

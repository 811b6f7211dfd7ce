// The markdown report: a summary table (ops/s and client CPU per op, per client), the details
// (latency, server CPU, heap), redmoon against the best peer and the issue's targets, and the
// redis-benchmark reference.
import { formatFigure, formatRate, formatRatio } from './format.mjs';
import { cellKey } from './summary.mjs';

/**
 * The targets of issue 5, by workload letter (helper variants share their letter's target).
 * peer 'every' means ahead of every other client in the run.
 */
const TARGETS = {
  a: { peer: 'ioredis', ops: 1.1, text: '≥ 1.1× ioredis' },
  b: { peer: 'ioredis', ops: 1.6, cpu: 0.5, text: '≥ 1.6× ioredis, ≤ 0.5× its CPU/op' },
  c: { peer: 'node-redis', ops: 1.4, text: '≥ 1.4× node-redis' },
  d: { peer: 'ioredis', ops: 1.6, text: '≥ 1.6× ioredis' },
  e: { peer: 'every', ops: 1, text: 'ahead of every peer' },
  f: { peer: 'every', ops: 1, text: 'ahead of every peer' },
};

const OURS = 'redmoon';

function escapeCell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function median(cell, figure) {
  return cell?.[figure]?.median;
}

/** The peer with the highest median ops/s for a workload. */
function bestPeer(cells, workload, clients) {
  let best;
  for (const client of clients) {
    if (client === OURS) continue;
    const rate = median(cells.get(cellKey(workload, client)), 'opsPerSec');
    if (rate !== undefined && (best === undefined || rate > best.rate)) best = { client, rate };
  }
  return best;
}

function summaryCell(cell, isBest) {
  if (cell === undefined) return '';
  if (cell.opsPerSec === undefined) {
    if (cell.na !== undefined) return 'n/a';
    return escapeCell(`error: ${cell.error ?? 'no result'}`);
  }
  const rate = formatRate(cell.opsPerSec.median);
  const range =
    cell.measured > 1 ? ` [${formatRate(cell.opsPerSec.min)}–${formatRate(cell.opsPerSec.max)}]` : '';
  const partial =
    cell.measured < cell.runs ? ` (${cell.measured}/${cell.runs} rounds; ${escapeCell(cell.error)})` : '';
  return `${isBest ? `**${rate}**` : rate} (${formatFigure(cell.clientCpuUsPerOp.median)})${range}${partial}`;
}

function referenceCell(reference, workload) {
  return reference
    .filter((row) => row.for === workload && row.rps !== undefined)
    .map((row) => `${formatRate(row.rps)} (${row.short})`)
    .join(' · ');
}

function summaryTable({ workloads, clients, labels, cells, reference }) {
  const header = ['workload', ...clients.map((client) => labels[client]), 'redis-benchmark'];
  const rows = workloads.map((work) => {
    const best = Math.max(
      ...clients.map((client) => median(cells.get(cellKey(work.name, client)), 'opsPerSec') ?? 0),
    );
    return [
      work.label,
      ...clients.map((client) => {
        const cell = cells.get(cellKey(work.name, client));
        return summaryCell(cell, best > 0 && median(cell, 'opsPerSec') === best);
      }),
      referenceCell(reference, work.name),
    ];
  });
  return table(header, rows);
}

function detailsTable({ workloads, clients, labels, cells }) {
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

function targetVerdict(target, cells, workload, clients) {
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

function ratiosTable({ workloads, clients, labels, cells }) {
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
    const target = TARGETS[work.name[0]];
    const ourRate = median(ours, 'opsPerSec');
    const verdict = target ? targetVerdict(target, cells, work.name, clients) : { against: '—', met: '—' };
    return [
      work.label,
      ourRate === undefined
        ? ours?.na !== undefined
          ? 'n/a'
          : escapeCell(`error: ${ours?.error ?? 'not run'}`)
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

function referenceTable(reference) {
  const rows = reference.map((row) =>
    row.error !== undefined
      ? [escapeCell(row.label), row.for ?? '', escapeCell(`error: ${row.error}`), '', '']
      : [row.label, row.for ?? '', formatRate(row.rps), formatFigure(row.p50Us), formatFigure(row.p99Us)],
  );
  return table(['redis-benchmark run', 'next to', 'requests/s', 'p50 µs', 'p99 µs'], rows);
}

function notAvailableNotes({ workloads, clients, labels, cells }) {
  const notes = [];
  for (const work of workloads) {
    for (const client of clients) {
      const cell = cells.get(cellKey(work.name, client));
      if (cell?.na !== undefined) notes.push(`- ${work.name} × ${labels[client]}: ${cell.na}`);
    }
  }
  return notes.length === 0 ? '' : `\nn/a:\n${notes.join('\n')}\n`;
}

/** The whole report; `chartFile`, when given, is linked as the chart. */
export function renderReport(data, { chartFile } = {}) {
  const { meta } = data;
  const versions = data.clients.map((client) => `${data.labels[client]} ${meta.versions[client]}`).join(', ');
  return `# redmoon benchmarks

${meta.quick ? '> **Quick smoke run** (fewer operations): not for quoting.\n\n' : ''}- **Machine**: ${meta.cpuModel}, ${meta.cores} cores, ${meta.memoryGiB} GiB, ${meta.os}; 1-min load average ${meta.loadAverage} at start${meta.loadDuring ? `, ${formatFigure(meta.loadDuring.median)} median (max ${formatFigure(meta.loadDuring.max)}) at the end of the runs` : ''}
- **Software**: Node ${meta.node}, Redis ${meta.redis} (standalone, and a 3-primary cluster for f; loopback)
- **Clients**: ${versions}
- **Protocol**: ${meta.protocols}
- **Run**: ${meta.date}, ${meta.rounds} round${meta.rounds === 1 ? '' : 's'}; every case in a fresh process, clients alternating in an order rotated each round; \`${meta.command}\`
${chartFile ? `\n![ops/s per workload and client](${chartFile})\n` : ''}
## Throughput

ops/s median (client CPU µs/op) [min–max ops/s across rounds]; best of each row in bold.

${summaryTable(data)}
${notAvailableNotes(data)}
## redmoon against the best peer

Ratios of medians from this run; a CPU ratio below 1 means redmoon spends less client CPU per op.

${ratiosTable(data)}

## Latency, server CPU and heap (medians across rounds)

${detailsTable(data)}

## redis-benchmark on the same servers (reference)

${referenceTable(data.reference)}

## Method

- Workloads: (a) EVALSHA \`return redis.call('INCRBY', KEYS[1], ARGV[1])\` over 1,000 keys, each call awaited
  before the next; (b) the same with 100 calls in flight (100 lanes, each awaiting its call); (c) explicit
  pipelines of 100 EVALSHA, one pipeline in flight (latency is per pipeline); (d) GET and SET of 64-byte
  values, 100 in flight; (e) SET and GET (alternating) of 16 KiB strings, 100 in flight; (f) as (b) on a
  3-primary cluster; (g) pub/sub: one client publishes 64-byte messages, 100 in flight, to a channel that
  4 subscribers (each a client of its own, in the same process) listen to; one operation is one message
  published and received by all 4 (deliveries/s are 4× ops/s; latency runs from PUBLISH to the last
  delivery). \`-helper\` rows run the same calls through each client's script helper: redmoon
  \`Script#evalshaWithReload\`, ioredis \`defineCommand\`, node-redis \`defineScript\`, glide \`Script\` +
  \`invokeScript\`. Plain rows use \`evalsha\` (glide: \`customCommand\`; glide pipelines: a non-atomic \`Batch\`).
- Each run: connect, set up, warm up on 10% of the calls (untimed), \`gc()\`, then the timed calls.
  ops/s = operations / wall time. Latency: \`process.hrtime.bigint()\` around every awaited call.
  Client CPU: \`process.cpuUsage()\` (user + system, all threads, so glide's Rust threads count) / ops.
  Server CPU: utime + stime from \`/proc/<pid>/stat\` (summed over the primaries for f) / ops, at
  ${meta.clockTicks} ticks/s, so ±${formatFigure(1e3 / meta.clockTicks)} ms of server CPU per run. Heap: \`heapUsed\` after
  \`gc()\` at the end of the run, client still connected.
- Client and servers share the machine's cores; figures from a busy machine are lower and noisier.
`;
}

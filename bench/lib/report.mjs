// The markdown report. Headline (issue 14): redmoon's ratio to redis-benchmark per workload,
// the targets, and the Node floor; then the side-by-side with the peers (issue 5), the details
// and every redis-benchmark run.
import { OURS } from './comparisons.mjs';
import { formatFigure } from './format.mjs';
import { detailsTable, notAvailableNotes, peerTable, throughputTable } from './peer-tables.mjs';
import { floorTable, headlineTable, referenceRunsTable, targetsTable } from './ratio-tables.mjs';

/** The whole report; `chartFile`, when given, is linked as the chart. */
export function renderReport(data, { chartFile } = {}) {
  const { meta } = data;
  const versions = data.clients.map((name) => `${data.labels[name]} ${meta.versions[name]}`).join(', ');
  // The headline reads redmoon; a run without it reads its first client instead.
  const client = data.clients.includes(OURS) ? OURS : data.clients[0];
  const floor = floorTable(data, client);
  const peers = peerTable(data);
  return `# redmoon benchmarks

${meta.quick ? '> **Quick smoke run** (fewer operations): not for quoting.\n\n' : ''}- **Machine**: ${meta.cpuModel}, ${meta.cores} cores, ${meta.memoryGiB} GiB, ${meta.os}; 1-min load average ${meta.loadAverage} at start${meta.loadDuring ? `, ${formatFigure(meta.loadDuring.median)} median (max ${formatFigure(meta.loadDuring.max)}) at the end of the runs` : ''}
- **Software**: Node ${meta.node}, Redis ${meta.redis} (standalone, and a 3-primary cluster for f; loopback)
- **Clients**: ${versions}
- **Protocol**: ${meta.protocols}
- **Run**: ${meta.date}, ${meta.rounds} round${meta.rounds === 1 ? '' : 's'}; every case in a fresh process, clients alternating in an order rotated each round; \`${meta.command}\`
${chartFile ? `\n![ops/s per workload and client](${chartFile})\n` : ''}
## ${data.labels[client]} against redis-benchmark (issue 14)

The ratio is ${data.labels[client]}'s median ops/s over the median requests/s of the redis-benchmark run
named next to it, both measured in this run against the same server (each reference runs once per
round, next to the first workload that uses it). The chart's dashed line marks that reference.

${headlineTable(data, client)}

## Targets (issue 14)

${targetsTable(data)}
${
  floor === ''
    ? ''
    : `
## Node floor

Two floors, both a raw \`node:net\` socket read as redmoon reads (\`bench/floor.mjs\`):

- **raw socket**: writes precomputed EVALSHA frames and counts the integer replies, decoding
  nothing else — the ceiling for any Node client on this machine. Next to a it sends one frame and
  waits for its reply; next to c, 100 frames in one write and waits for the 100 replies.
- **contract**: does per call only what DESIGN's contract makes every call do — a promise whose
  resolving function is kept, the call's arguments kept (to send again after NOSCRIPT or a
  reconnect), the arguments encoded (header, sha and numkeys precomputed per script), the integer
  reply decoded and handed to its promise, a pipeline's promise resolved with its values; no
  command record, option or check. Next to b, 100 callers each awaiting their own call, a turn's
  calls in one write; next to c, pipelines of 100. A CPU target this floor misses is out of reach
  for any client under that contract, and the targets table says so. Its rate is no bound: a
  client that overlaps its work with the server's (redmoon does in b) can beat it.

${floor}
`
}
## All clients (issue 5)

ops/s median (client CPU µs/op) [min–max ops/s across rounds]; best of each row in bold.

${throughputTable(data)}
${notAvailableNotes(data)}${
  peers === ''
    ? ''
    : `
## redmoon against the best peer (issue 5)

Ratios of medians from this run; a CPU ratio below 1 means redmoon spends less client CPU per op.

${peers}
`
}
## Latency, server CPU and heap (medians across rounds)

${detailsTable(data)}

## redis-benchmark runs (same servers, every round)

${referenceRunsTable(data.references)}

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
- Each run: connect, set up, warm up (untimed: ${meta.quick ? 'a tenth of the calls' : warmUps(data.warmOps)}), \`gc()\`, then the timed calls.
  ops/s = operations / wall time. Latency: \`process.hrtime.bigint()\` around every awaited call.
  Client CPU: \`process.cpuUsage()\` (user + system, all threads, so glide's Rust threads count) / ops.
  Server CPU: utime + stime from \`/proc/<pid>/stat\` (summed over the primaries for f) / ops, at
  ${meta.clockTicks} ticks/s, so ±${formatFigure(1e3 / meta.clockTicks)} ms of server CPU per run. Heap: \`heapUsed\` after
  \`gc()\` at the end of the run, client still connected.
- redis-benchmark: \`-r 1000\` (keys over 1,000 random names), \`--csv\`; the EVALSHA runs call the same
  script. Its requests/s and latencies are its own. Where a workload is read against two runs (e: SET
  and GET alternate), the reference is their harmonic mean (mean time per request).
- Node floor: as redis-benchmark, RESP2 without HELLO; its client CPU is \`process.cpuUsage()\` per op.
- Client and servers share the machine's cores; figures from a busy machine are lower and noisier.
`;
}

/** "300,000 operations for b, c, …; 10,000 for a", from what the workers reported. */
function warmUps(warmOps = {}) {
  const byCount = new Map();
  for (const [workload, count] of Object.entries(warmOps)) {
    const base = workload.replace(/-(helper|get|set)$/, '');
    const names = byCount.get(count) ?? [];
    if (!names.includes(base)) names.push(base);
    byCount.set(count, names);
  }
  if (byCount.size === 0) return 'a tenth of the calls';
  const counts = [...byCount]
    .sort((a, b) => b[0] - a[0])
    .map(([count, names]) => `${count.toLocaleString('en-US')} operations for ${names.join(', ')}`)
    .join('; ');
  return `${counts}, so that code run once per pipeline or per turn of 100 calls is optimised, as in a long-running process; docs/performance.md, "Warm-up"`;
}

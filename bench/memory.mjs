// What commands cost in memory (issues 5 and 14). A program that prints numbers, not a test.
//
//   node --expose-gc bench/memory.mjs [--mode inflight|offline|growth|all] [--count N] [--breakdown]
//   (npm run bench:memory builds first and runs every mode)
//
//   inflight  N `client.evalsha(sha, [key], ['1'])` issued in one synchronous loop, none awaited,
//             so all N are in flight at once; heap per command, then every reply is checked.
//   offline   the same N calls queued while the server is unreachable (the client reconnecting);
//             heap per command, then the server comes back and every reply is checked.
//   growth    issue 5's check: 1M calls with 10k in flight, four times; the heap after GC must
//             not grow from the first million to the last.
//
// --breakdown (inflight, offline) also prints which kinds of object grew, per command, from two
// heap snapshots: slow, so use it with --count 20000 or so.
//
// With --mode all (the default) each mode runs in a child process of its own, so no mode
// inherits another's heap, and a summary line per mode closes the output.
//
// What "bytes per command" counts (inflight and offline): heapUsed after a full GC with all N
// commands outstanding, minus heapUsed after a full GC just before the loop, divided by N. That
// includes what the benchmark itself holds: an array of N promises, and the [key] and ['1']
// arrays it passes when the client keeps them. "net" subtracts an array of N plain pending
// promises (`new Promise(() => {})`, measured the same way in the same process): what remains
// is what redmoon adds on top of the promise a caller has to hold anyway. Garbage is not
// counted in those figures; the sampled peak (heapUsed at most, garbage included) is printed
// next to them. `external` (Buffers, socket memory; arrayBuffers is part of it) is reported
// separately. The target of issue 14: under 250 bytes per command.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Script } from 'redmoon';
import { startRedis } from 'redmoon/testing';
import { heapByKind, growth as heapGrowth } from './lib/heap-breakdown.mjs';

const MODES = ['inflight', 'offline', 'growth'];
const TARGET_BYTES = 250;
const RESULT_PREFIX = 'MEMORY_RESULT ';
const INCR_LUA = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
const KEY_COUNT = 1000;
/** Heap for the children of --mode all: 1M commands at today's ~750 B each need ~1.5 GiB at peak. */
const CHILD_HEAP_MIB = 4096;

const { values: flags } = parseArgs({
  options: {
    mode: { type: 'string', default: 'all' },
    count: { type: 'string', default: '1000000' },
    // Set by --mode all for its children: print the result as one JSON line for the summary.
    'result-line': { type: 'boolean', default: false },
    // inflight and offline: also which kinds of object the bytes are (heap snapshots; slow).
    breakdown: { type: 'boolean', default: false },
  },
});
const count = Number(flags.count);
if (!Number.isInteger(count) || count < KEY_COUNT) {
  process.stderr.write(`--count must be an integer ≥ ${KEY_COUNT}, got ${flags.count}\n`);
  process.exit(2);
}
if (flags.mode !== 'all' && !MODES.includes(flags.mode)) {
  process.stderr.write(`--mode must be one of ${[...MODES, 'all'].join(', ')}, got ${flags.mode}\n`);
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const MiB = 2 ** 20;
const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

/** Memory after full GCs: what is still reachable. */
function settledMemory() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, external, arrayBuffers };
}

/** Highest heapUsed / external / arrayBuffers seen by sample(), garbage included. */
class PeakSampler {
  heapUsed = 0;
  external = 0;
  arrayBuffers = 0;
  #timer;

  sample() {
    const { heapUsed, external, arrayBuffers } = process.memoryUsage();
    if (heapUsed > this.heapUsed) this.heapUsed = heapUsed;
    if (external > this.external) this.external = external;
    if (arrayBuffers > this.arrayBuffers) this.arrayBuffers = arrayBuffers;
  }

  /** Samples every `ms` while the event loop runs (replies being read), until stop(). */
  start(ms = 5) {
    this.#timer = setInterval(() => this.sample(), ms);
  }

  stop() {
    clearInterval(this.#timer);
    this.sample();
  }
}

/**
 * Bytes per element of an array of `count` plain pending promises, after GC: the part of the
 * figures below that any caller holding its promises pays, whatever the client.
 */
function promiseArrayBytes() {
  const before = settledMemory();
  let held = new Array(count);
  for (let i = 0; i < count; i++) held[i] = new Promise(() => {});
  const after = settledMemory();
  if (held.length !== count) throw new Error('unreachable');
  held = undefined;
  settledMemory();
  return (after.heapUsed - before.heapUsed) / count;
}

/**
 * The floor of any client that returns a promise per call and keeps each call's arguments until
 * its reply (to send it again after NOSCRIPT or a reconnect, DESIGN §3): per element, the
 * caller's pending promise, its resolving function kept by the "connection", and a copy of the
 * four EVALSHA arguments, in two flat arrays — no record of the command at all. Bytes per
 * element after GC, the caller's promise array included (comparable to the raw figure).
 */
function floorBytes(sha) {
  const before = settledMemory();
  let held = new Array(count);
  let kept = new Array(2 * count);
  for (let i = 0; i < count; i++) {
    let resolve;
    held[i] = new Promise((r) => {
      resolve = r;
    });
    kept[2 * i] = resolve;
    kept[2 * i + 1] = [sha, 1, keys[i % KEY_COUNT], '1'];
  }
  const after = settledMemory();
  if (held.length !== count || kept.length !== 2 * count) throw new Error('unreachable');
  held = kept = undefined;
  settledMemory();
  return (after.heapUsed - before.heapUsed) / count;
}

const keys = Array.from({ length: KEY_COUNT }, (_, i) => `mem:${process.pid}:${i}`);

/**
 * Issues `count` EVALSHA INCRBY calls in one synchronous loop (none awaited) and measures what
 * they hold while all are outstanding. Returns the promises and the figures.
 */
function issueAll(client, sha) {
  const peak = new PeakSampler();
  const before = settledMemory();
  // Taken after `before` and before `live`, so the figures do not count the snapshots themselves.
  const kindsBefore = flags.breakdown ? heapByKind() : undefined;
  if (kindsBefore !== undefined) settledMemory();
  peak.sample();
  const started = performance.now();
  const replies = new Array(count);
  for (let i = 0; i < count; i++) {
    replies[i] = client.evalsha(sha, [keys[i % KEY_COUNT]], ['1']);
    if (i % 50_000 === 0) peak.sample();
  }
  const issueMs = performance.now() - started;
  peak.sample();
  // Nothing was read in between: the loop never yielded, so every command is still outstanding.
  const live = settledMemory();
  if (kindsBefore !== undefined) {
    printBreakdown(heapGrowth(kindsBefore, heapByKind(), count));
    console.log("(with --breakdown the sampled peak counts the snapshots' own garbage: read it as noise)");
  }
  return { replies, before, live, peak, issueMs };
}

function printBreakdown({ rows, total }) {
  console.log(
    `heap snapshot: what grew, per command (${Math.round(total)} B in all, promise array included)`,
  );
  for (const row of rows) {
    console.log(`  ${row.bytes.toFixed(1).padStart(7)} B  ${row.count.toFixed(2).padStart(5)} ×  ${row.key}`);
  }
}

/**
 * Awaits every reply and checks it: the keys are new, so call i (the (i / KEY_COUNT + 1)th on
 * its key, in order) must answer exactly floor(i / KEY_COUNT) + 1.
 */
async function checkReplies(replies, peak) {
  peak.start();
  const started = performance.now();
  const values = await Promise.allSettled(replies);
  const seconds = (performance.now() - started) / 1e3;
  peak.stop();
  let wrong = 0;
  let firstWrong;
  for (let i = 0; i < values.length; i++) {
    const outcome = values[i];
    const expected = Math.floor(i / KEY_COUNT) + 1;
    if (outcome.status !== 'fulfilled' || Number(outcome.value) !== expected) {
      wrong++;
      firstWrong ??= `call ${i}: ${outcome.status === 'fulfilled' ? `answered ${outcome.value}, expected ${expected}` : `${outcome.reason?.code ?? ''} ${outcome.reason?.message}`}`;
    }
  }
  return { wrong, firstWrong, opsPerSec: values.length / seconds };
}

/** The figures of inflight and offline, printed and returned for the summary. */
function figures(mode, { before, live, peak, issueMs }, { promiseBytes, floor }, check) {
  const rawBytes = (live.heapUsed - before.heapUsed) / count;
  const result = {
    mode,
    count,
    rawBytes,
    promiseBytes,
    floorBytes: floor,
    netBytes: rawBytes - promiseBytes,
    peakBytes: (peak.heapUsed - before.heapUsed) / count,
    externalBytes: (live.external - before.external) / count,
    peakExternalBytes: (peak.external - before.external) / count,
    arrayBuffersBytes: (live.arrayBuffers - before.arrayBuffers) / count,
    issueMs,
    wrong: check.wrong,
    firstWrong: check.firstWrong,
    drainOpsPerSec: check.opsPerSec,
  };
  console.log(`heapUsed before ${mib(before.heapUsed)}, with all outstanding ${mib(live.heapUsed)} after GC, peak ${mib(peak.heapUsed)} (sampled, garbage included)
external before ${mib(before.external)}, with all outstanding ${mib(live.external)} (arrayBuffers ${mib(live.arrayBuffers)}), peak ${mib(peak.external)}
issued in ${Math.round(issueMs)} ms; replies read at ${Math.round(check.opsPerSec / 1e3)}k/s; ${check.wrong === 0 ? `all ${count.toLocaleString('en-US')} replies correct` : `${check.wrong} WRONG, first: ${check.firstWrong}`}
per command: heap ${Math.round(result.rawBytes)} B live (${Math.round(result.netBytes)} B net of a plain promise array at ${Math.round(promiseBytes)} B/element), peak ${Math.round(result.peakBytes)} B; external ${Math.round(result.externalBytes)} B live, peak ${Math.round(result.peakExternalBytes)} B
floor (a promise + its kept resolver + a copy of the 4 arguments, no command record): ${Math.round(floor)} B/command, target < ${TARGET_BYTES} B`);
  return result;
}

async function inflight() {
  const server = await startRedis();
  const client = new Client({ url: server.url, maxQueuedCommands: 2 * count });
  try {
    await client.connect();
    const sha = await client.scriptLoad(INCR_LUA);
    // Warm the path (JIT, buffers) on other keys so the measured loop is the steady state.
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => client.evalsha(sha, [`warm:${i % 100}`], ['1'])),
    );
    const baselines = { promiseBytes: promiseArrayBytes(), floor: floorBytes(sha) };
    console.log(`inflight: ${count.toLocaleString('en-US')} EVALSHA issued at once on one connection`);
    const issued = issueAll(client, sha);
    const check = await checkReplies(issued.replies, issued.peak);
    return figures('inflight', issued, baselines, check);
  } finally {
    await client.quit().catch(() => {});
    await server.stop();
  }
}

/**
 * A TCP forwarder in front of the server that can be shut (connections cut, the port refusing)
 * and opened again, so the client sees its server gone while the real one keeps its script cache.
 */
async function startGate(targetPort) {
  const sockets = new Set();
  const gate = createServer((downstream) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    sockets.add(downstream);
    sockets.add(upstream);
    const drop = () => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    for (const socket of [downstream, upstream]) socket.on('error', drop).on('close', drop);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  gate.listen(0, '127.0.0.1');
  await once(gate, 'listening');
  const { port } = gate.address();
  return {
    url: `redis://127.0.0.1:${port}`,
    async shut() {
      const closed = once(gate, 'close');
      gate.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async open() {
      gate.listen(port, '127.0.0.1');
      await once(gate, 'listening');
    },
    async close() {
      if (gate.listening) await this.shut();
    },
  };
}

async function offline() {
  const server = await startRedis();
  const gate = await startGate(server.port);
  const client = new Client({
    url: gate.url,
    maxQueuedCommands: 2 * count,
    // Long enough that nothing queued fails while it is measured; the server comes back well before.
    offlineTimeout: 600_000,
    reconnect: { initialDelay: 20, maxDelay: 100 },
  });
  try {
    await client.connect();
    const sha = await client.scriptLoad(INCR_LUA);
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => client.evalsha(sha, [`warm:${i % 100}`], ['1'])),
    );
    // Losing the server is the point here: its errors are expected, not reasons to stop.
    client.on('error', () => {});
    const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve));
    await gate.shut();
    await reconnecting;
    const baselines = { promiseBytes: promiseArrayBytes(), floor: floorBytes(sha) };
    console.log(
      `offline: ${count.toLocaleString('en-US')} EVALSHA queued while the server is unreachable (status ${client.status})`,
    );
    const issued = issueAll(client, sha);
    if (client.status === 'ready') throw new Error('the client reconnected while the calls were queued');
    await gate.open();
    const check = await checkReplies(issued.replies, issued.peak);
    return figures('offline', issued, baselines, check);
  } finally {
    await client.quit().catch(() => {});
    await gate.close();
    await server.stop();
  }
}

/** Issue 5's check: four millions with 10k in flight (half GET, half Script calls); heap after each. */
async function growth() {
  const IN_FLIGHT = 10_000;
  const server = await startRedis();
  const client = new Client({ url: server.url });
  const incr = Script.fromLua(INCR_LUA);
  const million = async () => {
    let issued = 0;
    const lane = async () => {
      while (issued < count) {
        const i = issued++;
        if (i & 1) await client.get(`mem:${i % KEY_COUNT}`);
        else await incr.evalshaWithReload(client, [`mem:${i % KEY_COUNT}`], [1]);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    return (count / (performance.now() - started)) * 1000;
  };
  try {
    await client.connect();
    console.log(
      `growth: ${count.toLocaleString('en-US')} calls (half GET, half Script) with ${IN_FLIGHT} in flight, 4 times`,
    );
    console.log(`heap before: ${mib(settledMemory().heapUsed)}`);
    const heaps = [];
    for (let round = 1; round <= 4; round++) {
      const rate = await million();
      const heap = settledMemory().heapUsed;
      heaps.push(heap);
      console.log(`after round ${round}: heap ${mib(heap)} (${Math.round(rate / 1000)}k ops/s)`);
    }
    const growthBytes = heaps[heaps.length - 1] - heaps[0];
    console.log(`growth from the first round to the last: ${mib(growthBytes)}`);
    return { mode: 'growth', count, growthBytes };
  } finally {
    await client.quit().catch(() => {});
    await server.stop();
  }
}

function summaryLine(result) {
  if (result.error !== undefined) return `${result.mode}: ERROR ${result.error}`;
  if (result.mode === 'growth') {
    // Some growth is noise (JIT code, lazily built tables); a leak of even one small object per
    // call would be 16 B or more per call, so "no growth" is read as under 4 B per call.
    const ok = result.growthBytes < 4 * result.count;
    return `growth: ${mib(result.growthBytes)} heap growth from round 1 to round 4 of ${result.count.toLocaleString('en-US')} calls (${(result.growthBytes / result.count).toFixed(2)} B/call) — target no growth (< 4 B/call): ${ok ? 'met' : 'NOT met'}`;
  }
  const what =
    result.mode === 'inflight'
      ? `${result.count.toLocaleString('en-US')} EVALSHA in flight`
      : `${result.count.toLocaleString('en-US')} EVALSHA queued offline`;
  const verdict = (bytes) => (bytes < TARGET_BYTES ? 'met' : 'NOT met');
  const replies =
    result.wrong === 0 ? 'all replies correct' : `${result.wrong} replies WRONG (${result.firstWrong})`;
  return `${result.mode}: ${what}: heap ${Math.round(result.rawBytes)} B/command (${verdict(result.rawBytes)}), net of the promise array ${Math.round(result.netBytes)} B/command (${verdict(result.netBytes)}) — target < ${TARGET_BYTES} B (floor of any promise-per-call client keeping its arguments: ${Math.round(result.floorBytes)} B); peak ${Math.round(result.peakBytes)} B; external ${Math.round(result.externalBytes)} B live, ${Math.round(result.peakExternalBytes)} B peak; ${replies}`;
}

const RUNNERS = { inflight, offline, growth };

/** Runs one mode in a fresh process; resolves to its result (or { mode, error }). */
function runChild(mode) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        `--max-old-space-size=${CHILD_HEAP_MIB}`,
        fileURLToPath(import.meta.url),
        '--mode',
        mode,
        '--count',
        String(count),
        '--result-line',
        ...(flags.breakdown ? ['--breakdown'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let result;
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length));
        else console.log(line);
      }
    });
    child.on('close', (code, signal) => resolve(result ?? { mode, error: `exit ${code ?? signal}` }));
  });
}

if (flags.mode === 'all') {
  const results = [];
  for (const mode of MODES) {
    results.push(await runChild(mode));
    console.log('');
  }
  console.log(`summary (${process.version}):`);
  for (const result of results) console.log(summaryLine(result));
  if (results.some((result) => result.error !== undefined || result.wrong > 0)) process.exitCode = 1;
} else {
  const result = await RUNNERS[flags.mode]();
  console.log(summaryLine(result));
  if (flags['result-line']) console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
  if (result.wrong > 0) process.exitCode = 1;
}

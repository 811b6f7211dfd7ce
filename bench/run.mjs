// The benchmark of issues 5 and 14: `npm run bench` (builds first), or `node bench/run.mjs [flags]`.
//
//   --rounds N        rounds of every workload × client (default 3)
//   --quick           a smoke run: a tenth of the operations, 1 round unless --rounds is given
//   --only a,b,...    workloads to run (names as in bench/workloads.mjs)
//   --clients x,y     clients to run (redmoon, ioredis, node-redis, glide; also ioredis-ap,
//                     redmoon-otel, and redmoon-base: the build REDMOON_BASE_ENTRY points at)
//   --write / --no-write   write docs/benchmarks.md and .svg (default: only for a full run)
//   --out DIR         write benchmarks.md and benchmarks.svg into DIR instead of docs/ (any run)
//   --save FILE       also keep the raw results as JSON; --from FILE renders them again, measuring nothing
//   --from A,B,...    renders several saved runs of the same build and clients as one, their rounds
//                     counted on (on a VM whose speed drifts, 6 rounds give steadier medians than 3)
//
// One redis-server (and a 3-primary cluster when f is selected) comes from redmoon/testing; every
// workload × client × round runs in a fresh `node bench/worker.mjs` so no client inherits
// another's JIT state, heap or sockets. In every round, right after a workload's clients, come
// the Node floors next to it (bench/floor.mjs, for a, b and c) and the redis-benchmark runs it is
// read against that have not run yet this round (lib/reference.mjs). Progress goes to stderr,
// the report to stdout.
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startCluster, startRedis } from 'redmoon/testing';
import { CLIENTS, DEFAULT_CLIENTS } from './clients/index.mjs';
import { renderChart } from './lib/chart.mjs';
import { summarizeReferences } from './lib/comparisons.mjs';
import { baseWorkload, referenceRunsFor, runReference } from './lib/reference.mjs';
import { renderReport } from './lib/report.mjs';
import { parseResultLine } from './lib/result-line.mjs';
import { spread } from './lib/stats.mjs';
import { summarize } from './lib/summary.mjs';
import { INCR_LUA, WORKLOADS } from './workloads.mjs';

const execFileAsync = promisify(execFile);
const ROOT = new URL('../', import.meta.url);
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor.mjs', import.meta.url));
/**
 * The Node floor's modes next to each workload that has them (helper variants share their
 * base's): the raw socket (`node-floor`) and the least DESIGN's contract lets a client do per
 * call (`node-floor-contract`).
 */
const FLOOR_MODES = {
  a: ['sequential'],
  b: ['concurrent-contract'],
  c: ['pipeline', 'pipeline-contract'],
};
const FLOOR_CLIENTS = ['node-floor', 'node-floor-contract'];
const WORKER_TIMEOUT_MS = 180_000;
const STDERR_TAIL = 600;

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    clients: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean' },
    out: { type: 'string' },
    save: { type: 'string' },
    from: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (flags.help) {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const usage = source
    .split('\n')
    .slice(0, 11)
    .map((line) => line.replace(/^\/\/ ?/, ''));
  process.stdout.write(`${usage.join('\n')}\n`);
  process.exit(0);
}

function listFlag(text, known, what) {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown ${what}: ${unknown.join(', ')} (known: ${known.join(', ')})\n`);
    process.exit(2);
  }
  return names;
}

const onlyNames = listFlag(
  flags.only,
  WORKLOADS.map((work) => work.name),
  'workload',
);
const workloads = onlyNames ? WORKLOADS.filter((work) => onlyNames.includes(work.name)) : WORKLOADS;
const clients = listFlag(flags.clients, Object.keys(CLIENTS), 'client') ?? DEFAULT_CLIENTS;
const rounds = flags.rounds !== undefined ? Number(flags.rounds) : flags.quick ? 1 : 3;
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(`--rounds must be a positive integer, got ${flags.rounds}\n`);
  process.exit(2);
}
const fullRun =
  !flags.quick && onlyNames === undefined && flags.clients === undefined && flags.from === undefined;
const write = flags.out !== undefined || (flags['no-write'] ? false : (flags.write ?? fullRun));
const outDir = flags.out === undefined ? new URL('docs/', ROOT) : new URL(`${resolve(flags.out)}/`, 'file:');

function log(message) {
  process.stderr.write(`${message}\n`);
}

function packageVersion(pkg) {
  const path = pkg === 'redmoon' ? 'package.json' : `node_modules/${pkg}/package.json`;
  try {
    return JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')).version;
  } catch {
    return '?';
  }
}

/**
 * Copies the built ESM package to a temp dir for the workers to import, so every round measures
 * the same build even when someone runs `npm run build` (which empties dist/) during the run.
 * Returns the copy's entry point and dir.
 */
function snapshotBuild() {
  const built = new URL('dist/esm/', ROOT);
  if (!existsSync(new URL('index.js', built))) {
    throw new Error('dist/esm/index.js is missing: run `npm run build` (npm run bench does) first');
  }
  // Inside the repository (.tmp/ is ignored), so the copy resolves the repository's node_modules
  // (redmoon/otel imports @opentelemetry/api).
  mkdirSync(fileURLToPath(new URL('.tmp/', ROOT)), { recursive: true });
  const dir = mkdtempSync(join(fileURLToPath(new URL('.tmp/', ROOT)), 'bench-'));
  cpSync(built, join(dir, 'esm'), { recursive: true });
  // The ES build's error classes are the CommonJS build's (one set of classes for both).
  cpSync(new URL('dist/cjs/', ROOT), join(dir, 'cjs'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return { entry: join(dir, 'esm', 'index.js'), dir };
}

async function redisCli(port, ...args) {
  const { stdout } = await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

/** total_commands_processed summed over `ports`; undefined when INFO cannot be read. */
async function commandsProcessed(ports) {
  try {
    let total = 0;
    for (const port of ports) {
      total += Number(/total_commands_processed:(\d+)/.exec(await redisCli(port, 'INFO', 'stats'))[1]);
    }
    return total;
  } catch {
    return undefined;
  }
}

/**
 * Runs one worker and checks the server really ran at least `ops` commands meanwhile, so a
 * client that resolved without sending cannot look fast. Resolves to the result or { error }.
 */
async function measure(run) {
  const ports = run.target.map((node) => node.port);
  const before = await commandsProcessed(ports);
  const result = await runWorker(run);
  const after = await commandsProcessed(ports);
  if (result.opsPerSec !== undefined && before !== undefined && after !== undefined) {
    result.serverCommands = after - before;
    if (result.serverCommands < result.ops) {
      return {
        client: result.client,
        workload: result.workload,
        error: `the server processed ${result.serverCommands} commands for ${result.ops} ops`,
      };
    }
  }
  return result;
}

/**
 * Runs one worker (or, with `floor` set to its mode, bench/floor.mjs); resolves to its result,
 * or to { error } — never rejects.
 */
function runWorker({ client, workload, target, ops, warmOps, entry, floor }) {
  return new Promise((resolve) => {
    const urls = target.map((node) => node.url).join(',');
    const options = ['--pids', target.map((node) => node.pid).join(',')];
    if (warmOps !== undefined) options.push('--warm', String(warmOps));
    const args =
      floor === undefined
        ? ['--expose-gc', WORKER, client, workload, urls, String(ops), ...options]
        : [FLOOR, floor, urls, String(ops), ...options];
    const env = { ...process.env, REDMOON_BENCH_ENTRY: entry };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ client, workload, error: `could not start the worker: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let result;
      try {
        result = parseResultLine(stdout);
      } catch (error) {
        result = { error: `unreadable result: ${error.message}` };
      }
      if (result === undefined) {
        const why =
          signal === 'SIGKILL' ? `timed out after ${WORKER_TIMEOUT_MS / 1000} s` : `exit ${code ?? signal}`;
        const lastLine = stderr.trim().split('\n').pop() ?? '';
        result = { error: `${why}${lastLine ? `: ${lastLine.slice(0, 160)}` : ''}` };
      }
      resolve({ ...result, client, workload });
    });
  });
}

function describe(result) {
  if (result.na !== undefined) return `n/a (${result.na})`;
  if (result.error !== undefined) return `ERROR ${result.error}`;
  return `${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s, ${result.clientCpuUsPerOp.toFixed(2)} µs CPU/op, p50 ${result.p50Us.toFixed(0)} µs, ${result.serverCommands ?? '?'} server commands`;
}

async function main() {
  if (flags.from !== undefined) {
    await render(mergeRuns(flags.from.split(',').map((file) => JSON.parse(readFileSync(file, 'utf8')))));
    return;
  }
  const results = [];
  const floorResults = [];
  const referenceRows = [];
  let redisVersion = '?';
  let server;
  let cluster;
  let clusterError;
  const started = new Date();
  const loadAverage = os.loadavg()[0].toFixed(2);
  const build = snapshotBuild();
  try {
    server = await startRedis();
    log(`redis-server ${server.url} (pid ${server.pid})`);
    if (workloads.some((work) => work.cluster)) {
      try {
        cluster = await startCluster({ primaries: 3 });
        log(`cluster ${cluster.primaries.map((node) => node.url).join(', ')}`);
      } catch (error) {
        clusterError = `cluster did not start: ${error.message.split('\n')[0]}`;
        log(clusterError);
      }
    }
    redisVersion = /redis_version:(\S+)/.exec(await redisCli(server.port, 'INFO', 'server'))?.[1] ?? '?';
    // Loaded here too, so a client whose own SCRIPT LOAD reaches only some primaries still runs.
    const sha = await redisCli(server.port, 'SCRIPT', 'LOAD', INCR_LUA);
    for (const node of cluster?.primaries ?? []) await redisCli(node.port, 'SCRIPT', 'LOAD', INCR_LUA);

    const totalRuns = rounds * workloads.length * clients.length;
    let runIndex = 0;
    for (let round = 0; round < rounds; round++) {
      // Rotating the order each round spreads any drift (thermal, other load) across clients.
      const order = clients.map((_, index) => clients[(index + round) % clients.length]);
      const doneThisRound = new Set();
      for (const work of workloads) {
        for (const client of order) {
          runIndex++;
          const prefix = `[${runIndex}/${totalRuns}] round ${round + 1} ${work.name} ${client}:`;
          if (work.cluster && cluster === undefined) {
            results.push({ client, workload: work.name, round, error: clusterError ?? 'no cluster' });
            log(`${prefix} ERROR ${clusterError}`);
            continue;
          }
          const result = await measure({
            client,
            workload: work.name,
            target: work.cluster ? cluster.primaries : [server],
            ops: flags.quick ? work.quickOps : work.ops,
            warmOps: flags.quick ? undefined : work.warmOps,
            entry: build.entry,
          });
          results.push({ ...result, round });
          log(`${prefix} ${describe(result)}`);
        }
        // What the workload is read against, next to it in time: the Node floor and the
        // redis-benchmark runs (each once per round, with the first workload that uses it).
        const base = baseWorkload(work.name);
        for (const floorMode of FLOOR_MODES[base] ?? []) {
          if (doneThisRound.has(`floor ${floorMode}`)) continue;
          doneThisRound.add(`floor ${floorMode}`);
          const result = await measure({
            client: floorMode.endsWith('-contract') ? 'node-floor-contract' : 'node-floor',
            workload: base,
            target: [server],
            ops: flags.quick ? work.quickOps : work.ops,
            warmOps: flags.quick ? undefined : work.warmOps,
            floor: floorMode,
          });
          floorResults.push({ ...result, round });
          log(`round ${round + 1} ${base} Node floor (${floorMode}): ${describe(result)}`);
        }
        for (const reference of referenceRunsFor(work.name)) {
          if (doneThisRound.has(reference.id)) continue;
          doneThisRound.add(reference.id);
          const rows = await runReference(reference, {
            port: server.port,
            clusterPort: cluster?.primaries[0].port,
            sha,
            quick: flags.quick,
          });
          for (const row of rows) {
            referenceRows.push({ ...row, round });
            const figure =
              row.error === undefined
                ? `${Math.round(row.rps).toLocaleString('en-US')} req/s, p50 ${row.p50Us.toFixed(0)} µs`
                : `ERROR ${row.error}`;
            log(`round ${round + 1} redis-benchmark ${row.label}: ${figure}`);
          }
        }
      }
    }
  } finally {
    await Promise.allSettled([cluster?.stop(), server?.stop()]);
    rmSync(build.dir, { recursive: true, force: true });
  }

  const cpus = os.cpus();
  const raw = {
    workloadNames: workloads.map((work) => work.name),
    clients,
    results,
    floorResults,
    referenceRows,
    meta: {
      cpuModel: cpus[0]?.model?.trim() ?? 'unknown CPU',
      cores: cpus.length,
      memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAverage,
      loadDuring: spread(results.map((result) => result.loadAverage)),
      node: process.versions.node,
      redis: redisVersion,
      versions: Object.fromEntries(clients.map((client) => [client, packageVersion(CLIENTS[client].pkg)])),
      date: `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      rounds,
      quick: flags.quick,
      clockTicks: await clockTicks(),
      command: ['node bench/run.mjs', ...process.argv.slice(2)].join(' '),
    },
  };
  if (flags.save !== undefined) {
    writeFileSync(flags.save, `${JSON.stringify(raw)}\n`);
    log(`raw results saved to ${flags.save}`);
  }
  await render(raw);
}

/** One raw run from several saved ones (same workloads and clients): rows appended, rounds counted on. */
function mergeRuns(runs) {
  if (runs.length === 1) return runs[0];
  const [first] = runs;
  for (const run of runs) {
    if (
      run.clients.join() !== first.clients.join() ||
      run.workloadNames.join() !== first.workloadNames.join()
    ) {
      throw new Error('--from: the runs differ in clients or workloads; only runs of one command merge');
    }
  }
  const merged = { ...first, results: [], floorResults: [], referenceRows: [] };
  let rounds = 0;
  for (const run of runs) {
    for (const key of ['results', 'floorResults', 'referenceRows']) {
      merged[key].push(...run[key].map((row) => ({ ...row, round: (row.round ?? 0) + rounds })));
    }
    rounds += run.meta.rounds;
  }
  merged.meta = {
    ...first.meta,
    rounds,
    date: runs.map((run) => run.meta.date).join(' and '),
    loadDuring: spread(merged.results.map((result) => result.loadAverage)),
    command: `${runs.map((run) => run.meta.command).join('` and `')}\`, rendered as one with \`--from`,
  };
  return merged;
}

const PROTOCOLS = {
  redmoon: 'redmoon RESP3 (default)',
  'redmoon-base': 'redmoon-base RESP3 (default)',
  'redmoon-otel': 'redmoon-otel RESP3 (default)',
  ioredis: 'ioredis RESP2 (only)',
  'ioredis-ap': 'ioredis-ap RESP2',
  'node-redis': 'node-redis RESP2 (default)',
  glide: 'glide RESP3 (default)',
};

/** Folds raw results (just measured, or saved with --save) into the report and the chart. */
async function render(raw) {
  const { clients, meta } = raw;
  const data = {
    workloads: raw.workloadNames.map((name) => WORKLOADS.find((work) => work.name === name)).filter(Boolean),
    clients,
    labels: Object.fromEntries(clients.map((client) => [client, CLIENTS[client]?.label ?? client])),
    cells: summarize(raw.results, raw.workloadNames, clients),
    references: summarizeReferences(raw.referenceRows),
    floors: summarize(raw.floorResults, Object.keys(FLOOR_MODES), FLOOR_CLIENTS),
    // What each workload warmed up on, as its workers reported it (runs saved before it: none).
    warmOps: Object.fromEntries(
      raw.results
        .filter((result) => result.warmOps !== undefined)
        .map((result) => [result.workload, result.warmOps]),
    ),
    meta: { ...meta, protocols: clients.map((client) => PROTOCOLS[client] ?? client).join(', ') },
  };
  const chartFile = 'benchmarks.svg';
  const report = renderReport(data, { chartFile: write ? chartFile : undefined });
  process.stdout.write(report);
  if (write) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(new URL('benchmarks.md', outDir), report);
    writeFileSync(new URL(chartFile, outDir), renderChart(data));
    log(`wrote ${fileURLToPath(new URL('benchmarks.md', outDir))} and ${chartFile}`);
  } else {
    log('docs/ not written (partial or quick run; pass --write to write anyway)');
  }
}

async function clockTicks() {
  try {
    return Number((await execFileAsync('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
  } catch {
    return 100;
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});

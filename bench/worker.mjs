// One measured run in a fresh process:
//   node --expose-gc bench/worker.mjs <client> <workload> <url[,url...]> <ops> [--pids p1,p2] [--warm ops]
// Connects, sets up, warms up (`--warm` operations, else 10% of the calls), then times `ops`
// operations and prints one line,
// `BENCH_RESULT {json}`, on stdout. Anything else a client prints is ignored by run.mjs.

import { CLIENTS, NotAvailable } from './clients/index.mjs';
import { flagValue, measuredFigures, warmCalls as warmCallsFor } from './lib/measured.mjs';
import { cpuMicros } from './lib/proc.mjs';
import { formatResultLine } from './lib/result-line.mjs';
import { workload as findWorkload, INCR_LUA } from './workloads.mjs';

const [clientName, workloadName, urlList, opsText, ...rest] = process.argv.slice(2);
const serverPids = (flagValue(rest, '--pids') ?? '').split(',').filter(Boolean).map(Number);
const warmOps = flagValue(rest, '--warm');

function report(result) {
  const line = formatResultLine({ client: clientName, workload: workloadName, ...result });
  // Exit only once the line is out: some clients keep handles open after quit.
  process.stdout.write(line, () => process.exit(0));
}

function fail(error) {
  if (error instanceof NotAvailable) return report({ na: error.message });
  report({
    error: String(error?.message ?? error)
      .split('\n')[0]
      .slice(0, 200),
  });
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

/** Runs `calls` calls of `op`, `concurrency` at a time; latency of call i, in ns, into latencies[i]. */
async function drive(op, calls, concurrency, latencies) {
  let next = 0;
  async function lane() {
    while (next < calls) {
      const index = next++;
      const started = process.hrtime.bigint();
      await op(index);
      latencies[index] = Number(process.hrtime.bigint() - started);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, lane));
}

async function main() {
  if (typeof global.gc !== 'function') throw new Error('run the worker with node --expose-gc');
  const spec = CLIENTS[clientName];
  if (spec === undefined) throw new Error(`unknown client ${clientName}`);
  const work = findWorkload(workloadName);
  const ops = Number(opsText);
  const opsPerCall = work.opsPerCall ?? 1;
  const calls = Math.max(1, Math.round(ops / opsPerCall));

  const adapter = await import(new URL(`./clients/${spec.module.slice(2)}`, import.meta.url));
  const client = await adapter.connect({
    urls: urlList.split(','),
    cluster: work.cluster === true,
    lua: INCR_LUA,
    variant: clientName,
  });
  try {
    if (work.needs !== undefined && typeof client[work.needs] !== 'function') {
      throw new NotAvailable(`${spec.label} has no ${work.needs}`);
    }
    const op = await work.setup(client);

    const warmCalls = warmCallsFor(calls, opsPerCall, warmOps === undefined ? undefined : Number(warmOps));
    await drive(op, warmCalls, work.concurrency, new Float64Array(warmCalls));
    global.gc();

    const latencies = new Float64Array(calls);
    const serverBefore = cpuMicros(serverPids);
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await drive(op, calls, work.concurrency, latencies);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = cpuMicros(serverPids);

    global.gc();
    const heapUsed = process.memoryUsage().heapUsed;
    latencies.sort();
    report({
      ...measuredFigures({
        calls,
        perCall: opsPerCall,
        seconds,
        latencies,
        cpu,
        serverBefore,
        serverAfter,
        heapUsed,
      }),
      warmOps: warmCalls * opsPerCall,
    });
  } finally {
    await Promise.resolve(client.quit()).catch(() => {});
  }
}

main().catch(fail);

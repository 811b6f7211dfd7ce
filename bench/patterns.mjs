// redmoon/patterns against the packages people reach for instead, in one run against one
// throwaway redis-server: rate-limiter checks per second (rate-limiter-flexible 11.4.0, on
// ioredis) and lock acquire+release pairs per second (redlock 5.0.0-beta.2, on ioredis).
// Every case runs with 1 caller (round-trip bound) and with 50 concurrent callers, over 10 000
// resource names so nothing contends; implementations alternate within each round and the table
// shows the median of the rounds, with client CPU µs per operation at 50 callers.
//
//   npm run bench:patterns                  (builds first)
//   node bench/patterns.mjs --rounds 5 --seconds 2
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import Redlock from 'redlock';
import { Client } from 'redmoon';
import {
  FixedWindowLimiter,
  Lock,
  SlidingLogLimiter,
  SlidingWindowLimiter,
  TokenBucketLimiter,
} from 'redmoon/patterns';
import { startRedis } from 'redmoon/testing';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const ROUNDS = option('rounds', 3);
const SECONDS = option('seconds', 1.2);
const WARMUP_SECONDS = 0.3;
const NAMES = 10_000;
const CONCURRENCY = [1, 50];
const BIG = 1_000_000_000; // limits no bench caller reaches: every check is admitted

/** Each implementation: a name, a group, and how to set it up (returning `op(name)` and `close()`). */
const IMPLEMENTATIONS = [
  {
    group: 'limiter',
    name: 'redmoon FixedWindowLimiter',
    async setup(url) {
      const client = await redmoonClient(url);
      const limiter = new FixedWindowLimiter({ limit: BIG, window: 60_000 });
      return { op: (name) => limiter.check(client, name), close: () => client.quit() };
    },
  },
  {
    group: 'limiter',
    name: 'redmoon SlidingWindowLimiter',
    async setup(url) {
      const client = await redmoonClient(url);
      const limiter = new SlidingWindowLimiter({ limit: BIG, window: 60_000 });
      return { op: (name) => limiter.check(client, name), close: () => client.quit() };
    },
  },
  {
    group: 'limiter',
    name: 'redmoon TokenBucketLimiter',
    async setup(url) {
      const client = await redmoonClient(url);
      const limiter = new TokenBucketLimiter({ limit: BIG, window: 60_000 });
      return { op: (name) => limiter.check(client, name), close: () => client.quit() };
    },
  },
  {
    group: 'limiter',
    name: 'redmoon SlidingLogLimiter',
    async setup(url) {
      const client = await redmoonClient(url);
      // A log holds one entry per admission in the window: a short window keeps it small.
      const limiter = new SlidingLogLimiter({ limit: BIG, window: 1000 });
      return { op: (name) => limiter.check(client, name), close: () => client.quit() };
    },
  },
  ...[false, true].map((autoPipelining) => ({
    group: 'limiter',
    name: `rate-limiter-flexible RateLimiterRedis (ioredis${autoPipelining ? ', auto-pipelining' : ''})`,
    async setup(url) {
      const client = await ioredisClient(url, autoPipelining);
      const limiter = new RateLimiterRedis({
        storeClient: client,
        points: BIG,
        duration: 60,
        keyPrefix: 'rlf',
      });
      return { op: (name) => limiter.consume(name), close: () => client.quit() };
    },
  })),
  {
    group: 'lock',
    name: 'redmoon Lock (tryAcquire + release)',
    async setup(url) {
      const client = await redmoonClient(url);
      const lock = new Lock({ lease: 10_000 });
      return {
        async op(name) {
          const lease = await lock.tryAcquire(client, name);
          if (lease === null || !(await lease.release())) throw new Error('the lock was contended');
        },
        close: () => client.quit(),
      };
    },
  },
  ...[false, true].map((autoPipelining) => ({
    group: 'lock',
    name: `redlock (acquire + release, ioredis${autoPipelining ? ', auto-pipelining' : ''})`,
    async setup(url) {
      const client = await ioredisClient(url, autoPipelining);
      const redlock = new Redlock([client], { retryCount: 0 });
      return {
        async op(name) {
          const lock = await redlock.acquire([`redlock:${name}`], 10_000);
          await lock.release();
        },
        close: () => client.quit(),
      };
    },
  })),
];

async function redmoonClient(url) {
  const client = new Client({ url });
  await client.connect();
  return client;
}

async function ioredisClient(url, enableAutoPipelining) {
  const { hostname, port } = new URL(url);
  const client = new Redis({ host: hostname, port: Number(port), lazyConnect: true, enableAutoPipelining });
  await client.connect();
  return client;
}

/** Runs `op` from `callers` concurrent loops for `seconds`; resolves to ops/s and CPU µs per op. */
async function measure(op, callers, seconds) {
  let ops = 0;
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        await op(`n${next++ % NAMES}`);
        ops++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { opsPerSecond: ops / elapsed, cpuMicrosPerOp: (cpu.user + cpu.system) / ops };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const fmt = (n) =>
  n >= 100_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);

const server = await startRedis();
const results = new Map(IMPLEMENTATIONS.map((impl) => [impl.name, new Map()]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const callers of CONCURRENCY) {
      for (const impl of IMPLEMENTATIONS) {
        const { op, close } = await impl.setup(server.url);
        await measure(op, callers, WARMUP_SECONDS);
        const result = await measure(op, callers, SECONDS);
        await close();
        const list = results.get(impl.name).get(callers) ?? [];
        list.push(result);
        results.get(impl.name).set(callers, list);
        process.stderr.write(
          `round ${round}/${ROUNDS}, ${callers} caller(s): ${impl.name}: ${fmt(result.opsPerSecond)} ops/s\n`,
        );
      }
    }
  }
} finally {
  await server.stop();
}

const version = process.version;
console.log(
  `\nredmoon/patterns benchmark: Node ${version}, one redis-server on loopback, median of ${ROUNDS} round(s) of ${SECONDS} s`,
);
for (const group of ['limiter', 'lock']) {
  const unit = group === 'limiter' ? 'checks/s' : 'acquire+release/s';
  console.log(
    `\n| ${group === 'limiter' ? 'rate limiter' : 'lock'} | 1 caller, ${unit} | 50 callers, ${unit} | CPU µs/op at 50 |`,
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const impl of IMPLEMENTATIONS.filter((candidate) => candidate.group === group)) {
    const byCallers = results.get(impl.name);
    const one = median(byCallers.get(1).map((r) => r.opsPerSecond));
    const fifty = median(byCallers.get(50).map((r) => r.opsPerSecond));
    const cpu = median(byCallers.get(50).map((r) => r.cpuMicrosPerOp));
    console.log(`| ${impl.name} | ${fmt(one)} | ${fmt(fifty)} | ${cpu.toFixed(1)} |`);
  }
}

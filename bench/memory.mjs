// Issue 5's memory check: 1M commands issued with 10k in flight must leave no heap growth after
// GC. Prints the heap after a warm-up million and after each further million.
//
//   node --expose-gc bench/memory.mjs        (npm run bench:memory builds first)
import { Client, Script } from 'redmoon';
import { startRedis } from 'redmoon/testing';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const TOTAL = 1_000_000;
const IN_FLIGHT = 10_000;

const heapMiB = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const server = await startRedis();
const client = new Client({ url: server.url });
await client.connect();
const incr = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");

/** Keeps IN_FLIGHT calls outstanding until TOTAL were issued (half GET, half script calls). */
async function million() {
  let issued = 0;
  const lane = async () => {
    while (issued < TOTAL) {
      const i = issued++;
      if (i & 1) await client.get(`mem:${i % 1000}`);
      else await incr.evalshaWithReload(client, [`mem:${i % 1000}`], [1]);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return (TOTAL / (performance.now() - started)) * 1000;
}

try {
  const baseline = heapMiB();
  console.log(`heap before: ${baseline.toFixed(1)} MiB`);
  const heaps = [];
  for (let round = 1; round <= 4; round++) {
    const rate = await million();
    const heap = heapMiB();
    heaps.push(heap);
    console.log(
      `after million ${round}: heap ${heap.toFixed(1)} MiB (${Math.round(rate / 1000)}k ops/s, ${IN_FLIGHT} in flight)`,
    );
  }
  const growth = heaps[heaps.length - 1] - heaps[0];
  console.log(`growth from the first to the last million: ${growth.toFixed(2)} MiB`);
} finally {
  await client.quit();
  await server.stop();
}

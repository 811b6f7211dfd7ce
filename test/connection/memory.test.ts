import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { forEachProtocol, uniqueKey } from '../helpers.js';

setFlagsFromString('--expose-gc');
const gc = (globalThis.gc ?? runInNewContext('gc')) as () => void;

function settledHeap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

forEachProtocol((redis) => {
  test('100k commands in flight at once all complete, in order, and leave no heap growth', async () => {
    const key = uniqueKey();
    await redis.client.set(key, 'x'.repeat(32));
    const round = async () => {
      const calls: Array<Promise<unknown>> = [];
      for (let i = 0; i < 100_000; i++)
        calls.push(i % 2 === 0 ? redis.client.get(key) : redis.client.incr(`${key}:n`));
      const results = await Promise.all(calls);
      // Replies are matched FIFO: every INCR saw exactly the count before it.
      const counts = results.filter((value) => typeof value === 'number') as number[];
      for (let i = 1; i < counts.length; i++) assert.equal(counts[i], counts[i - 1] + 1);
      assert.equal(results[0], 'x'.repeat(32));
    };
    // Warm up (JIT, queue capacity), then the heap must not trend upward round after round.
    await round();
    const heaps: number[] = [];
    for (let i = 0; i < 3; i++) {
      await round();
      heaps.push(settledHeap());
    }
    const growth = heaps[heaps.length - 1] - Math.min(...heaps.slice(0, -1));
    const shown = heaps.map((heap) => (heap / 1024 / 1024).toFixed(1)).join(', ');
    assert.ok(growth < 4 * 1024 * 1024, `heap after each round of 100k: ${shown} MiB`);
  });
});

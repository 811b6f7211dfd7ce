import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from '../../src/index.js';
import { type FaultProxy, startFaultProxy } from '../../src/testing/index.js';
import { uniqueKey, useProxiedServer } from '../helpers.js';
import { faultMix, type LoadFigures, type LoadTarget, runIncrLoad } from './incr-load.js';

// Issue 9: at most once under resets, cuts, stalls and blackholes, checked against the server.
// Default runs take a few seconds each; REDMOON_SOAK=1 runs each for a minute.

const SOAK = process.env.REDMOON_SOAK === '1';
const DURATION_MS = SOAK ? 60_000 : 2_500;
const WORKERS = SOAK ? 50 : 24;

/** Fast reconnects and a command timeout, so blackholed and stalled calls end. */
const CLIENT_OPTIONS = {
  reconnect: { initialDelay: 5, maxDelay: 50 },
  commandTimeout: 1_500,
  connectTimeout: 1_000,
} as const;

function report(name: string, figures: LoadFigures, proxy: FaultProxy): void {
  const injected = Object.entries(proxy.counters.injected)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  process.stdout.write(
    `# fault load (${name}): ${figures.operations} operations (${Object.entries(figures.byKind)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(
        ', ',
      )}); ${figures.acknowledged} increments acknowledged, ${figures.maybeFailures} may-have-run ` +
      `failures, ${figures.notRunFailures} did-not-run failures; ${figures.errorEvents} 'error' events; ` +
      `faults injected: ${injected}; ${proxy.counters.connections} connections; ` +
      `${figures.invariantChecks} invariant checks, ${figures.violations.length} violated\n`,
  );
}

const REQUIRED_FAULTS = ['reset', 'cut-request', 'close-mid-reply', 'delay', 'blackhole'] as const;

/** The run goes on (up to 4× its length) until every required fault hit it at least once. */
const everyFaultSeen = (proxy: FaultProxy) => () =>
  REQUIRED_FAULTS.every((kind) => proxy.counters.injected[kind] > 0);

function check(figures: LoadFigures, proxy: FaultProxy): void {
  assert.deepEqual(figures.violations, [], 'DESIGN §3 held for every counter and tagged operation');
  assert.deepEqual(figures.untyped, [], 'every failure and error event was typed');
  // The run proves something only if faults did hit it and work still got done.
  const injected = proxy.counters.injected;
  assert.ok(figures.acknowledged > 100, `only ${figures.acknowledged} increments acknowledged`);
  assert.ok(figures.maybeFailures > 0, 'some operations were lost in flight');
  for (const kind of REQUIRED_FAULTS) {
    assert.ok(injected[kind] > 0, `no ${kind} was injected`);
  }
}

describe('Scripted INCR load through the fault proxy, standalone', () => {
  const context = useProxiedServer(1, CLIENT_OPTIONS);

  test('no increment is lost or applied twice, and no "did not run" failure ran', async () => {
    const { client, proxy, reader } = context;
    const figures = await runIncrLoad({
      target: client as unknown as LoadTarget,
      proxy,
      reader: reader as unknown as LoadTarget,
      prefix: uniqueKey('load'),
      durationMs: DURATION_MS,
      maxDurationMs: 4 * DURATION_MS,
      enough: everyFaultSeen(proxy),
      workers: WORKERS,
      counterCount: 16,
      rules: faultMix(),
    });
    report('standalone', figures, proxy);
    check(figures, proxy);
    assert.equal(await client.ping(), 'PONG');
  });
});

describe('Scripted INCR load through the fault proxy, on a cluster', () => {
  let proxy: FaultProxy;
  let cluster: Cluster;
  before(async () => {
    proxy = await startFaultProxy({ cluster: { primaries: 3 }, seed: 2 });
    cluster = new Cluster({ nodes: proxy.urls, ...CLIENT_OPTIONS });
    await cluster.connect();
  });
  after(async () => {
    cluster.disconnect();
    await proxy.stop();
  });

  test('no increment is lost or applied twice, and no "did not run" failure ran', async () => {
    const figures = await runIncrLoad({
      target: cluster as unknown as LoadTarget,
      proxy,
      reader: cluster as unknown as LoadTarget,
      prefix: uniqueKey('load'),
      durationMs: DURATION_MS,
      maxDurationMs: 4 * DURATION_MS,
      enough: everyFaultSeen(proxy),
      workers: WORKERS,
      counterCount: 24,
      rules: faultMix(),
    });
    report('cluster', figures, proxy);
    check(figures, proxy);
    assert.equal(await cluster.incr(uniqueKey()), 1);
  });
});

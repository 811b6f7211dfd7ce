import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { Client, type Cluster, ConnectionError } from '../../src/index.js';
import { ExpiringCounter } from '../../src/patterns/index.js';
import { PROTOCOLS, sleep, uniqueKey } from '../helpers.js';
import { SOAK } from './properties.js';

// Callers killed between calls: child processes incrementing counters are sent SIGKILL at a random
// moment, and a client's connection is destroyed with increments in flight. Afterwards every
// counter key must have an expiry. A control runs the same kill against the naive two-command
// version (INCR, then PEXPIRE) to show the check sees the failure this pattern exists to prevent.

/**
 * Where a child process connects, and how to list keys on every node. The harness covers both
 * protocols itself (children and victims alternate RESP2 and RESP3), so it runs once per topology.
 */
export interface KillContext {
  /** A connected client of either protocol, to read the keys back. */
  readonly target: Client | Cluster;
  /** `{ url }` for a server, `{ urls }` for a cluster. */
  readonly connectTo: { url: string } | { urls: string[] };
  /** Every key matching `pattern`, on every node that holds keys. */
  keysMatching(pattern: string): Promise<string[]>;
}

const CHILD = `
const config = JSON.parse(process.env.REDMOON_KILL_CONFIG);
const { Client, Cluster } = await import(config.core);
const { ExpiringCounter } = await import(config.patterns);
const client = config.urls ? new Cluster({ nodes: config.urls, resp: config.resp }) : new Client({ url: config.url, resp: config.resp });
await client.connect();
const counter = new ExpiringCounter({ ttl: 60000, prefix: config.atomic });
let n = 0;
let atomic = 0;
// Half the workers use the pattern, half the naive two-command version of it.
await Promise.all(Array.from({ length: 20 }, async (_, worker) => {
  for (;;) {
    const name = 'c' + process.pid + ':' + n++;
    if (worker % 2 === 1) {
      const key = config.naive + '{' + name + '}';
      await client.incr(key);
      // What an application does between the two calls (a log line, a check, an await elsewhere),
      // for a time of its own per worker: with one time for all, the workers move in step, and on
      // a busy machine the kill often lands when none of them stands between the two calls.
      await new Promise((resolve) => setTimeout(resolve, worker));
      await client.pexpire(key, 60000);
    } else {
      await counter.incr(client, name);
      // Ready once it made that many counters with the pattern: the kill then lands mid-run after
      // a known amount of work, however slowly a loaded machine let it start.
      if (++atomic === config.readyAfter) process.stdout.write('ready\\n');
    }
  }
}));
`;

/** Child processes killed per run. */
const CHILDREN = SOAK ? 8 : 2;

/** Counters each child makes with the pattern before it may be killed. */
const READY_AFTER = 20;

/** How long a child may take to connect and make its first counters. */
const READY_WITHIN_MS = 30_000;

interface KillRun {
  /** Prefix of the counters made with ExpiringCounter. */
  atomic: string;
  /** Prefix of the counters made with INCR, then PEXPIRE. */
  naive: string;
}

/** Runs `children` processes incrementing fresh counters both ways, and SIGKILLs each mid-run. */
async function killChildren(context: KillContext, children = CHILDREN): Promise<KillRun> {
  const run = { atomic: `${uniqueKey('killed')}:`, naive: `${uniqueKey('naive')}:` };
  await Promise.all(
    Array.from({ length: children }, async (_, index) => {
      const config = JSON.stringify({
        ...context.connectTo,
        resp: PROTOCOLS[index % 2],
        readyAfter: READY_AFTER,
        ...run,
        core: new URL('../../src/index.js', import.meta.url).href,
        patterns: new URL('../../src/patterns/index.js', import.meta.url).href,
      });
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
        env: { ...process.env, REDMOON_KILL_CONFIG: config },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        const late = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the child was not ready within ${READY_WITHIN_MS} ms`));
        }, READY_WITHIN_MS);
        child.stdout.once('data', () => {
          clearTimeout(late);
          resolve();
        });
        child.once('exit', (code) => {
          clearTimeout(late);
          reject(new Error(`the child exited (${code}) before it was ready`));
        });
      });
      await sleep(50 + Math.random() * 150);
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
    }),
  );
  return run;
}

async function keysWithoutExpiry(context: KillContext, keys: string[]): Promise<string[]> {
  const ttls = await Promise.all(keys.map((key) => context.target.pttl(key)));
  return keys.filter((_, index) => ttls[index] < 0);
}

export function counterKillProperties(context: KillContext): void {
  // One run of killed children serves both tests (starting Node processes is the slow part).
  let killed: Promise<KillRun> | undefined;
  const killRun = () => {
    killed ??= killChildren(context);
    return killed;
  };

  test('every counter has an expiry after callers are killed with SIGKILL mid-run', async () => {
    const keys = await context.keysMatching(`${(await killRun()).atomic}*`);
    // Each child made READY_AFTER of them before its kill, however slow the machine.
    assert.ok(keys.length >= CHILDREN * READY_AFTER, `${keys.length} counters were made`);
    assert.deepEqual(await keysWithoutExpiry(context, keys), []);
  });

  test('control: the same kill leaves naive INCR-then-PEXPIRE counters without expiry', async () => {
    const keys = await context.keysMatching(`${(await killRun()).naive}*`);
    const missing = await keysWithoutExpiry(context, keys);
    assert.ok(missing.length > 0, `none of ${keys.length} naive counters lost its expiry`);
  });

  test('every counter has an expiry after its connection is destroyed with increments in flight', async () => {
    for (const resp of PROTOCOLS) {
      const prefix = `${uniqueKey(`destroyed${resp}`)}:`;
      const counter = new ExpiringCounter({ ttl: 60_000, prefix });
      const victim = await newTargetLike(context, resp);
      const calls: Array<Promise<unknown>> = [];
      let n = 0;
      const workers = Array.from({ length: 20 }, async () => {
        for (;;) {
          const call = counter.incr(victim, `n${n++}`);
          calls.push(call);
          await call;
        }
      });
      await sleep(30);
      victim.disconnect();
      await Promise.allSettled(workers);
      const outcomes = await Promise.allSettled(calls);
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      assert.ok(failed.length > 0, `RESP${resp}: some increments were cut off`);
      for (const outcome of failed)
        assert.ok((outcome as PromiseRejectedResult).reason instanceof ConnectionError);
      const keys = await context.keysMatching(`${prefix}*`);
      const succeeded = outcomes.length - failed.length;
      assert.ok(keys.length >= succeeded, `RESP${resp}: ${keys.length} keys, ${succeeded} acknowledged`);
      assert.deepEqual(await keysWithoutExpiry(context, keys), []);
    }
  });
}

async function newTargetLike(context: KillContext, resp: 2 | 3): Promise<Client | Cluster> {
  const { connectTo } = context;
  if ('url' in connectTo) {
    const client = new Client({ url: connectTo.url, resp, reconnect: false });
    await client.connect();
    return client;
  }
  const { Cluster } = await import('../../src/index.js');
  const cluster = new Cluster({ nodes: connectTo.urls, resp });
  await cluster.connect();
  return cluster;
}

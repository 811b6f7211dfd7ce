import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { ClusterError, ReplyError, Script, slotOf } from '../../src/index.js';
import { uniqueKey } from '../helpers.js';
import {
  type ClusterContext,
  delta,
  forEachProtocol,
  keyOwnedBy,
  settledWithin,
  useCluster,
} from './cluster-helpers.js';

// Pipelines and transactions on a real 3-primary cluster. A pipeline is split by node and must
// answer in the caller's order; a transaction must stay in one slot, and one that cannot is
// refused before any of it reaches a node (checked with INFO commandstats on every primary).

const shared = useCluster();

/** One key on each primary, in primary order. */
function keyOnEachPrimary(redis: ClusterContext, prefix: string): Promise<string[]> {
  return Promise.all(redis.cluster.primaries.map((node) => keyOwnedBy(redis, node, prefix)));
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** Total calls plus rejected calls of each of `commands` over every primary. */
async function traffic(redis: ClusterContext, commands: readonly string[]): Promise<number[]> {
  const { primaries } = redis.cluster;
  return Promise.all(
    commands.map(
      async (command) =>
        sum(await redis.callsOn(primaries, command)) + sum(await redis.rejectedOn(primaries, command)),
    ),
  );
}

const INCR_BY = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");

forEachProtocol(shared, (redis) => {
  test("one caller's commands reach each node in call order: direct calls and pipelines, over many turns", async () => {
    // Two lists on each primary. Node connections write once per turn of the event loop
    // (flushAfterReads), so calls made in one turn, in the microtasks after it and in later turns
    // must still be applied in the order they were made; a pipeline's commands in their place.
    const keys = [
      ...(await keyOnEachPrimary(redis, 'order:a')),
      ...(await keyOnEachPrimary(redis, 'order:b')),
    ];
    const expected = new Map(keys.map((key) => [key, [] as string[]]));
    const sent: Array<Promise<unknown>> = [];
    let next = 0;
    const push = (target: { rpush(key: string, value: string): Promise<number> }, key: string) => {
      const value = String(next++);
      expected.get(key)!.push(value);
      sent.push(target.rpush(key, value));
    };
    for (let turn = 0; turn < 24; turn++) {
      for (let i = 0; i < 40; i++) {
        if (i % 8 === 7) {
          const pipeline = redis.client.pipeline();
          for (let j = 0; j < 5; j++) push(pipeline, keys[(turn + i + j * 5) % keys.length]);
          sent.push(pipeline.exec());
        } else {
          push(redis.client, keys[(turn * 7 + i) % keys.length]);
        }
      }
      if (turn % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      else if (turn % 3 === 1) await Promise.resolve();
    }
    await Promise.all(sent);
    for (const key of keys) {
      assert.deepEqual(await redis.client.lrange(key, 0, -1), expected.get(key), key);
    }
  });

  test("a cluster pipeline over many slots answers in the caller's order", async () => {
    const { primaries } = redis.cluster;
    // Keys spread evenly over the primaries; each group of five commands touches one pair.
    const values: string[] = [];
    const counters: string[] = [];
    for (let j = 0; j < 30; j++) {
      values.push(await keyOwnedBy(redis, primaries[j % 3], 'pipe:value'));
      counters.push(await keyOwnedBy(redis, primaries[(j + 1) % 3], 'pipe:counter'));
    }
    const model = new Map<string, string>();
    const pipeline = redis.client.pipeline();
    const expected: unknown[] = [];
    const queued: Array<Promise<unknown>> = [];
    for (let i = 0; i < 200; i++) {
      const group = Math.floor(i / 5);
      const value = values[group % values.length];
      const counter = counters[(group * 7) % counters.length];
      switch (i % 5) {
        case 0:
          queued.push(pipeline.set(value, `v${i}`));
          model.set(value, `v${i}`);
          expected.push('OK');
          break;
        case 1: {
          queued.push(pipeline.incr(counter));
          const next = Number(model.get(counter) ?? 0) + 1;
          model.set(counter, String(next));
          expected.push(next);
          break;
        }
        case 2:
          queued.push(pipeline.get(value));
          expected.push(model.get(value) ?? null);
          break;
        case 3: {
          queued.push(pipeline.call('APPEND', value, '+'));
          const next = `${model.get(value) ?? ''}+`;
          model.set(value, next);
          expected.push(next.length);
          break;
        }
        default:
          queued.push(pipeline.get(counter));
          expected.push(model.get(counter) ?? null);
      }
    }
    const incrsBefore = await redis.callsOn(primaries, 'incr');
    const results = await pipeline.exec();
    assert.deepEqual(results, expected);
    assert.deepEqual(await Promise.all(queued), expected);
    const perPrimary = delta(incrsBefore, await redis.callsOn(primaries, 'incr'));
    assert.ok(
      perPrimary.every((calls) => calls > 0),
      `the pipeline spanned every primary: ${perPrimary}`,
    );
  });

  test('an error reply in the middle of a cluster pipeline fails only that entry', async () => {
    const [a, b, c] = await keyOnEachPrimary(redis, 'pipe:error');
    await redis.client.set(b, 'not a number');
    const pipeline = redis.client.pipeline();
    pipeline.set(a, '1');
    const failing = pipeline.incr(b);
    pipeline.lpush(b, 'x');
    pipeline.evalsha('0'.repeat(40), [c]);
    pipeline.incr(a);
    pipeline.get(c);
    const results = await pipeline.exec();
    assert.equal(results.length, 6);
    assert.equal(results[0], 'OK');
    assert.ok(results[1] instanceof ReplyError);
    assert.equal(results[1].code, 'ERR');
    assert.equal(results[1].command, 'INCR');
    assert.ok(results[2] instanceof ReplyError);
    assert.equal(results[2].code, 'WRONGTYPE');
    assert.ok(results[3] instanceof ReplyError);
    assert.equal(results[3].code, 'NOSCRIPT');
    assert.equal(results[4], 2);
    assert.equal(results[5], null);
    await assert.rejects(failing, { name: 'ReplyError', code: 'ERR' });
  });

  test('scripts queued in a cluster pipeline after scriptFlush() are loaded and run in order', async () => {
    const keys = await keyOnEachPrimary(redis, 'pipe:script');
    await INCR_BY.load(redis.client);
    assert.equal(await redis.client.scriptFlush(), 'OK');
    assert.equal(await redis.client.scriptExists(INCR_BY.sha1), false);

    const pipeline = redis.client.pipeline();
    const expected: unknown[] = [];
    for (const key of keys) {
      INCR_BY.evalsha(pipeline, [key], [1]);
      pipeline.get(key);
      INCR_BY.evalsha(pipeline, [key], [2]);
      pipeline.get(key);
      expected.push(1, '1', 3, '3');
    }
    assert.deepEqual(await pipeline.exec(), expected);
    assert.equal(await redis.client.scriptExists(INCR_BY.sha1), true);
  });

  // A flush by another client is invisible until a node answers NOSCRIPT (docs/semantics.md):
  // pipeline calls are then healed — loaded on that node and sent once more, after the commands
  // queued behind them — and transaction calls fail with NOSCRIPT, after which the client
  // forgets the script so the next batch loads it first.
  test("scripts in a cluster pipeline still succeed after a primary's cache was flushed behind the client's back", async () => {
    const { primaries } = redis.cluster;
    const script = Script.fromLua(`return redis.call('INCR', KEYS[1]) -- ${uniqueKey('pipe:behind')}`);
    const keys = await keyOnEachPrimary(redis, 'pipe:behind');
    const warmUp = redis.client.pipeline();
    for (const key of keys) script.evalsha(warmUp, [key]);
    assert.deepEqual(await warmUp.exec(), [1, 1, 1]);
    await (await redis.direct(primaries[1])).scriptFlush();

    const pipeline = redis.client.pipeline();
    for (const key of keys) {
      script.evalsha(pipeline, [key]);
      pipeline.call('SET', key, 100);
      script.evalsha(pipeline, [key]);
    }
    const results = await pipeline.exec();
    // Untouched primaries keep the queued order; the flushed one runs its healed calls last.
    assert.deepEqual(results, [2, 'OK', 101, 101, 'OK', 102, 2, 'OK', 101]);
    assert.deepEqual(await Promise.all(keys.map((key) => redis.client.get(key))), ['101', '102', '101']);
    assert.ok(
      await (await redis.direct(primaries[1])).scriptExists(script.sha1),
      'reloaded where it was missing',
    );
  });

  test("a cluster MULTI after the owner's cache was flushed behind the client's back fails those calls, then recovers", async () => {
    const { primaries } = redis.cluster;
    const script = Script.fromLua(`return redis.call('INCR', KEYS[1]) -- ${uniqueKey('tx:behind')}`);
    const key = await keyOwnedBy(redis, primaries[2], 'tx:behind');
    const warmUp = redis.client.multi();
    script.evalsha(warmUp, [key]);
    assert.deepEqual(await warmUp.exec(), [1]);
    await (await redis.direct(primaries[2])).scriptFlush();

    const multi = redis.client.multi();
    script.evalsha(multi, [key]);
    multi.call('SET', key, 100);
    const results = await multi.exec();
    assert.equal((results[0] as ReplyError).code, 'NOSCRIPT');
    assert.equal(results[1], 'OK');

    const next = redis.client.multi();
    script.evalsha(next, [key]);
    assert.deepEqual(await next.exec(), [101]);
  });

  test('MULTI on one slot with hash-tagged keys runs as one transaction on the owner', async () => {
    const tag = uniqueKey('tx');
    const a = `{${tag}}.a`;
    const b = `{${tag}}.b`;
    const { primaries } = redis.cluster;
    const owner = await redis.ownerOf(slotOf(tag));
    const execsBefore = await redis.callsOn(primaries, 'exec');
    const multi = redis.client.multi();
    multi.set(a, '10');
    const incremented = multi.incrby(a, 5);
    multi.call('APPEND', b, 'x');
    multi.mget(a, b);
    INCR_BY.evalsha(multi, [b], [1]);
    const results = await multi.exec();
    assert.equal(results.length, 5);
    assert.deepEqual(results.slice(0, 4), ['OK', 15, 1, ['15', 'x']]);
    assert.ok(results[4] instanceof ReplyError, 'INCRBY on "x" fails inside the transaction');
    assert.equal(await incremented, 15);
    const execs = delta(execsBefore, await redis.callsOn(primaries, 'exec'));
    assert.deepEqual(
      execs,
      primaries.map((node) => (node === owner ? 1 : 0)),
    );
  });

  test('MULTI across slots is refused with ClusterError CROSSSLOT before anything is sent', async () => {
    const [a, , c] = await keyOnEachPrimary(redis, 'tx:cross');
    const before = await traffic(redis, ['multi', 'exec', 'set']);
    const multi = redis.client.multi();
    multi.set(a, '1');
    multi.set(c, '2');
    await assert.rejects(multi.exec(), (error: unknown) => {
      assert.ok(error instanceof ClusterError, inspect(error));
      assert.equal(error.code, 'CROSSSLOT');
      assert.equal(error.mayHaveRun, false);
      return true;
    });
    assert.deepEqual(await traffic(redis, ['multi', 'exec', 'set']), before, 'no node saw any of it');
    assert.deepEqual(await redis.client.mget(a), [null]);
    assert.equal(await redis.client.get(c), null);
  });

  test('every command queued in a cross-slot MULTI is rejected too, none is left pending', async () => {
    const [a, , c] = await keyOnEachPrimary(redis, 'tx:pending');
    const multi = redis.client.multi();
    const first = multi.set(a, '1');
    const second = multi.set(c, '2');
    await assert.rejects(multi.exec(), { code: 'CROSSSLOT' });
    for (const queued of [first, second]) {
      const outcome = await settledWithin(queued, 500);
      assert.notEqual(outcome, 'pending', 'a queued command of a refused transaction must settle');
      assert.ok(typeof outcome === 'object' && 'error' in outcome, inspect(outcome));
      assert.equal((outcome.error as ClusterError).code, 'CROSSSLOT');
    }
  });

  test('a cross-slot command queued in MULTI refuses the transaction before anything is sent', async () => {
    const tag = uniqueKey('tx:inner');
    const [a, , c] = await keyOnEachPrimary(redis, 'tx:inner:other');
    const before = await traffic(redis, ['multi', 'exec', 'set', 'mget']);
    const multi = redis.client.multi();
    multi.set(`{${tag}}.a`, '1');
    const crossSlot = multi.mget(a, c);
    await assert.rejects(multi.exec(), (error: unknown) => {
      assert.ok(error instanceof ClusterError, inspect(error));
      assert.equal(error.code, 'CROSSSLOT');
      return true;
    });
    await assert.rejects(crossSlot, { name: 'ClusterError', code: 'CROSSSLOT' });
    assert.deepEqual(
      await traffic(redis, ['multi', 'exec', 'set', 'mget']),
      before,
      'no node saw any of the transaction',
    );
  });

  test('a cross-slot command queued in a pipeline refuses the whole pipeline before anything is sent', async () => {
    const [a, b, c] = await keyOnEachPrimary(redis, 'pipe:cross');
    const before = await traffic(redis, ['set', 'mget']);
    const pipeline = redis.client.pipeline();
    pipeline.set(a, '1');
    pipeline.mget(a, c);
    pipeline.set(b, '2');
    await assert.rejects(pipeline.exec(), { name: 'ClusterError', code: 'CROSSSLOT' });
    assert.deepEqual(
      await traffic(redis, ['set', 'mget']),
      before,
      'refused like an argument error: half a pipeline must not run while exec() reports failure',
    );
    assert.equal(await redis.client.get(a), null);
    assert.equal(await redis.client.get(b), null);
  });
});

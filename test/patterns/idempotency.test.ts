import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/index.js';
import { Idempotency, IdempotencyInFlightError, LeaseLostError } from '../../src/patterns/index.js';
import { abortedWithin, forEachProtocol, sleep, uniqueKey } from '../helpers.js';
import { CALLERS } from './properties.js';

forEachProtocol((context) => {
  test('runs the operation once and replays its stored result to repeats', async () => {
    const once = new Idempotency<{ charged: number }>();
    const key = uniqueKey('idem');
    let runs = 0;
    const charge = async () => ({ charged: ++runs * 100 });
    assert.deepEqual(await once.run(context.client, key, charge), {
      value: { charged: 100 },
      replayed: false,
      stored: true,
    });
    assert.deepEqual(await once.run(context.client, key, charge), {
      value: { charged: 100 },
      replayed: true,
      stored: true,
    });
    assert.equal(runs, 1);
    assert.deepEqual(await once.status(context.client, key), { state: 'done', value: { charged: 100 } });
    const ttl = await context.client.pttl(once.key(key));
    assert.ok(ttl > 86_000_000, `the result is kept for the ttl (${ttl})`);
  });

  test(`${CALLERS} concurrent callers that wait: the operation runs exactly once and all get its result`, async () => {
    const once = new Idempotency<number>();
    const key = uniqueKey('idem');
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: CALLERS }, () =>
        once.run(
          context.client,
          key,
          async () => {
            runs++;
            await sleep(50);
            return 7;
          },
          { inFlight: 'wait' },
        ),
      ),
    );
    assert.equal(runs, 1);
    assert.ok(results.every((result) => result.value === 7));
    assert.equal(results.filter((result) => !result.replayed).length, 1);
  });

  test('by default a call while the first run is in flight is refused with IdempotencyInFlightError', async () => {
    const once = new Idempotency<string>({ lease: 5000 });
    const key = uniqueKey('idem');
    let finish!: (value: string) => void;
    const first = once.run(context.client, key, () => new Promise<string>((resolve) => (finish = resolve)));
    await sleep(20);
    await assert.rejects(
      once.run(context.client, key, () => 'second'),
      (error: unknown) => {
        assert.ok(error instanceof IdempotencyInFlightError);
        assert.equal(error.code, 'IDEMPOTENCY_IN_FLIGHT');
        assert.equal(error.mayHaveRun, false);
        assert.ok(error.retryAfter > 0 && error.retryAfter <= 5000);
        return true;
      },
    );
    assert.equal((await once.status(context.client, key)).state, 'running');
    finish('first');
    assert.equal((await first).value, 'first');
  });

  test('a failed run stores nothing: the error reaches its caller and the next call runs again', async () => {
    const once = new Idempotency<string>();
    const key = uniqueKey('idem');
    await assert.rejects(
      once.run(context.client, key, () => {
        throw new Error('card declined');
      }),
      /card declined/,
    );
    assert.deepEqual(await once.status(context.client, key), { state: 'none' });
    assert.deepEqual(await once.run(context.client, key, () => 'ok'), {
      value: 'ok',
      replayed: false,
      stored: true,
    });
  });

  test('a waiter runs the operation itself when the run it waited for fails', async () => {
    const once = new Idempotency<string>();
    const key = uniqueKey('idem');
    const failing = once.run(context.client, key, async () => {
      await sleep(50);
      throw new Error('first attempt failed');
    });
    await sleep(10);
    const waiter = once.run(context.client, key, () => 'second attempt', { inFlight: 'wait' });
    await assert.rejects(failing, /first attempt failed/);
    assert.deepEqual(await waiter, { value: 'second attempt', replayed: false, stored: true });
  });

  test('the claim of a caller that died runs out with its lease, and the next caller runs the operation', async () => {
    const once = new Idempotency<string>({ lease: 100 });
    const key = uniqueKey('idem');
    // Timed from before the claim was left: its 100 ms end no earlier than that, however slow
    // the round trip in between (timed from after it, a loaded box could leave < 50 ms).
    const started = Date.now();
    // A claim as a crashed process leaves it: never completed, never extended.
    await context.client.set(once.key(key), 'Rdead-owner', { px: 100 });
    const result = await once.run(context.client, key, () => 'rerun', { inFlight: 'wait', timeout: 5000 });
    assert.deepEqual(result, { value: 'rerun', replayed: false, stored: true });
    assert.ok(Date.now() - started >= 95);
  });

  test('a run longer than its lease keeps its claim by extending it', async () => {
    // Extended every third of its lease, a claim survives a stall of the process or the server of
    // up to two thirds of it: 400 ms here, for a loaded box (of 120 ms, an 80 ms stall would lose it).
    const once = new Idempotency<string>({ lease: 600 });
    const key = uniqueKey('idem');
    // The run lasts until the intruders below were turned away, however slowly they were: a fixed
    // run time could end before the last of them asked, and that one would get the stored result.
    let checked!: () => void;
    const intrudersDone = new Promise<void>((resolve) => (checked = resolve));
    const long = once.run(context.client, key, async (signal) => {
      await intrudersDone;
      assert.equal(signal.aborted, false);
      return 'long';
    });
    try {
      // The last one asks 750 ms or more after the claim, past its 600 ms lease.
      for (let i = 0; i < 3; i++) {
        await sleep(250);
        await assert.rejects(
          once.run(context.client, key, () => 'intruder'),
          IdempotencyInFlightError,
        );
      }
    } finally {
      checked();
    }
    assert.deepEqual(await long, { value: 'long', replayed: false, stored: true });
  });

  test('a run whose claim was lost is told through its signal, and its result is not stored over another', async () => {
    const once = new Idempotency<string>({ lease: 150 });
    const key = uniqueKey('idem');
    let reason: unknown;
    const first = once.run(context.client, key, async (signal) => {
      await sleep(20);
      await context.client.del(once.key(key)); // e.g. a failover to a replica that missed the claim
      await once.run(context.client, key, () => 'other');
      // The extension that finds the claim gone may have aborted the signal already.
      reason = await abortedWithin(signal);
      return 'first';
    });
    assert.deepEqual(await first, { value: 'first', replayed: false, stored: false });
    assert.ok(reason instanceof LeaseLostError);
    assert.deepEqual(await once.status(context.client, key), { state: 'done', value: 'other' });
  });

  test('undefined results and custom serializers round-trip; forget drops a result', async () => {
    const plain = new Idempotency<undefined>();
    const key = uniqueKey('idem');
    await plain.run(context.client, key, () => undefined);
    assert.deepEqual(await plain.run(context.client, key, () => undefined), {
      value: undefined,
      replayed: true,
      stored: true,
    });
    const dates = new Idempotency<Date>({
      serialize: (date) => date.toISOString(),
      deserialize: (text) => new Date(text),
    });
    const day = new Date('2026-01-02T03:04:05.000Z');
    const other = uniqueKey('idem');
    await dates.run(context.client, other, () => day);
    const replay = await dates.run(context.client, other, () => new Date());
    assert.ok(replay.value instanceof Date && replay.value.getTime() === day.getTime());
    assert.equal(await dates.forget(context.client, other), true);
    assert.deepEqual(await dates.status(context.client, other), { state: 'none' });
  });

  test('bad arguments are refused with ArgumentError', async () => {
    assert.throws(() => new Idempotency({ ttl: 0 }), /ttl \(ms\) must be an integer/);
    assert.throws(() => new Idempotency({ serialize: 'json' as never }), /serialize must be a function/);
    const once = new Idempotency();
    await assert.rejects(
      once.run(context.client, '', () => 1),
      ArgumentError,
    );
    await assert.rejects(once.run(context.client, 'k', 'op' as never), /operation must be a function/);
    await assert.rejects(
      once.run(context.client, 'k', () => 1, { inFlight: 'queue' as never }),
      /inFlight must be/,
    );
    const bad = new Idempotency<number>({ serialize: () => 5 as never });
    const key = uniqueKey('idem');
    await assert.rejects(
      bad.run(context.client, key, () => 1),
      /serialize must return a string/,
    );
    assert.deepEqual(await bad.status(context.client, key), { state: 'none' }, 'the claim was dropped');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ReplyError } from '../../src/index.js';
import {
  FixedWindowLimiter,
  type RateLimiter,
  SlidingLogLimiter,
  SlidingWindowLimiter,
  TokenBucketLimiter,
} from '../../src/patterns/index.js';
import { forEachProtocol, sleep, uniqueKey } from '../helpers.js';
import { limiterProperties } from './properties.js';

const KINDS: Array<[string, (limit: number, window: number) => RateLimiter]> = [
  ['fixed window', (limit, window) => new FixedWindowLimiter({ limit, window })],
  ['sliding log', (limit, window) => new SlidingLogLimiter({ limit, window })],
  ['sliding window counter', (limit, window) => new SlidingWindowLimiter({ limit, window })],
  ['token bucket', (limit, window) => new TokenBucketLimiter({ limit, window })],
];

forEachProtocol((context) => {
  for (const [kind, make] of KINDS) {
    test(`${kind}: admits the limit, then refuses with a retryAfter within the window`, async () => {
      const limiter = make(3, 10_000);
      const name = uniqueKey(kind);
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await limiter.check(context.client, name));
      assert.deepEqual(
        results.map((r) => [r.allowed, r.remaining, r.limit]),
        [
          [true, 2, 3],
          [true, 1, 3],
          [true, 0, 3],
          [false, 0, 3],
        ],
      );
      const refusal = results[3];
      // The sliding window counter may have to wait into the next window for the estimate to drop.
      const longest = kind === 'sliding window counter' ? 20_000 : 10_000;
      assert.ok(refusal.retryAfter > 0 && refusal.retryAfter <= longest, `retryAfter ${refusal.retryAfter}`);
      assert.ok(refusal.resetAfter > 0 && refusal.resetAfter <= 20_000, `resetAfter ${refusal.resetAfter}`);
      const { seconds } = await context.client.time();
      assert.ok(Math.abs(refusal.serverTime / 1000 - seconds) < 2, 'serverTime is the server clock');
      const ttl = await context.client.pttl(limiter.key(name));
      assert.ok(ttl > 0, `the state expires by itself (PTTL ${ttl})`);
    });

    test(`${kind}: admits again once retryAfter has passed`, async () => {
      const limiter = make(2, 150);
      const name = uniqueKey(kind);
      // One pipeline, so the server decides all three within microseconds: three round trips in a
      // row may span a good part of the 150 ms window on a loaded machine, and the third be
      // admitted rightly (a token refilled, the window ended).
      const pipeline = context.client.pipeline();
      const checks = [0, 1, 2].map(() => limiter.check(pipeline, name));
      await pipeline.exec();
      const [first, second, refusal] = await Promise.all(checks);
      assert.deepEqual([first.allowed, second.allowed], [true, true]);
      assert.equal(refusal.allowed, false);
      await sleep(refusal.retryAfter + 5);
      assert.equal((await limiter.check(context.client, name)).allowed, true);
    });

    test(`${kind}: a cost counts that many units, and a cost above the limit is never admitted`, async () => {
      const limiter = make(5, 10_000);
      const name = uniqueKey(kind);
      const first = await limiter.check(context.client, name, { cost: 4 });
      assert.deepEqual([first.allowed, first.remaining], [true, 1]);
      const second = await limiter.check(context.client, name, { cost: 2 });
      assert.deepEqual([second.allowed, second.remaining], [false, 1]);
      const huge = await limiter.check(context.client, uniqueKey(kind), { cost: 6 });
      assert.equal(huge.allowed, false);
      assert.equal(huge.retryAfter, Number.POSITIVE_INFINITY);
      const peek = await limiter.check(context.client, name, { cost: 0 });
      assert.deepEqual([peek.allowed, peek.remaining], [true, 1], 'cost 0 asks without counting');
    });

    test(`${kind}: reset forgets every admission`, async () => {
      const limiter = make(1, 10_000);
      const name = uniqueKey(kind);
      assert.equal((await limiter.check(context.client, name)).allowed, true);
      assert.equal((await limiter.check(context.client, name)).allowed, false);
      assert.equal(await limiter.reset(context.client, name), true);
      assert.equal((await limiter.check(context.client, name)).allowed, true);
    });

    test(`${kind}: checks of several names run from one pipeline, each promise with its own result`, async () => {
      const limiter = make(1, 10_000);
      const names = [uniqueKey(kind), uniqueKey(kind)];
      await limiter.check(context.client, names[0]);
      const pipeline = context.client.pipeline();
      const checks = [limiter.check(pipeline, names[0]), limiter.check(pipeline, names[1])];
      const raw = await pipeline.exec();
      assert.equal(raw.length, 2);
      assert.deepEqual(
        (await Promise.all(checks)).map((r) => r.allowed),
        [false, true],
      );
    });
  }

  test('token bucket: a rate far above one unit per microsecond still refills and expires correctly', async () => {
    // 1e9 per minute: each unit is 60 ns, below the resolution of µs timestamps near 1.8e15.
    const limiter = new TokenBucketLimiter({ limit: 1_000_000_000, window: 60_000, burst: 10 });
    const name = uniqueKey('fast');
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await limiter.check(context.client, name));
    assert.ok(
      results.every((result) => result.allowed),
      'each check refills more than it takes',
    );
    const ttl = await context.client.pttl(limiter.key(name));
    // PX of 1-2 ms: read back it may already be 0, or gone (-2); never without expiry (-1).
    assert.ok(ttl !== -1 && ttl <= 2, `PTTL ${ttl}`);
  });

  test('a bad name or cost is refused before sending, and refuses the whole pipeline', async () => {
    const limiter = new SlidingLogLimiter({ limit: 1, window: 1000 });
    await assert.rejects(limiter.check(context.client, ''), ArgumentError);
    await assert.rejects(
      limiter.check(context.client, 'a', { cost: -1 }),
      /cost must be an integer in 0\.\.2147483647, got -1/,
    );
    await assert.rejects(limiter.check(context.client, 'a', { cost: 1.5 }), ArgumentError);
    await assert.rejects(limiter.check(context.client, '}y'), /starts with '}' and has no \{hash tag\}/);
    const pipeline = context.client.pipeline();
    const good = limiter.check(pipeline, uniqueKey('ok'));
    const bad = limiter.check(pipeline, 42 as unknown as string);
    await assert.rejects(bad, /resource name must be a non-empty string, got number/);
    await assert.rejects(pipeline.exec(), ArgumentError);
    await assert.rejects(good, ArgumentError, 'nothing of the pipeline was sent');
  });

  test('a limiter key holding another type fails with the server error, not a wrong answer', async () => {
    const limiter = new FixedWindowLimiter({ limit: 1, window: 1000 });
    const name = uniqueKey('wrongtype');
    await context.client.call('LPUSH', limiter.key(name), 'x');
    await assert.rejects(limiter.check(context.client, name), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      assert.equal(error.code, 'WRONGTYPE');
      return true;
    });
  });

  limiterProperties({
    get target() {
      return context.client;
    },
    resp: context.resp,
  });
});

test('limiter options are checked when the limiter is made', () => {
  assert.throws(
    () => new FixedWindowLimiter({ limit: 0, window: 1000 }),
    /limit must be an integer in 1\.\./,
  );
  assert.throws(() => new SlidingLogLimiter({ limit: 1, window: 0 }), /window \(ms\) must be an integer/);
  assert.throws(() => new TokenBucketLimiter({ limit: 1, window: 10, burst: 0 }), /burst must be an integer/);
  assert.throws(
    () => new TokenBucketLimiter({ limit: 2_000_000_000, window: 1 }),
    /more than 1 000 000 units per ms/,
  );
  assert.throws(
    () => new SlidingWindowLimiter({ limit: 1, window: 10, prefix: 'a{b}:' }),
    /prefix must not contain '\{' or '\}'/,
  );
  assert.throws(() => new FixedWindowLimiter(undefined as never), ArgumentError);
});

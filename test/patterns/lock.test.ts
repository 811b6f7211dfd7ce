import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError, ArgumentError } from '../../src/index.js';
import { AcquireTimeoutError, LeaseLostError, Lock } from '../../src/patterns/index.js';
import { abortedWithin, forEachProtocol, sleep, uniqueKey } from '../helpers.js';
import { FENCED_WRITE, fencedLog, lockProperties } from './properties.js';

forEachProtocol((context) => {
  test('one holder at a time; release frees it, and the next holder gets a higher token', async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('lock');
    const first = await lock.tryAcquire(context.client, name);
    assert.ok(first !== null);
    assert.equal(await lock.tryAcquire(context.client, name), null, 'held: a second caller gets nothing');
    assert.equal(first.held, true);
    assert.equal(await first.release(), true);
    assert.equal(first.held, false);
    assert.equal(await first.release(), false, 'releasing twice does nothing');
    const second = await lock.tryAcquire(context.client, name);
    assert.ok(second !== null && second.token > first.token);
    await second.release();
  });

  test('only the holder can extend or release: a lease that expired and was taken can do neither', async () => {
    const lock = new Lock({ lease: 100 });
    const name = uniqueKey('lock');
    const stale = (await lock.tryAcquire(context.client, name))!;
    await sleep(150);
    const fresh = (await lock.tryAcquire(context.client, name, { lease: 5000 }))!;
    assert.ok(fresh !== null && fresh.token > stale.token);
    assert.equal(await stale.extend(), false);
    assert.equal(await stale.release(), false);
    const status = await lock.status(context.client, name);
    assert.equal(status.token, fresh.token, 'the stale holder changed nothing');
    assert.ok(status.remaining > 4000);
    await fresh.release();
  });

  test('a lease that runs out aborts its signal, and the fenced resource refuses the stale holder', async () => {
    const lock = new Lock({ lease: 150 });
    const name = uniqueKey('lock');
    const log = fencedLog(uniqueKey('fenced'));
    const stale = (await lock.tryAcquire(context.client, name))!;
    assert.equal(await FENCED_WRITE.evalshaWithReload(context.client, log, [stale.token, 'stale:1']), 1);
    const reason = await abortedWithin(stale.signal, 1000);
    assert.ok(reason instanceof LeaseLostError, `aborted with ${String(reason)}`);
    assert.equal(reason.code, 'LEASE_LOST');
    assert.equal(reason.reason, 'expired');
    assert.equal(stale.held, false);
    // The server's lease ends no earlier than the local estimate: a new holder only after it.
    const fresh = await lock.acquire(context.client, name, { timeout: 1000 });
    assert.equal(await FENCED_WRITE.evalshaWithReload(context.client, log, [fresh.token, 'fresh:1']), 1);
    assert.equal(
      await FENCED_WRITE.evalshaWithReload(context.client, log, [stale.token, 'stale:2']),
      0,
      'the paused holder wakes up and is refused',
    );
    assert.deepEqual(await context.client.call('LRANGE', log[1], 0, -1), ['stale:1', 'fresh:1']);
    await fresh.release();
  });

  test('autoExtend keeps the lock past its lease while work runs', async () => {
    // Extended every third of its lease, it survives a stall of the process or the server of up
    // to two thirds of it: 400 ms here, for a loaded box (of 150 ms, a 100 ms stall would lose it).
    const lock = new Lock({ lease: 600 });
    const name = uniqueKey('lock');
    const lease = (await lock.tryAcquire(context.client, name, { autoExtend: true }))!;
    for (let i = 0; i < 3; i++) {
      await sleep(250);
      assert.equal(await lock.tryAcquire(context.client, name), null, `still held after ${(i + 1) * 250} ms`);
    }
    assert.equal(lease.signal.aborted, false);
    assert.equal(await lease.release(), true);
    assert.equal((await lock.status(context.client, name)).held, false);
  });

  test('autoExtend aborts the signal when the server no longer has the lease as ours', async () => {
    // Each extension waits 50 ms for its answer, then tries again: a lease of 300 ms would run
    // out ('expired', not 'taken') on a box too loaded to answer one of them in time.
    const lock = new Lock({ lease: 3000 });
    const name = uniqueKey('lock');
    const lease = (await lock.tryAcquire(context.client, name, { autoExtend: 50 }))!;
    await context.client.del(lock.key(name));
    const thief = (await lock.tryAcquire(context.client, name, { lease: 5000 }))!;
    const reason = await abortedWithin(lease.signal, 5000);
    assert.ok(reason instanceof LeaseLostError);
    assert.equal(reason.reason, 'taken');
    assert.equal(
      (await lock.status(context.client, name)).token,
      thief.token,
      'the extension did not touch the new holder',
    );
    await thief.release();
  });

  test('acquire waits for a release, times out while held, and stops on its signal', async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('lock');
    const holder = (await lock.tryAcquire(context.client, name))!;
    setTimeout(() => void holder.release(), 100);
    const started = Date.now();
    const waiter = await lock.acquire(context.client, name, { timeout: 2000 });
    assert.ok(Date.now() - started >= 90 && waiter.token > holder.token);

    await assert.rejects(lock.acquire(context.client, name, { timeout: 100 }), (error: unknown) => {
      assert.ok(error instanceof AcquireTimeoutError);
      assert.equal(error.code, 'ACQUIRE_TIMEOUT');
      return true;
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(lock.acquire(context.client, name, { signal: controller.signal }), AbortError);
    await waiter.release();
  });

  test('withLock runs the work under the lock and releases it, also when the work throws', async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('lock');
    const value = await lock.withLock(context.client, name, async (lease) => {
      assert.equal((await lock.status(context.client, name)).token, lease.token);
      return 42;
    });
    assert.equal(value, 42);
    assert.equal((await lock.status(context.client, name)).held, false);
    await assert.rejects(
      lock.withLock(context.client, name, () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal((await lock.status(context.client, name)).held, false);
  });

  test('tokens keep increasing when the fence key is lost, because they follow the server clock', async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('lock');
    const first = (await lock.tryAcquire(context.client, name))!;
    await first.release();
    // What a failover to a replica that missed the last acquisitions looks like to the new primary.
    await context.client.del(`${lock.key(name)}:fence`);
    const second = (await lock.tryAcquire(context.client, name))!;
    assert.ok(second.token > first.token);
    const { seconds } = await context.client.time();
    assert.ok(Math.abs(second.token / 1e6 - seconds) < 2, 'the token is the server clock in µs');
    await second.release();
  });

  test('tokens keep increasing when the server clock is behind the latest token', async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('lock');
    const ahead = (Date.now() + 3_600_000) * 1000;
    await context.client.set(`${lock.key(name)}:fence`, ahead);
    const lease = (await lock.tryAcquire(context.client, name))!;
    assert.equal(lease.token, ahead + 1);
    const status = await lock.status(context.client, name);
    assert.deepEqual(status, {
      held: true,
      token: ahead + 1,
      remaining: status.remaining,
      lastToken: ahead + 1,
    });
    assert.ok(status.remaining > 4000);
    await lease.release();
  });

  test('bad arguments are refused with ArgumentError before sending', async () => {
    const lock = new Lock();
    await assert.rejects(
      lock.tryAcquire(context.client.pipeline() as never, 'x'),
      /not a pipeline or transaction/,
    );
    await assert.rejects(lock.tryAcquire(context.client, ''), ArgumentError);
    await assert.rejects(
      lock.tryAcquire(context.client, 'x', { lease: 0 }),
      /lease \(ms\) must be an integer/,
    );
    await assert.rejects(
      lock.acquire(context.client, 'x', { timeout: -1 }),
      /timeout \(ms\) must be an integer/,
    );
    await assert.rejects(
      lock.tryAcquire(context.client, 'x', { lease: 100, autoExtend: 100 }),
      /autoExtend \(ms between extensions\) must be an integer in 1\.\.99/,
    );
    assert.throws(() => new Lock({ lease: 1.5 }), ArgumentError);
    assert.equal(
      (await lock.status(context.client, 'x')).held,
      false,
      'nothing was taken by the refused calls',
    );
  });

  lockProperties({
    get target() {
      return context.client;
    },
    resp: context.resp,
  });
});

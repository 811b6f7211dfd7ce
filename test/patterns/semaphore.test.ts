import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/index.js';
import { AcquireTimeoutError, LeaseLostError, Semaphore } from '../../src/patterns/index.js';
import { abortedWithin, forEachProtocol, sleep, uniqueKey } from '../helpers.js';
import { semaphoreProperties } from './properties.js';

forEachProtocol((context) => {
  test('hands out `size` permits, then none until one is released', async () => {
    const semaphore = new Semaphore({ size: 2, lease: 5000 });
    const name = uniqueKey('sem');
    const first = await semaphore.tryAcquire(context.client, name);
    const second = await semaphore.tryAcquire(context.client, name);
    assert.ok(first !== null && second !== null && first.id !== second.id);
    assert.equal(await semaphore.tryAcquire(context.client, name), null);
    assert.equal(await semaphore.count(context.client, name), 2);
    assert.equal(await first.release(), true);
    assert.equal(await semaphore.count(context.client, name), 1);
    const third = await semaphore.tryAcquire(context.client, name);
    assert.ok(third !== null);
    await Promise.all([second.release(), third.release()]);
    assert.equal(await semaphore.count(context.client, name), 0);
  });

  test('a permit whose holder died frees itself when its lease ends, by the server clock', async () => {
    const semaphore = new Semaphore({ size: 1, lease: 100 });
    const name = uniqueKey('sem');
    // Timed from before the lease was taken: its 100 ms end no earlier than that, however slow
    // the round trips in between (timed from after them, a loaded box could leave < 50 ms).
    const started = Date.now();
    // Sent together, so the server sees the second within its 100 ms (one after the other, a
    // loaded box could let the lease end in between, and the second get the permit).
    const [dead, refused] = await Promise.all([
      semaphore.tryAcquire(context.client, name),
      semaphore.tryAcquire(context.client, name),
    ]);
    assert.ok(dead !== null);
    assert.equal(refused, null);
    const next = await semaphore.acquire(context.client, name, { timeout: 5000 });
    assert.ok(Date.now() - started >= 95, 'the permit came free only when the lease ended');
    // The local estimate ended no later than the server's lease (to within the two clocks)...
    assert.ok(dead.remaining < 1, `${dead.remaining} ms left by the local estimate`);
    // ...but its timer may fire a moment after the reply that granted `next` was read.
    assert.ok((await abortedWithin(dead.signal, 1000)) instanceof LeaseLostError);
    assert.equal(await dead.extend(), false, 'an ended lease cannot be revived');
    assert.equal(await dead.release(), false);
    assert.equal(await semaphore.count(context.client, name), 1, "the dead holder's release freed nothing");
    await next.release();
  });

  test('extend keeps a permit alive; the sorted set and its key expire with the last lease', async () => {
    // Extended every third of its lease, it survives a stall of the process or the server of up
    // to two thirds of it: 400 ms here, for a loaded box (of 150 ms, a 100 ms stall would lose it).
    const semaphore = new Semaphore({ size: 1, lease: 600 });
    const name = uniqueKey('sem');
    const permit = (await semaphore.tryAcquire(context.client, name, { autoExtend: true }))!;
    await sleep(800);
    assert.equal(await semaphore.tryAcquire(context.client, name), null, 'still held past its lease');
    const ttl = await context.client.pttl(semaphore.key(name));
    assert.ok(ttl > 0 && ttl <= 600, `the key expires with the lease (PTTL ${ttl})`);
    await permit.release();
    assert.equal(permit.signal.aborted, false);
  });

  test('acquire times out while every permit is held; withPermit releases after the work', async () => {
    const semaphore = new Semaphore({ size: 1, lease: 5000 });
    const name = uniqueKey('sem');
    const result = await semaphore.withPermit(context.client, name, async () => {
      await assert.rejects(semaphore.acquire(context.client, name, { timeout: 80 }), AcquireTimeoutError);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(await semaphore.count(context.client, name), 0);
  });

  test('bad arguments are refused with ArgumentError', async () => {
    assert.throws(() => new Semaphore({ size: 0 }), /size must be an integer in 1\.\./);
    const semaphore = new Semaphore({ size: 1 });
    await assert.rejects(semaphore.tryAcquire(context.client, ''), ArgumentError);
    await assert.rejects(semaphore.count(context.client.multi() as never, 'x'), /not a pipeline/);
  });

  semaphoreProperties({
    get target() {
      return context.client;
    },
    resp: context.resp,
  });
});

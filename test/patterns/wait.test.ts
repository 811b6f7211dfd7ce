import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AbortError, ArgumentError } from '../../src/index.js';
import { Lock, Semaphore } from '../../src/patterns/index.js';
import { acquireLease } from '../../src/patterns/wait.js';
import { uniqueKey, useServer } from '../helpers.js';

// The waiting `acquire` of Lock and Semaphore is one function; these are the parts of it that
// the patterns' own tests cannot time: a grant that lands just as the caller stops waiting.
describe('acquireLease', () => {
  const context = useServer();

  test('a lock granted while the signal aborts is released, and acquire rejects with AbortError', async () => {
    const lock = new Lock({ lease: 5000 });
    const name = uniqueKey('wait');
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const waiting = acquireLease('Lock.acquire', name, { signal: controller.signal }, async () => {
      const lease = await lock.tryAcquire(context.client, name);
      assert.ok(lease !== null);
      controller.abort(reason);
      return { done: true, value: lease };
    });
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof AbortError);
      assert.equal(error.cause, reason);
      return true;
    });
    assert.equal((await lock.status(context.client, name)).held, false, 'nobody is left holding it');
  });

  test('a permit granted while the signal aborts goes back to the semaphore', async () => {
    const semaphore = new Semaphore({ size: 1, lease: 5000 });
    const name = uniqueKey('wait');
    const controller = new AbortController();
    const waiting = acquireLease('Semaphore.acquire', name, { signal: controller.signal }, async () => {
      const permit = await semaphore.tryAcquire(context.client, name);
      assert.ok(permit !== null);
      controller.abort();
      return { done: true, value: permit };
    });
    await assert.rejects(waiting, AbortError);
    assert.equal(await semaphore.count(context.client, name), 0);
  });

  test('timeout and retryDelay are checked for the caller named, before any attempt', async () => {
    let attempts = 0;
    const attempt = async () => {
      attempts++;
      return { done: false as const, retryIn: 1 };
    };
    await assert.rejects(
      acquireLease('Semaphore.acquire', 'r', { timeout: -1 }, attempt),
      (error: unknown) => {
        assert.ok(error instanceof ArgumentError);
        assert.match(
          error.message,
          /^Semaphore\.acquire: timeout \(ms\) must be an integer in 0\.\.\d+, got -1$/,
        );
        return true;
      },
    );
    await assert.rejects(acquireLease('Lock.acquire', 'r', { retryDelay: 0 }, attempt), (error: unknown) => {
      assert.ok(error instanceof ArgumentError);
      assert.match(error.message, /^Lock\.acquire: retryDelay \(ms\) must be an integer in 1\.\.\d+, got 0$/);
      return true;
    });
    assert.equal(attempts, 0);
  });
});

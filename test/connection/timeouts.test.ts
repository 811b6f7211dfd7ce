import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortError, TimeoutError } from '../../src/index.js';
import { forEachProtocol, uniqueKey, waitForBlocked } from '../helpers.js';

forEachProtocol((redis) => {
  test('a command past its timeout fails as may-have-run and the connection stays in step', async () => {
    const client = redis.client;
    const key = uniqueKey();
    await client.set(key, 'value');
    // BLPOP runs on a dedicated connection: open it first, or on a loaded machine connecting it
    // may outlast the 50 ms and the call fail as never sent (mayHaveRun: false), which is right.
    assert.equal(await client.call('BLPOP', uniqueKey('warm'), '0.01'), null);
    const started = performance.now();
    await assert.rejects(
      client.withOptions({ timeout: 50 }).call('BLPOP', uniqueKey('empty'), 1),
      (error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        assert.equal(error.code, 'TIMEOUT');
        assert.equal(error.mayHaveRun, true);
        return true;
      },
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 45 && elapsed < 900, `timed out after ${elapsed} ms`);
    // The late BLPOP reply (nil after 1 s) must be discarded, not handed to the next caller.
    assert.equal(await client.get(key), 'value');
    assert.equal(await client.call('PING'), 'PONG');
  });

  test('the client-wide commandTimeout applies to every call', async () => {
    const client = await redis.newClient({ commandTimeout: 40 });
    // The server holds every client's commands for 500 ms: a GET then answers too late. (Held
    // 150 ms, a stall of this process past the pause could read the answer before the timer.)
    await redis.client.call('CLIENT', 'PAUSE', 500, 'ALL');
    await assert.rejects(client.get(uniqueKey('paused')), TimeoutError);
    assert.equal(await client.withOptions({ timeout: 0 }).call('BLPOP', uniqueKey('empty'), '0.05'), null);
  });

  test("a blocking call's timeout starts after its block: commandTimeout does not cut a BLPOP short", async () => {
    // 500 ms past its block is what a slow answer may take here: room for a loaded box.
    const client = await redis.newClient({ commandTimeout: 500 });
    // The dedicated connection opened first, with no timeout (connecting it on a loaded box may
    // take longer than commandTimeout), so that connecting it is not counted below.
    assert.equal(await client.withOptions({ timeout: 0 }).call('BLPOP', uniqueKey('warm'), '0.01'), null);
    assert.equal(
      await client.call('BLPOP', uniqueKey('empty'), '0.6'),
      null,
      'blocked 600 ms, past commandTimeout',
    );
    // A per-call timeout is the whole wait.
    await assert.rejects(
      client.withOptions({ timeout: 40 }).call('BLPOP', uniqueKey('empty'), 1),
      TimeoutError,
    );
  });

  test('an AbortSignal already aborted refuses the call before it is sent', async () => {
    const controller = new AbortController();
    controller.abort(new Error('no longer needed'));
    const key = uniqueKey();
    await assert.rejects(
      redis.client.withOptions({ signal: controller.signal }).set(key, 'x'),
      (error: unknown) => {
        assert.ok(error instanceof AbortError);
        assert.equal(error.mayHaveRun, false);
        return true;
      },
    );
    assert.equal(await redis.client.get(key), null);
  });

  test('aborting a sent call rejects it at once and discards its late reply', async () => {
    const controller = new AbortController();
    // No connection of an earlier test still counted as blocked: the count below is this call's.
    await waitForBlocked(redis.client, 0);
    const pending = redis.client
      .withOptions({ signal: controller.signal })
      .call('BLPOP', uniqueKey('empty'), '5');
    // Aborted once the server runs it (sent, so may have run), long before its 5 s block ends.
    await waitForBlocked(redis.client, 1);
    controller.abort();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof AbortError);
      assert.equal(error.mayHaveRun, true);
      return true;
    });
    assert.equal(await redis.client.call('ECHO', 'still in step'), 'still in step');
  });
});

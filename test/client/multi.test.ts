import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecAbortError, RedisError, ReplyError, WatchError } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

forEachProtocol((redis) => {
  test('a transaction that does not fit under maxQueuedCommands is refused whole and leaves the connection usable', async () => {
    const client = await redis.newClient({ maxQueuedCommands: 5 });
    const key = uniqueKey();
    await client.set(key, 'before');
    // Three calls of this turn are queued; MULTI, two commands and EXEC would make seven.
    const first = [client.get(key), client.get(key), client.get(key)];
    const multi = client.multi();
    multi.set(key, 'inside');
    multi.incr(uniqueKey());
    await assert.rejects(multi.exec(), { code: 'QUEUE_FULL' });
    assert.deepEqual(await Promise.all(first), ['before', 'before', 'before']);
    // Had MULTI reached the server without its EXEC, these would be answered QUEUED.
    assert.equal(await client.get(key), 'before');
    assert.equal(await client.set(key, 'after'), 'OK');
    assert.equal(await redis.client.get(key), 'after');
  });

  test('a pipeline through the Command path that does not fit under maxQueuedCommands is refused whole', async () => {
    const client = await redis.newClient({ maxQueuedCommands: 5, keyPrefix: 'bound:' });
    const key = uniqueKey();
    const first = [client.get(key), client.get(key), client.get(key)];
    const pipe = client.pipeline();
    const calls = [pipe.rpush(key, 'a'), pipe.rpush(key, 'b'), pipe.rpush(key, 'c')];
    await assert.rejects(pipe.exec(), { code: 'QUEUE_FULL' });
    for (const call of calls) await assert.rejects(call, { code: 'QUEUE_FULL' });
    assert.deepEqual(await Promise.all(first), [null, null, null]);
    assert.equal(await client.llen(key), 0);
  });

  test('MULTI runs the queued commands atomically and resolves each', async () => {
    const key = uniqueKey();
    const multi = redis.client.multi();
    const set = multi.set(key, 10);
    const incr = multi.incrby(key, 5);
    multi.get(key);
    assert.deepEqual(await multi.exec(), ['OK', 15, '15']);
    assert.equal(await set, 'OK');
    assert.equal(await incr, 15);
  });

  test('a run-time error inside MULTI fails that command only; the others are applied', async () => {
    const key = uniqueKey();
    const list = uniqueKey();
    await redis.client.call('LPUSH', list, 'x');
    const multi = redis.client.multi();
    multi.set(key, 1);
    const failing = multi.incr(list);
    multi.incr(key);
    const results = await multi.exec();
    assert.equal(results[0], 'OK');
    assert.ok(results[1] instanceof ReplyError);
    assert.equal((results[1] as ReplyError).code, 'WRONGTYPE');
    assert.equal(results[2], 2);
    await assert.rejects(failing, { code: 'WRONGTYPE' });
    assert.equal(await redis.client.get(key), '2');
  });

  test('a command refused while queueing aborts the transaction with EXECABORT, nothing applied', async () => {
    const key = uniqueKey();
    const multi = redis.client.multi();
    const set = multi.set(key, 1);
    const bad = multi.call('SET', 'only-one-argument');
    multi.incr(key);
    await assert.rejects(multi.exec(), (error: unknown) => {
      assert.ok(error instanceof ExecAbortError);
      assert.equal(error.code, 'EXECABORT');
      assert.equal(error.mayHaveRun, false);
      assert.deepEqual([...error.errors.keys()], [1]);
      assert.match(error.errors.get(1)!.message, /wrong number of arguments/);
      return true;
    });
    await assert.rejects(set, ExecAbortError);
    await assert.rejects(bad, /wrong number of arguments/);
    assert.equal(await redis.client.get(key), null);
  });

  test('a WATCHed key changed by another client makes exec() fail with WatchError', async () => {
    const key = uniqueKey();
    const client = await redis.newClient();
    const other = await redis.newClient();
    await client.set(key, 1);
    await client.call('WATCH', key);
    await other.set(key, 2);
    const multi = client.multi();
    const set = multi.set(key, 3);
    await assert.rejects(multi.exec(), WatchError);
    await assert.rejects(set, WatchError);
    assert.equal(await client.get(key), '2');
  });

  test('an unchanged WATCHed key lets the transaction run', async () => {
    const key = uniqueKey();
    const client = await redis.newClient();
    await client.set(key, 1);
    await client.call('WATCH', key);
    const multi = client.multi();
    multi.incr(key);
    assert.deepEqual(await multi.exec(), [2]);
  });

  test('discard() drops the queued commands and releases WATCHed keys', async () => {
    const key = uniqueKey();
    const client = await redis.newClient();
    const other = await redis.newClient();
    await client.call('WATCH', key);
    const multi = client.multi();
    const set = multi.set(key, 'discarded');
    await multi.discard();
    await assert.rejects(set, (error: unknown) => error instanceof RedisError && error.code === 'DISCARDED');
    await other.set(key, 'changed');
    const next = client.multi();
    next.set(key, 'applied');
    assert.deepEqual(await next.exec(), ['OK']);
    assert.equal(await client.get(key), 'applied');
  });

  test('commands of other callers never land inside a transaction', async () => {
    const key = uniqueKey();
    const multi = redis.client.multi();
    multi.set(key, 'in-multi');
    const execution = multi.exec();
    const outside = redis.client.set(key, 'outside');
    await execution;
    await outside;
    assert.equal(await redis.client.get(key), 'outside');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from '../../../src/index.js';
import { forEachProtocol, sleep, uniqueKey } from '../../helpers.js';

// A job queue on a stream and a consumer group, as applications build one: producers XADD,
// workers XREADGROUP and XACK, a crashed worker's jobs are taken over with XAUTOCLAIM; and the
// same with Lua, which makes "enqueue once" and "acknowledge and delete" atomic.

/** Enqueue a job unless one with the same dedupe key was enqueued within ARGV[2] seconds. */
const ENQUEUE_ONCE = Script.fromLua(`
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], '*', 'job', ARGV[1])
end
return false
`);

/** Acknowledge a job and delete its entry, in one step: the stream does not grow without bound. */
const ACK_AND_DELETE = Script.fromLua(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then redis.call('XDEL', KEYS[1], ARGV[2]) end
return acked
`);

forEachProtocol((redis) => {
  test('a consumer-group job queue: produce, consume, crash, take over, acknowledge', async () => {
    const queue = uniqueKey('jobs');
    const client = redis.client;
    await client.xgroupCreate(queue, 'workers', '$', { mkstream: true });
    const produced: string[] = [];
    for (let i = 0; i < 10; i++) produced.push(String(await client.xadd(queue, '*', { job: `job-${i}` })));

    // Worker A takes four jobs and finishes two; worker B takes the rest and finishes them all.
    const forA = await client.xreadgroup('workers', 'A', { [queue]: '>' }, { count: 4 });
    const jobsA = forA?.[0].entries ?? [];
    assert.equal(jobsA.length, 4);
    assert.equal(await client.xack(queue, 'workers', jobsA[0].id, jobsA[1].id), 2);
    const forB = await client.xreadgroup('workers', 'B', { [queue]: '>' }, { count: 100 });
    const jobsB = forB?.[0].entries ?? [];
    assert.deepEqual(
      [...jobsA, ...jobsB].map((entry) => entry.fields?.job),
      produced.map((_, i) => `job-${i}`),
      'every job was delivered to exactly one worker',
    );
    assert.equal(
      await client.xack(
        queue,
        'workers',
        jobsB.map((entry) => entry.id),
      ),
      6,
    );

    // Worker A crashes: two of its jobs stay pending.
    const pending = await client.xpending(queue, 'workers');
    assert.equal(pending.count, 2);
    assert.deepEqual(pending.consumers, [{ name: 'A', pending: 2 }]);
    await sleep(30);
    // Worker C takes over jobs idle at least 20 ms.
    const claim = await client.xautoclaim(queue, 'workers', 'C', 20, '0-0');
    assert.deepEqual(
      claim.entries.map((entry) => entry.id),
      [jobsA[2].id, jobsA[3].id],
    );
    assert.equal(claim.next, '0-0');
    const [detail] = await client.xpendingRange(queue, 'workers', '-', '+', 1);
    assert.equal(detail.consumer, 'C');
    assert.equal(detail.deliveries, 2, 'a claimed job counts a second delivery');
    assert.equal(
      await client.xack(
        queue,
        'workers',
        claim.entries.map((entry) => entry.id),
      ),
      2,
    );
    assert.equal((await client.xpending(queue, 'workers')).count, 0);
    const [group] = await client.xinfoGroups(queue);
    assert.equal(group.lastDeliveredId, produced[9]);
    assert.equal(group.pending, 0);
  });

  test('Lua with streams: enqueue once per dedupe key, acknowledge and delete atomically', async () => {
    const queue = uniqueKey('lua-jobs');
    const dedupe = `${queue}:dedupe:order-7`;
    const client = redis.client;
    await client.xgroupCreate(queue, 'workers', '$', { mkstream: true });

    const first = await ENQUEUE_ONCE.evalshaWithReload(client, [queue, dedupe], ['order-7', 60]);
    assert.match(String(first), /^\d+-\d+$/);
    assert.equal(await ENQUEUE_ONCE.evalshaWithReload(client, [queue, dedupe], ['order-7', 60]), null);
    assert.equal(await client.xlen(queue), 1);

    const read = await client.xreadgroup('workers', 'W', { [queue]: '>' });
    const [job] = read?.[0].entries ?? [];
    assert.equal(job.id, first);
    assert.equal(job.fields?.job, 'order-7');
    assert.equal(await ACK_AND_DELETE.evalshaWithReload(client, [queue], ['workers', job.id]), 1);
    assert.equal(await ACK_AND_DELETE.evalshaWithReload(client, [queue], ['workers', job.id]), 0);
    assert.equal(await client.xlen(queue), 0);
    assert.equal((await client.xpending(queue, 'workers')).count, 0);
  });

  test('a worker blocked in XREADGROUP gets the job as soon as it is enqueued', async () => {
    const queue = uniqueKey('blocking-jobs');
    await redis.client.xgroupCreate(queue, 'workers', '$', { mkstream: true });
    const worker = await redis.newClient();
    const waiting = worker.xreadgroup('workers', 'W', { [queue]: '>' }, { block: 5000, count: 1 });
    await sleep(50);
    const id = await redis.client.xadd(queue, '*', { job: 'now' });
    const read = await waiting;
    assert.deepEqual(
      read?.[0].entries.map((entry) => entry.id),
      [id],
    );
  });
});

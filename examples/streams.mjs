// A job queue on a stream with a consumer group: producers enqueue (once per dedupe key, in Lua),
// workers read and acknowledge, a crashed worker's jobs are taken over with XAUTOCLAIM; then the
// keys are walked with scanIterator.
//
//   node examples/streams.mjs          (after `npm run build`)
import { randomBytes } from 'node:crypto';
import { Client, Script } from 'redmoon';
import { runDirectly } from './redis.mjs';

/** Enqueues a job unless the same job was enqueued in the last ARGV[2] seconds. */
const enqueueOnce = Script.fromLua(`
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], '*', 'job', ARGV[1])
end
return false
`);

/** Acknowledges a job and deletes its entry in one step, so the stream does not grow forever. */
const ackAndDelete = Script.fromLua(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then redis.call('XDEL', KEYS[1], ARGV[2]) end
return acked
`);

export async function main(url) {
  const client = new Client({ url });
  await client.connect();
  const prefix = `example:${randomBytes(4).toString('hex')}`;
  const queue = `${prefix}:jobs`;

  await client.xgroupCreate(queue, 'workers', '$', { mkstream: true });
  for (const job of ['resize:1', 'resize:2', 'resize:1', 'mail:7']) {
    const id = await enqueueOnce.evalshaWithReload(client, [queue, `${prefix}:seen:${job}`], [job, 60]);
    console.log(id === null ? `"${job}" was already queued: skipped.` : `Queued "${job}" as ${id}.`);
  }

  // Worker A takes two jobs and crashes before acknowledging the second.
  const [{ entries: forA }] = await client.xreadgroup('workers', 'A', { [queue]: '>' }, { count: 2 });
  console.log(`Worker A got ${forA.map((entry) => entry.fields.job).join(', ')}.`);
  await ackAndDelete.evalshaWithReload(client, [queue], ['workers', forA[0].id]);
  const [{ entries: forB }] = await client.xreadgroup('workers', 'B', { [queue]: '>' });
  console.log(`Worker B got ${forB.map((entry) => entry.fields.job).join(', ')} and acknowledges it.`);
  for (const entry of forB) await ackAndDelete.evalshaWithReload(client, [queue], ['workers', entry.id]);

  const pending = await client.xpending(queue, 'workers');
  console.log(
    `Pending: ${pending.count} (${pending.consumers.map((c) => `${c.name}: ${c.pending}`).join(', ')}).`,
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  const claimed = await client.xautoclaim(queue, 'workers', 'C', 10, '0-0');
  console.log(`Worker C took over ${claimed.entries.map((entry) => entry.fields.job).join(', ')} from A.`);
  for (const entry of claimed.entries)
    await ackAndDelete.evalshaWithReload(client, [queue], ['workers', entry.id]);
  console.log(
    `Pending now: ${(await client.xpending(queue, 'workers')).count}; stream length ${await client.xlen(queue)}.`,
  );

  const keys = [];
  for await (const key of client.scanIterator({ match: `${prefix}:*`, count: 100 })) keys.push(key);
  console.log(`scanIterator found ${keys.length} keys of this example: ${keys.sort().join(', ')}.`);
  await client.del(keys[0], ...keys.slice(1));
  await client.quit();
  console.log('Deleted the example keys and closed the client.');
}

await runDirectly(import.meta.url, main);

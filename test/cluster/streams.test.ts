import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterError, Script } from '../../src/index.js';
import { uniqueKey } from '../helpers.js';
import { forEachProtocol, keyOwnedBy, useCluster } from './cluster-helpers.js';

// Stream commands on a real 3-primary cluster: XREAD and XREADGROUP route by the keys after
// STREAMS (their key spec), so nothing is redirected; keys of several slots are refused before
// sending; a stream job queue works with a Lua script on the stream's primary.

const shared = useCluster({ primaries: 3 });

const ACK_AND_DELETE = Script.fromLua(`
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then redis.call('XDEL', KEYS[1], ARGV[2]) end
return acked
`);

forEachProtocol(shared, (redis) => {
  test('XREAD and XREADGROUP go straight to the primary of the keys after STREAMS', async () => {
    const { primaries } = redis.cluster;
    // Away from slot 0's primary, where keyless commands would go.
    const key = await keyOwnedBy(redis, primaries[2], 'xread');
    await redis.client.xadd(key, '1-1', { a: '1' });
    await redis.client.xgroupCreate(key, 'g', '0');
    const rejected = await redis.rejectedOn(primaries, 'xread');
    const rejectedGroup = await redis.rejectedOn(primaries, 'xreadgroup');
    const callsBefore = await redis.callsOn(primaries, 'xread');
    const reads = await redis.client.xread({ [key]: '0' }, { count: 5 });
    assert.equal(reads?.[0].entries[0].id, '1-1');
    const group = await redis.client.xreadgroup('g', 'c', { [key]: '>' }, { count: 5 });
    assert.equal(group?.[0].entries[0].id, '1-1');
    assert.deepEqual(await redis.rejectedOn(primaries, 'xread'), rejected, 'no XREAD was redirected');
    assert.deepEqual(await redis.rejectedOn(primaries, 'xreadgroup'), rejectedGroup);
    const callsAfter = await redis.callsOn(primaries, 'xread');
    assert.deepEqual(
      callsAfter.map((calls, index) => calls - callsBefore[index]),
      [0, 0, 1],
    );
  });

  test('XREAD over streams sharing a hash tag reads them all; streams of several slots are refused', async () => {
    const tag = uniqueKey('xtag');
    const [first, second] = [`{${tag}}:a`, `{${tag}}:b`];
    await redis.client.xadd(first, '1-1', { a: '1' });
    await redis.client.xadd(second, '1-1', { b: '1' });
    const reads = await redis.client.xread({ [first]: '0', [second]: '0' });
    assert.deepEqual(
      reads?.map((read) => read.stream),
      [first, second],
    );
    await assert.rejects(
      redis.client.xread({ [`${tag}:x`]: '0', [`${tag}:y`]: '0', [`${tag}:z`]: '0' }),
      (error: unknown) => error instanceof ClusterError && error.code === 'CROSSSLOT',
    );
  });

  test('a stream job queue with a Lua acknowledge-and-delete runs on the stream’s primary', async () => {
    const queue = await keyOwnedBy(redis, redis.cluster.primaries[1], 'jobs');
    await redis.client.xgroupCreate(queue, 'workers', '$', { mkstream: true });
    const id = await redis.client.xadd(queue, '*', { job: 'resize' });
    const read = await redis.client.xreadgroup('workers', 'w', { [queue]: '>' });
    assert.equal(read?.[0].entries[0].id, id);
    assert.equal(await ACK_AND_DELETE.evalshaWithReload(redis.client, [queue], ['workers', String(id)]), 1);
    assert.equal(await redis.client.xlen(queue), 0);
    assert.equal((await redis.client.xpending(queue, 'workers')).count, 0);
  });
});

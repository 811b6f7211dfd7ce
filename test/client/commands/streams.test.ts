import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../../src/client/commands/index.js';
import { type CommandSpec, keysOf } from '../../../src/client/spec.js';
import type { BufferCommands } from '../../../src/index.js';
import { ReplyError, type StreamEntry } from '../../../src/index.js';
import { forEachProtocol, sleep, uniqueKey, waitForBlocked } from '../../helpers.js';

// Every stream command's reply shape, asked of a real server on RESP2 and on RESP3: the same
// test body must see the same value on both.

const argumentError = (pattern: RegExp) => ({ code: 'ERR_ARGUMENT', message: pattern });

/** Entries with their null-prototype `fields` spread, for deepEqual. */
const plain = (entries: ReadonlyArray<{ id: string; fields: Record<string, unknown> | null }>) =>
  entries.map(({ id, fields }) => ({ id, fields: fields === null ? null : { ...fields } }));

const spec = (name: keyof typeof COMMANDS) => COMMANDS[name] as unknown as CommandSpec;

test('XREAD and XREADGROUP describe their keys as the first half after STREAMS', () => {
  const xread = spec('xread');
  assert.deepEqual(keysOf(xread.keys, ['COUNT', 2, 'BLOCK', 0, 'STREAMS', 'a', 'b', '0', '$']), ['a', 'b']);
  assert.deepEqual(keysOf(xread.keys, ['streams', 'a', '0']), ['a']);
  assert.deepEqual(keysOf(xread.keys, [Buffer.from('STREAMS'), Buffer.from([0xff]), '0']), [
    Buffer.from([0xff]),
  ]);
  // A group or consumer named "streams" is not the keyword.
  const xreadgroup = spec('xreadgroup');
  assert.deepEqual(keysOf(xreadgroup.keys, ['GROUP', 'streams', 'STREAMS', 'NOACK', 'STREAMS', 'k', '>']), [
    'k',
  ]);
  assert.deepEqual(spec('xread').args({ a: '0', b: '$' }, { count: 2 }), [
    'COUNT',
    2,
    'STREAMS',
    'a',
    'b',
    '0',
    '$',
  ]);
});

test('reads are marked read-only, writes are not, and the blocking reads say they block', () => {
  for (const name of ['xrange', 'xrevrange', 'xlen', 'xread', 'xpending', 'xpendingRange'] as const) {
    assert.equal(spec(name).retrySafe, true, name);
  }
  for (const name of ['xinfoStream', 'xinfoGroups', 'xinfoConsumers'] as const) {
    assert.equal(spec(name).retrySafe, true, name);
  }
  for (const name of [
    'xadd',
    'xdel',
    'xtrim',
    'xreadgroup',
    'xack',
    'xclaim',
    'xautoclaim',
    'xgroupCreate',
  ] as const) {
    assert.equal(spec(name).retrySafe, false, name);
  }
  // Blocking only with BLOCK: then on a dedicated connection, for its block time.
  assert.equal(spec('xread').connection, 'blocking');
  assert.equal(spec('xreadgroup').connection, 'blocking');
  assert.equal(spec('xread').blockTime?.(['BLOCK', 250, 'STREAMS', 's', '$']), 250);
  assert.equal(spec('xread').blockTime?.(['STREAMS', 's', '$']), undefined);
  assert.equal(spec('xadd').connection, 'shared');
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type BufferRead = NonNullable<Awaited<ReturnType<BufferCommands['xread']>>>[number];

test('on the buffers surface, stream IDs are typed string and values, names Buffer', () => {
  // Compile-time checks: a wrong type fails `tsc`, and the values below at run time.
  const idIsString: Same<BufferRead['entries'][number]['id'], string> = true;
  const valueIsBuffer: Same<BufferRead['entries'][number]['fields'][string], Buffer> = true;
  const streamIsBuffer: Same<BufferRead['stream'], Buffer> = true;
  assert.deepEqual([idIsString, valueIsBuffer, streamIsBuffer], [true, true, true]);
});

forEachProtocol((redis) => {
  test('xadd returns the new ID, takes an explicit ID, a Map or pairs', async () => {
    const key = uniqueKey('stream');
    const id = await redis.client.xadd(key, '*', { job: 'mail', to: 'ann' });
    assert.match(String(id), /^\d+-\d+$/);
    assert.equal(await redis.client.xadd(key, '9999999999999-1', new Map([['a', '1']])), '9999999999999-1');
    assert.equal(await redis.client.xadd(key, '9999999999999-*', [['b', 2]]), '9999999999999-2');
    assert.deepEqual(plain(await redis.client.xrange(key, '9999999999999', '+')), [
      { id: '9999999999999-1', fields: { a: '1' } },
      { id: '9999999999999-2', fields: { b: '2' } },
    ]);
  });

  test('xadd with nomkstream returns null for a missing stream and creates nothing', async () => {
    const key = uniqueKey('stream');
    assert.equal(await redis.client.xadd(key, '*', { a: '1' }, { nomkstream: true }), null);
    assert.equal(await redis.client.exists(key), 0);
  });

  test('xadd and xtrim trim by MAXLEN and MINID, exactly or approximately with LIMIT', async () => {
    const key = uniqueKey('stream');
    for (let i = 1; i <= 10; i++) await redis.client.xadd(key, `${i}-0`, { n: i });
    assert.equal(await redis.client.xadd(key, '11-0', { n: 11 }, { trim: { maxlen: 5 } }), '11-0');
    assert.equal(await redis.client.xlen(key), 5);
    assert.equal(await redis.client.xtrim(key, { minid: '9-0', approximate: false }), 2);
    assert.deepEqual(
      (await redis.client.xrange(key, '-', '+')).map((entry) => entry.id),
      ['9-0', '10-0', '11-0'],
    );
    assert.equal(await redis.client.xtrim(key, { maxlen: 0 }), 3);
  });

  test('approximate trimming removes whole internal nodes only; exact trimming to the entry', async () => {
    const key = uniqueKey('stream');
    const pipeline = redis.client.pipeline();
    for (let i = 1; i <= 150; i++) pipeline.xadd(key, `${i}-0`, { n: i });
    await pipeline.exec();
    // Nodes hold 100 entries (stream-node-max-entries): dropping the first would leave 50 < 100.
    assert.equal(await redis.client.xtrim(key, { maxlen: 100, approximate: true, limit: 1000 }), 0);
    assert.equal(await redis.client.xtrim(key, { maxlen: 100, approximate: false }), 50);
    assert.equal(await redis.client.xlen(key), 100);
  });

  test('trimming options that cannot be sent are refused before sending', async () => {
    const key = uniqueKey('stream');
    await assert.rejects(
      redis.client.xtrim(key, { maxlen: 1, minid: '0' } as never),
      argumentError(/^XTRIM: trim takes exactly one of maxlen and minid/),
    );
    await assert.rejects(redis.client.xtrim(key, {} as never), argumentError(/exactly one/));
    await assert.rejects(
      redis.client.xtrim(key, { maxlen: 1, limit: 5 }),
      argumentError(/^XTRIM: limit needs approximate: true/),
    );
    await assert.rejects(
      redis.client.xadd(key, '*', { a: 1 }, { trim: { maxlen: -1 } }),
      argumentError(/^XADD: maxlen must be a non-negative integer/),
    );
    await assert.rejects(redis.client.xadd(key, '*', {}), argumentError(/^XADD: needs at least one field/));
    assert.equal(await redis.client.exists(key), 0);
  });

  test('xrange and xrevrange return { id, fields } with null-prototype fields, COUNT and exclusive bounds', async () => {
    const key = uniqueKey('stream');
    await redis.client.xadd(key, '1-1', { a: '1', b: '' });
    await redis.client.xadd(key, '2-1', { c: '3' });
    await redis.client.xadd(key, '3-1', { d: '4' });
    const all = await redis.client.xrange(key, '-', '+');
    assert.equal(Object.getPrototypeOf(all[0].fields), null);
    assert.deepEqual(plain(all), [
      { id: '1-1', fields: { a: '1', b: '' } },
      { id: '2-1', fields: { c: '3' } },
      { id: '3-1', fields: { d: '4' } },
    ]);
    assert.deepEqual(
      (await redis.client.xrange(key, '(1-1', '+', { count: 1 })).map((entry) => entry.id),
      ['2-1'],
    );
    assert.deepEqual(
      (await redis.client.xrevrange(key, '+', '-', { count: 2 })).map((entry) => entry.id),
      ['3-1', '2-1'],
    );
    assert.deepEqual(await redis.client.xrange(uniqueKey('missing'), '-', '+'), []);
    await assert.rejects(redis.client.xrange(key, '-', '+', { count: 0 }), argumentError(/^XRANGE: count/));
  });

  test('a field repeated in one entry keeps its last value', async () => {
    const key = uniqueKey('stream');
    await redis.client.call('XADD', key, '1-1', 'f', 'first', 'f', 'last');
    assert.deepEqual(plain(await redis.client.xrange(key, '-', '+')), [{ id: '1-1', fields: { f: 'last' } }]);
  });

  test('xlen counts entries and xdel removes them', async () => {
    const key = uniqueKey('stream');
    assert.equal(await redis.client.xlen(key), 0);
    await redis.client.xadd(key, '1-1', { a: '1' });
    await redis.client.xadd(key, '2-1', { a: '2' });
    assert.equal(await redis.client.xdel(key, '1-1', '5-5'), 1);
    assert.equal(await redis.client.xlen(key), 1);
  });

  test('xread answers one { stream, entries } per stream with entries, in order, or null', async () => {
    const tag = uniqueKey('xread');
    const [first, second, empty] = [`${tag}:a`, `${tag}:b`, `${tag}:empty`];
    await redis.client.xadd(first, '1-1', { a: '1' });
    await redis.client.xadd(first, '2-1', { a: '2' });
    await redis.client.xadd(second, '1-1', { b: '1' });
    const reads = await redis.client.xread({ [second]: '0', [empty]: '0', [first]: '1-1' });
    assert.ok(reads !== null);
    assert.deepEqual(
      reads.map(({ stream, entries }) => ({ stream, entries: plain(entries) })),
      [
        { stream: second, entries: [{ id: '1-1', fields: { b: '1' } }] },
        { stream: first, entries: [{ id: '2-1', fields: { a: '2' } }] },
      ],
    );
    const counted = await redis.client.xread([[first, '0']], { count: 1 });
    assert.deepEqual(
      counted?.[0].entries.map((entry) => entry.id),
      ['1-1'],
    );
    assert.equal(await redis.client.xread({ [empty]: '0' }), null);
    await assert.rejects(redis.client.xread({}), argumentError(/^XREAD: needs at least one stream/));
    await assert.rejects(redis.client.xread({ [first]: '0' }, { block: -1 }), argumentError(/^XREAD: block/));
  });

  test('xread on a buffers view: values and stream names are Buffers, IDs stay strings', async () => {
    const key = Buffer.from([0x73, 0xff, 0x00, uniqueKey().length]);
    await redis.client.del(key);
    await redis.client.xadd(key, '1-1', { bin: Buffer.from([0xfe, 0x00]) });
    const reads = await redis.client.withOptions({ buffers: true }).xread([[key, '0']]);
    assert.ok(reads !== null);
    const [{ stream, entries }] = reads;
    assert.ok(Buffer.isBuffer(stream));
    assert.deepEqual(stream, key);
    assert.equal(entries[0].id, '1-1');
    assert.deepEqual(Object.keys(entries[0].fields), ['bin']);
    assert.deepEqual([...(entries[0].fields.bin as unknown as Buffer)], [0xfe, 0x00]);
    const [entry] = await redis.client.withOptions({ buffers: true }).xrange(key, '-', '+');
    assert.equal(typeof entry.id, 'string');
  });

  test('xread with block waits for an entry, and answers null when the block runs out', async () => {
    const key = uniqueKey('stream');
    const reader = await redis.newClient();
    const started = performance.now();
    assert.equal(await reader.xread({ [key]: '$' }, { block: 100 }), null);
    assert.ok(performance.now() - started >= 90, 'the call waited for the block');
    const waiting = reader.xread({ [key]: '$' }, { block: 5000 });
    // '$' means entries after the last one when the server runs the XREAD: added before that,
    // the entry would never be seen, so wait until it blocks rather than a fixed time.
    await waitForBlocked(redis.client, 1);
    const id = await redis.client.xadd(key, '*', { wake: 'up' });
    const reads = await waiting;
    assert.deepEqual(
      reads?.map(({ stream, entries }) => ({ stream, entries: plain(entries) })),
      [{ stream: key, entries: [{ id, fields: { wake: 'up' } }] }],
    );
  });

  test('xgroupCreate with mkstream and entriesRead, xinfoGroups, xgroupSetid and xgroupDestroy', async () => {
    const key = uniqueKey('stream');
    await assert.rejects(redis.client.xgroupCreate(key, 'g', '$'), (error: unknown) => {
      assert.ok(error instanceof ReplyError);
      return true;
    });
    assert.equal(await redis.client.xgroupCreate(key, 'g', '$', { mkstream: true }), 'OK');
    assert.equal(await redis.client.xlen(key), 0);
    for (let i = 1; i <= 3; i++) await redis.client.xadd(key, `${i}-0`, { n: i });
    assert.equal(await redis.client.xgroupCreate(key, 'late', '2-0', { entriesRead: 2 }), 'OK');
    await assert.rejects(redis.client.xgroupCreate(key, 'g', '$'), { code: 'BUSYGROUP' });
    const groups = await redis.client.xinfoGroups(key);
    assert.deepEqual(
      groups.map((group) => ({ ...group })),
      [
        // Created on an empty stream at '$': the server does not know how much it has read.
        { name: 'g', consumers: 0, pending: 0, lastDeliveredId: '0-0', entriesRead: null, lag: 3 },
        { name: 'late', consumers: 0, pending: 0, lastDeliveredId: '2-0', entriesRead: 2, lag: 1 },
      ],
    );
    assert.equal(await redis.client.xgroupSetid(key, 'g', '3-0', { entriesRead: 3 }), 'OK');
    const [moved] = await redis.client.xinfoGroups(key);
    assert.equal(moved.lastDeliveredId, '3-0');
    assert.equal(moved.lag, 0);
    assert.equal(await redis.client.xgroupDestroy(key, 'late'), true);
    assert.equal(await redis.client.xgroupDestroy(key, 'late'), false);
  });

  test('xgroupCreateconsumer, xinfoConsumers and xgroupDelconsumer', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '0', { mkstream: true });
    assert.equal(await redis.client.xgroupCreateconsumer(key, 'g', 'alice'), true);
    assert.equal(await redis.client.xgroupCreateconsumer(key, 'g', 'alice'), false);
    await redis.client.xadd(key, '1-0', { n: 1 });
    await redis.client.xreadgroup('g', 'bob', { [key]: '>' });
    const consumers = await redis.client.xinfoConsumers(key, 'g');
    assert.deepEqual(
      consumers.map(({ name, pending }) => ({ name, pending })),
      [
        { name: 'alice', pending: 0 },
        { name: 'bob', pending: 1 },
      ],
    );
    for (const consumer of consumers) {
      assert.ok(Number.isInteger(consumer.idle) && consumer.idle >= 0);
      assert.ok(consumer.inactive === null || Number.isInteger(consumer.inactive));
    }
    assert.equal(await redis.client.xgroupDelconsumer(key, 'g', 'bob'), 1);
    assert.deepEqual(
      (await redis.client.xinfoConsumers(key, 'g')).map((consumer) => consumer.name),
      ['alice'],
    );
  });

  test('xreadgroup reads new entries, then the pending history, where deleted entries have null fields', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '0', { mkstream: true });
    await redis.client.xadd(key, '1-0', { n: '1' });
    await redis.client.xadd(key, '2-0', { n: '2' });
    const fresh = await redis.client.xreadgroup('g', 'c', { [key]: '>' }, { count: 10 });
    assert.deepEqual(
      fresh?.map(({ stream, entries }) => ({ stream, entries: plain(entries) })),
      [
        {
          stream: key,
          entries: [
            { id: '1-0', fields: { n: '1' } },
            { id: '2-0', fields: { n: '2' } },
          ],
        },
      ],
    );
    assert.equal(await redis.client.xreadgroup('g', 'c', { [key]: '>' }), null);
    await redis.client.xdel(key, '1-0');
    const history = await redis.client.xreadgroup('g', 'c', { [key]: '0' });
    assert.deepEqual(plain(history?.[0].entries ?? []), [
      { id: '1-0', fields: null },
      { id: '2-0', fields: { n: '2' } },
    ]);
    await assert.rejects(redis.client.xreadgroup('nogroup', 'c', { [key]: '>' }), { code: 'NOGROUP' });
  });

  test('xreadgroup with noack leaves nothing pending', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '0', { mkstream: true });
    await redis.client.xadd(key, '1-0', { n: '1' });
    const read = await redis.client.xreadgroup('g', 'c', { [key]: '>' }, { noack: true });
    assert.equal(read?.[0].entries.length, 1);
    assert.equal((await redis.client.xpending(key, 'g')).count, 0);
  });

  test('xpending summary and extended form, with IDLE and a consumer filter; xack', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '0', { mkstream: true });
    assert.deepEqual(await redis.client.xpending(key, 'g'), {
      count: 0,
      smallestId: null,
      greatestId: null,
      consumers: [],
    });
    for (let i = 1; i <= 3; i++) await redis.client.xadd(key, `${i}-0`, { n: i });
    await redis.client.xreadgroup('g', 'ann', { [key]: '>' }, { count: 2 });
    await redis.client.xreadgroup('g', 'bob', { [key]: '>' });
    assert.deepEqual(await redis.client.xpending(key, 'g'), {
      count: 3,
      smallestId: '1-0',
      greatestId: '3-0',
      consumers: [
        { name: 'ann', pending: 2 },
        { name: 'bob', pending: 1 },
      ],
    });
    const range = await redis.client.xpendingRange(key, 'g', '-', '+', 10);
    assert.deepEqual(
      range.map(({ id, consumer, deliveries }) => ({ id, consumer, deliveries })),
      [
        { id: '1-0', consumer: 'ann', deliveries: 1 },
        { id: '2-0', consumer: 'ann', deliveries: 1 },
        { id: '3-0', consumer: 'bob', deliveries: 1 },
      ],
    );
    for (const entry of range) assert.ok(Number.isInteger(entry.idle) && entry.idle >= 0);
    assert.deepEqual(
      (await redis.client.xpendingRange(key, 'g', '-', '+', 10, { consumer: 'bob' })).map(
        (entry) => entry.id,
      ),
      ['3-0'],
    );
    assert.deepEqual(await redis.client.xpendingRange(key, 'g', '-', '+', 10, { idle: 60_000 }), []);
    assert.equal(await redis.client.xack(key, 'g', '1-0', '3-0', '9-0'), 2);
    assert.equal((await redis.client.xpending(key, 'g')).count, 1);
    await assert.rejects(
      redis.client.xpendingRange(key, 'g', '-', '+', 0),
      argumentError(/^XPENDING: count/),
    );
  });

  test('xclaim takes over idle entries with IDLE, TIME, RETRYCOUNT, FORCE and JUSTID', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '0', { mkstream: true });
    for (let i = 1; i <= 3; i++) await redis.client.xadd(key, `${i}-0`, { n: String(i) });
    await redis.client.xreadgroup('g', 'ann', { [key]: '>' }, { count: 2 });
    await sleep(20);
    // Not idle long enough: nothing is claimed.
    assert.deepEqual(await redis.client.xclaim(key, 'g', 'bob', 60_000, '1-0'), []);
    const claimed = await redis.client.xclaim(key, 'g', 'bob', 10, ['1-0'], { retryCount: 5, idle: 1000 });
    assert.deepEqual(plain(claimed), [{ id: '1-0', fields: { n: '1' } }]);
    const [pending] = await redis.client.xpendingRange(key, 'g', '1-0', '1-0', 1);
    assert.equal(pending.consumer, 'bob');
    assert.equal(pending.deliveries, 5);
    assert.ok(pending.idle >= 1000);
    assert.deepEqual(
      await redis.client.xclaimJustId(key, 'g', 'cat', 0, '2-0', { time: Date.now() - 5000 }),
      ['2-0'],
    );
    // 3-0 was never delivered: only FORCE claims it.
    assert.deepEqual(await redis.client.xclaimJustId(key, 'g', 'cat', 0, '3-0'), []);
    assert.deepEqual(await redis.client.xclaimJustId(key, 'g', 'cat', 0, '3-0', { force: true }), ['3-0']);
    await assert.rejects(
      redis.client.xclaim(key, 'g', 'c', 0, '1-0', { idle: 1, time: 1 }),
      argumentError(/^XCLAIM: idle and time cannot be used together/),
    );
    await assert.rejects(
      redis.client.xclaim(key, 'g', 'c', 0, []),
      argumentError(/^XCLAIM: needs at least one ID/),
    );
  });

  test('xautoclaim pages through idle entries and reports deleted ones', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '0', { mkstream: true });
    for (let i = 1; i <= 4; i++) await redis.client.xadd(key, `${i}-0`, { n: String(i) });
    await redis.client.xreadgroup('g', 'ann', { [key]: '>' });
    await redis.client.xdel(key, '2-0');
    const first = await redis.client.xautoclaim(key, 'g', 'bob', 0, '0-0', { count: 2 });
    assert.deepEqual(
      { next: first.next, entries: plain(first.entries), deleted: first.deleted },
      { next: '3-0', entries: [{ id: '1-0', fields: { n: '1' } }], deleted: ['2-0'] },
    );
    const rest = await redis.client.xautoclaimJustId(key, 'g', 'bob', 0, first.next);
    assert.deepEqual(rest, { next: '0-0', ids: ['3-0', '4-0'], deleted: [] });
    assert.deepEqual((await redis.client.xpending(key, 'g')).consumers, [{ name: 'bob', pending: 3 }]);
  });

  test('xinfoStream describes length, IDs and the first and last entries', async () => {
    const key = uniqueKey('stream');
    await redis.client.xgroupCreate(key, 'g', '$', { mkstream: true });
    const empty = await redis.client.xinfoStream(key);
    assert.equal(empty.length, 0);
    assert.equal(empty.firstEntry, null);
    assert.equal(empty.lastEntry, null);
    assert.equal(empty.lastGeneratedId, '0-0');
    await redis.client.xadd(key, '1-1', { a: '1' });
    await redis.client.xadd(key, '2-1', { b: '2' });
    await redis.client.xdel(key, '1-1');
    const info = await redis.client.xinfoStream(key);
    assert.deepEqual(
      {
        ...info,
        firstEntry: plain([info.firstEntry as StreamEntry])[0],
        lastEntry: plain([info.lastEntry as StreamEntry])[0],
      },
      {
        length: 1,
        radixTreeKeys: info.radixTreeKeys,
        radixTreeNodes: info.radixTreeNodes,
        lastGeneratedId: '2-1',
        maxDeletedEntryId: '1-1',
        entriesAdded: 2,
        recordedFirstEntryId: '2-1',
        groups: 1,
        firstEntry: { id: '2-1', fields: { b: '2' } },
        lastEntry: { id: '2-1', fields: { b: '2' } },
      },
    );
    assert.ok(info.radixTreeKeys >= 1 && info.radixTreeNodes >= 1);
    await assert.rejects(redis.client.xinfoStream(uniqueKey('missing')), { code: 'ERR' });
  });

  test('stream commands queue in pipelines and transactions with the same shapes', async () => {
    const key = uniqueKey('stream');
    const pipeline = redis.client.pipeline();
    pipeline.xadd(key, '1-1', { a: '1' });
    pipeline.xrange(key, '-', '+');
    pipeline.xlen(key);
    const [id, entries, length] = await pipeline.exec();
    assert.equal(id, '1-1');
    assert.deepEqual(plain(entries as StreamEntry[]), [{ id: '1-1', fields: { a: '1' } }]);
    assert.equal(length, 1);
    const multi = redis.client.multi();
    multi.xadd(key, '2-1', { b: '2' });
    multi.xrevrange(key, '+', '-', { count: 1 });
    const [, latest] = await multi.exec();
    assert.deepEqual(plain(latest as StreamEntry[]), [{ id: '2-1', fields: { b: '2' } }]);
  });
});

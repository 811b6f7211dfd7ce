import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { Client } from '../../src/index.js';
import { forEachProtocol, uniqueKey } from '../helpers.js';

// scanIterator, hscanIterator, sscanIterator and zscanIterator on one server, RESP2 and RESP3:
// every element comes out, filters apply, buffers views are binary-safe, small (one-page,
// compact encodings) and big (many pages) collections alike, and a page lost with its
// connection restarts the iteration rather than trusting the cursor.

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

const sorted = <T>(items: T[]): T[] => [...items].sort();

/**
 * A TCP relay in front of the real server that can drop a connection at the moment the server
 * answers, so a command is certainly written and its reply certainly lost.
 */
class Relay {
  readonly #server: Server;
  dropNextReply = false;
  drops = 0;

  constructor(target: { host: string; port: number }) {
    this.#server = createServer((client: Socket) => {
      const upstream = new (client.constructor as typeof Socket)();
      upstream.connect(target.port, target.host);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (this.dropNextReply) {
          this.dropNextReply = false;
          this.drops++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
  }

  async listen(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    const address = this.#server.address() as { port: number };
    return `redis://127.0.0.1:${address.port}`;
  }

  close(): void {
    this.#server.close();
  }
}

forEachProtocol((redis) => {
  test('scanIterator yields every matching key once it has paged through them all', async () => {
    const prefix = uniqueKey('it');
    const keys = Array.from({ length: 250 }, (_, i) => `${prefix}:${i}`);
    await redis.client.mset(keys.map((key): [string, string] => [key, 'v']));
    await redis.client.set(`${prefix}-other`, 'not matched');
    const seen = await collect(redis.client.scanIterator({ match: `${prefix}:*`, count: 20 }));
    assert.deepEqual(sorted([...new Set(seen)]), sorted(keys));
  });

  test('scanIterator filters by type', async () => {
    const prefix = uniqueKey('ittype');
    await redis.client.set(`${prefix}:string`, 'v');
    await redis.client.hset(`${prefix}:hash`, { f: 'v' });
    await redis.client.xadd(`${prefix}:stream`, '*', { f: 'v' });
    const hashes = await collect(
      redis.client.scanIterator({ match: `${prefix}:*`, type: 'hash', count: 1000 }),
    );
    assert.deepEqual(hashes, [`${prefix}:hash`]);
    const streams = await collect(
      redis.client.scanIterator({ match: `${prefix}:*`, type: 'stream', count: 1000 }),
    );
    assert.deepEqual(streams, [`${prefix}:stream`]);
  });

  test('scanIterator on a buffers view yields binary keys as Buffers', async () => {
    const tag = uniqueKey('itbin');
    const key = Buffer.concat([Buffer.from(tag), Buffer.from([0xff, 0x00, 0xfe])]);
    await redis.client.set(key, 'v');
    const seen = await collect(
      redis.client.withOptions({ buffers: true }).scanIterator({ match: `${tag}*` }),
    );
    assert.equal(seen.length, 1);
    assert.ok(Buffer.isBuffer(seen[0]));
    assert.deepEqual(seen[0], key);
  });

  test('scanIterator refuses a bad count when called, before anything is sent', () => {
    assert.throws(() => redis.client.scanIterator({ count: 0 }), {
      code: 'ERR_ARGUMENT',
      message: /^SCAN: count/,
    });
    assert.throws(() => redis.client.hscanIterator(undefined as never), { code: 'ERR_ARGUMENT' });
  });

  test('hscanIterator on a small (listpack) and a big (hashtable) hash yields every [field, value]', async () => {
    for (const size of [5, 1000]) {
      const key = uniqueKey('hash');
      const fields = Object.fromEntries(Array.from({ length: size }, (_, i) => [`f${i}`, `v${i}`]));
      await redis.client.hset(key, fields);
      assert.equal(await redis.client.objectEncoding(key), size === 5 ? 'listpack' : 'hashtable');
      const pairs = await collect(redis.client.hscanIterator(key, { count: 50 }));
      assert.deepEqual(Object.fromEntries(pairs), fields);
      if (size === 5) assert.equal(pairs.length, 5, 'a listpack hash comes whole, in one page');
    }
  });

  test('hscanIterator with match, and binary fields and values on a buffers view', async () => {
    const key = uniqueKey('hash');
    await redis.client.hset(key, [
      [Buffer.from([0xff, 0x01]), Buffer.from([0x00, 0xfe])],
      ['a:1', '1'],
      ['b:1', '2'],
    ]);
    assert.deepEqual(await collect(redis.client.hscanIterator(key, { match: 'a:*' })), [['a:1', '1']]);
    const pairs = await collect(redis.client.withOptions({ buffers: true }).hscanIterator(key));
    const binary = pairs.find(([field]) => field[0] === 0xff);
    assert.ok(binary !== undefined && Buffer.isBuffer(binary[1]));
    assert.deepEqual([...binary[1]], [0x00, 0xfe]);
  });

  test('sscanIterator on a small (intset) and a big (hashtable) set yields every member', async () => {
    const small = uniqueKey('set');
    await redis.client.sadd(small, 1, 2, 3);
    assert.equal(await redis.client.objectEncoding(small), 'intset');
    assert.deepEqual(sorted(await collect(redis.client.sscanIterator(small))), ['1', '2', '3']);
    const big = uniqueKey('set');
    const members = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    await redis.client.sadd(big, members[0], ...members.slice(1));
    assert.equal(await redis.client.objectEncoding(big), 'hashtable');
    const seen = await collect(redis.client.sscanIterator(big, { count: 100 }));
    assert.deepEqual(sorted([...new Set(seen)]), sorted(members));
    const matched = await collect(redis.client.sscanIterator(big, { match: 'm99*', count: 1000 }));
    assert.deepEqual(sorted(matched), [
      'm99',
      'm990',
      'm991',
      'm992',
      'm993',
      'm994',
      'm995',
      'm996',
      'm997',
      'm998',
      'm999',
    ]);
  });

  test('sscanIterator on a buffers view yields binary members', async () => {
    const key = uniqueKey('set');
    await redis.client.sadd(key, Buffer.from([0x80, 0x00]));
    const [member] = await collect(redis.client.withOptions({ buffers: true }).sscanIterator(key));
    assert.ok(Buffer.isBuffer(member));
    assert.deepEqual([...member], [0x80, 0x00]);
  });

  test('zscanIterator on a small (listpack) and a big (skiplist) sorted set yields { member, score }', async () => {
    const small = uniqueKey('zset');
    await redis.client.call('ZADD', small, '1.5', 'a', '-inf', 'low', '+inf', 'high');
    assert.equal(await redis.client.objectEncoding(small), 'listpack');
    const members = await collect(redis.client.zscanIterator(small));
    assert.deepEqual(
      members.map(({ member, score }) => ({ member, score })).sort((x, y) => x.score - y.score),
      [
        { member: 'low', score: Number.NEGATIVE_INFINITY },
        { member: 'a', score: 1.5 },
        { member: 'high', score: Number.POSITIVE_INFINITY },
      ],
    );
    const big = uniqueKey('zset');
    const args: Array<string | number> = [];
    for (let i = 0; i < 1000; i++) args.push(i / 4, `m${i}`);
    await redis.client.call('ZADD', big, ...args);
    assert.equal(await redis.client.objectEncoding(big), 'skiplist');
    const seen = new Map<string, number>();
    for await (const { member, score } of redis.client.zscanIterator(big, { count: 100 }))
      seen.set(member, score);
    assert.equal(seen.size, 1000);
    for (let i = 0; i < 1000; i++) assert.equal(seen.get(`m${i}`), i / 4);
  });

  test('zscanIterator on a buffers view: binary members, number scores', async () => {
    const key = uniqueKey('zset');
    await redis.client.call('ZADD', key, 2, Buffer.from([0xff]));
    const [entry] = await collect(redis.client.withOptions({ buffers: true }).zscanIterator(key));
    assert.ok(Buffer.isBuffer(entry.member));
    assert.deepEqual([...entry.member], [0xff]);
    assert.equal(entry.score, 2);
  });

  test('a view passes its options to every page: an aborted signal fails the iteration', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(collect(redis.client.withOptions({ signal: controller.signal }).scanIterator()), {
      code: 'ABORTED',
    });
  });

  test('breaking out of an iteration stops it', async () => {
    const key = uniqueKey('set');
    const members = Array.from({ length: 500 }, (_, i) => `m${i}`);
    await redis.client.sadd(key, members[0], ...members.slice(1));
    let taken = 0;
    for await (const _ of redis.client.sscanIterator(key, { count: 10 })) {
      if (++taken === 3) break;
    }
    assert.equal(taken, 3);
  });

  test('a page lost with its connection restarts the scan from cursor 0: every key, some twice', async () => {
    const relay = new Relay(redis.server);
    after(() => relay.close());
    const client = new Client({ url: await relay.listen(), resp: redis.resp });
    await client.connect();
    try {
      const prefix = uniqueKey('itlost');
      const keys = Array.from({ length: 200 }, (_, i) => `${prefix}:${i}`);
      await client.mset(keys.map((key): [string, string] => [key, 'v']));
      const seen: string[] = [];
      for await (const key of client.scanIterator({ match: `${prefix}:*`, count: 10 })) {
        seen.push(key);
        // Mid-scan, and between pages the iterator asks for the next one only when this one is used up.
        if (seen.length === 30) relay.dropNextReply = true;
      }
      assert.equal(relay.drops, 1, 'one page reply was dropped with its connection');
      assert.deepEqual(sorted([...new Set(seen)]), sorted(keys));
      assert.ok(seen.length > keys.length, 'the restart returned the first keys again');
    } finally {
      client.disconnect();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { commonSlot } from '../../src/cluster/slots.js';
import { Client, Cluster, ClusterError, type RedisArg, slotOf } from '../../src/index.js';
import { type RedisServer, startRedis } from '../../src/testing/index.js';
import { PROTOCOLS } from './cluster-helpers.js';

// slotOf against the server's own CLUSTER KEYSLOT. One cluster-enabled node is enough: KEYSLOT
// needs cluster mode, not a formed cluster. Keys are sent by a plain Client, so the server hashes
// exactly the bytes redmoon's encoder writes for each key (strings, Buffers, numbers, bigints).

/** A small seeded PRNG (mulberry32), so a failing key can be reproduced from the seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x5eedc105;

function sampleKeys(): RedisArg[] {
  const next = random(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const int = (limit: number) => Math.floor(next() * limit);
  const keys: RedisArg[] = [
    '',
    'foo',
    '123456789',
    '{}',
    '{}abc',
    'abc{}',
    '{a}b',
    'a{b}c{d}',
    '{{x}}',
    '{x}}',
    '}{x}',
    '{',
    '}',
    'a{',
    'a}b{c}',
    '{user1}.a',
    '{user1}.b',
    'user1',
    '{é}x',
    '{😀}',
    'x{日本}y',
    'ключ',
    'a'.repeat(255),
    'a'.repeat(256),
    'a'.repeat(257),
    `{tag}${'b'.repeat(300)}`,
    `${'é'.repeat(200)}{t}`,
    Buffer.alloc(0),
    Buffer.from([0x00]),
    Buffer.from([0xff, 0xfe, 0x7b, 0x80, 0x7d]),
    Buffer.from([0x7b, 0x7d, 0xc3, 0x28]),
    Buffer.from([0x7b, 0xff, 0x7d, 0x01]),
    0,
    -0,
    1,
    -1,
    42,
    2 ** 31,
    2 ** 53 - 1,
    -(2 ** 53) + 1,
    2 ** 60,
    1e21,
    0.1 + 0.2,
    -1.5,
    5e-324,
    0n,
    -7n,
    2n ** 70n,
  ];
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-{}';
  const wide = ['é', 'ß', '日', '本', '😀', '{', '}', 'a', 'z', '\u0000', '\u007f', '\u0080', '\uffff'];
  for (let i = 0; i < 300; i++) {
    const length = int(24);
    let ascii = '';
    for (let j = 0; j < length; j++) ascii += pick([...alphabet]);
    keys.push(ascii);
    let utf8 = '';
    for (let j = 0; j < length; j++) utf8 += next() < 0.5 ? pick([...alphabet]) : pick(wide);
    keys.push(utf8);
    const bytes = Buffer.alloc(int(20));
    for (let j = 0; j < bytes.length; j++) bytes[j] = next() < 0.2 ? pick([0x7b, 0x7d]) : int(256);
    keys.push(bytes);
    keys.push(int(2 ** 32) - 2 ** 31);
    keys.push((next() - 0.5) * 10 ** int(30));
    keys.push(BigInt(int(2 ** 32)) * BigInt(int(2 ** 32)) * (next() < 0.5 ? -1n : 1n));
  }
  return keys;
}

function shown(key: RedisArg): string {
  if (Buffer.isBuffer(key)) return `<Buffer ${key.toString('hex')}>`;
  if (typeof key === 'bigint') return `${key}n`;
  return typeof key === 'number' ? String(key) : JSON.stringify(key);
}

describe('slotOf against CLUSTER KEYSLOT', () => {
  let server: RedisServer | undefined;
  before(async () => {
    server = await startRedis({ config: { 'cluster-enabled': 'yes' } });
  });
  after(async () => {
    await server?.stop();
  });

  /** The server's slot of each key, asked in one pipeline. */
  async function serverSlots(client: Client, keys: readonly RedisArg[]): Promise<number[]> {
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.call('CLUSTER', 'KEYSLOT', key);
    return (await pipeline.exec()).map(Number);
  }

  function mismatches(keys: readonly RedisArg[], expected: readonly number[]): string[] {
    return keys
      .map((key, index) => ({ key, ours: slotOf(key), theirs: expected[index] }))
      .filter((entry) => entry.ours !== entry.theirs)
      .map((entry) => `${shown(entry.key)}: slotOf ${entry.ours}, server ${entry.theirs}`);
  }

  for (const resp of PROTOCOLS) {
    test(`slotOf matches the server's slot of each key's bytes: ASCII, UTF-8, binary, numeric, hash-tagged (RESP${resp})`, async () => {
      const client = new Client({ url: server!.url, resp });
      await client.connect();
      try {
        const keys = sampleKeys();
        // Sent as the bytes a key stands for (UTF-8, the Buffer itself, the number's decimal
        // text), so this checks the hash alone, whatever the encoder does.
        const expected = await serverSlots(client, keys.map(canonicalBytes));
        assert.deepEqual(mismatches(keys, expected), [], `seed ${SEED}`);
        assert.ok(keys.length > 1500);
      } finally {
        client.disconnect();
      }
    });
  }

  test('keys sent by the client hash on the server to the slot slotOf computed for them', async () => {
    // Routing is only right if the encoder writes exactly the bytes slotOf hashed.
    const client = new Client({ url: server!.url });
    await client.connect();
    try {
      const keys = sampleKeys();
      const expected = await serverSlots(client, keys);
      assert.deepEqual(mismatches(keys, expected), [], `seed ${SEED}`);
    } finally {
      client.disconnect();
    }
  });

  test('slotOf hashes infinite numbers as the encoder sends them (+inf, -inf)', async () => {
    const client = new Client({ url: server!.url });
    await client.connect();
    try {
      const keys = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      const expected = await serverSlots(client, [Buffer.from('+inf'), Buffer.from('-inf')]);
      assert.deepEqual(
        keys.map((key) => slotOf(key)),
        expected,
        'a key that is Infinity is sent as "+inf", so its slot must be that of "+inf"',
      );
    } finally {
      client.disconnect();
    }
  });
});

/** The bytes a key stands for on the wire: UTF-8 of strings, a number's decimal text. */
function canonicalBytes(key: RedisArg): Buffer {
  if (Buffer.isBuffer(key)) return key;
  if (typeof key === 'number') return Buffer.from(Object.is(key, -0) ? '0' : String(key));
  return Buffer.from(String(key), 'utf8');
}

describe('slot rules', () => {
  test('only a non-empty first {hash tag} is hashed', () => {
    assert.equal(slotOf('{user1}.a'), slotOf('user1'));
    assert.equal(slotOf('{user1}.b'), slotOf('user1'));
    assert.equal(slotOf('a{b}c{d}'), slotOf('b'));
    assert.equal(slotOf('{{x}}'), slotOf('{x'));
    assert.equal(slotOf('}{x}'), slotOf('x'));
    assert.notEqual(slotOf('{}abc'), slotOf('abc'));
    assert.equal(slotOf('{}abc'), slotOf(Buffer.from('{}abc')));
  });

  test('strings, Buffers, numbers and bigints with the same bytes share a slot', () => {
    assert.equal(slotOf('12345'), slotOf(12345));
    assert.equal(slotOf('12345'), slotOf(12345n));
    assert.equal(slotOf('é'), slotOf(Buffer.from('é', 'utf8')));
    assert.equal(slotOf('-0.5'), slotOf(-0.5));
  });

  test('every slot is within 0..16383 and the known vectors hash as the spec says', () => {
    // Vectors from the cluster spec and redis-cli: CLUSTER KEYSLOT foo = 12182, 123456789 → 12739.
    assert.equal(slotOf('foo'), 12182);
    assert.equal(slotOf('123456789'), 12739);
    assert.equal(slotOf(''), 0);
    for (let i = 0; i < 10_000; i++) {
      const slot = slotOf(`k${i}`);
      assert.ok(Number.isInteger(slot) && slot >= 0 && slot < 16384, `k${i} -> ${slot}`);
    }
  });

  test('commonSlot returns the one slot of co-located keys and -1 without keys', () => {
    assert.equal(commonSlot('MGET', ['{t}a', '{t}b', Buffer.from('{t}c')]), slotOf('t'));
    assert.equal(commonSlot('PING', []), -1);
  });

  test('a CROSSSLOT error names the command, every key and its slot, and says nothing ran', () => {
    const keys = ['alpha', '{t}beta', Buffer.from('gamma')];
    assert.throws(
      () => commonSlot('MGET', keys),
      (error: unknown) => {
        assert.ok(error instanceof ClusterError);
        assert.equal(error.code, 'CROSSSLOT');
        assert.equal(error.mayHaveRun, false);
        assert.match(error.message, /^MGET: /);
        for (const key of keys) {
          const text = Buffer.isBuffer(key) ? key.toString() : key;
          assert.ok(
            error.message.includes(`"${text}" (slot ${slotOf(key)})`),
            `message names ${text} and its slot: ${error.message}`,
          );
        }
        assert.match(error.message, /hash tag/);
        return true;
      },
    );
  });

  test('a CROSSSLOT error over many keys lists the first eight and counts the rest', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `many:${i}`);
    assert.notEqual(slotOf(keys[0]), slotOf(keys[1]));
    assert.throws(
      () => commonSlot('DEL', keys),
      (error: unknown) => {
        assert.ok(error instanceof ClusterError);
        assert.equal(error.code, 'CROSSSLOT');
        assert.ok(error.message.includes(`"many:7" (slot ${slotOf('many:7')})`));
        assert.ok(!error.message.includes('"many:8"'));
        assert.match(error.message, /and 12 more/);
        return true;
      },
    );
  });

  test('a cluster refuses cross-slot keys in MGET, DEL, EVAL and FCALL before it needs a connection', async () => {
    // Never connected, pointing nowhere: a refusal here cannot have come from a server.
    const cluster = new Cluster({ nodes: ['redis://127.0.0.1:1'] });
    const crossSlot = { name: 'ClusterError', code: 'CROSSSLOT', mayHaveRun: false };
    await assert.rejects(cluster.mget('alpha', 'beta'), crossSlot);
    await assert.rejects(cluster.del('alpha', 'beta'), crossSlot);
    await assert.rejects(cluster.eval('return 1', ['alpha', 'beta']), crossSlot);
    await assert.rejects(cluster.evalshaRo('a'.repeat(40), ['alpha', 'beta']), crossSlot);
    await assert.rejects(cluster.fcall('fn', ['alpha', 'beta']), crossSlot);
    await assert.rejects(cluster.mset({ alpha: 1, beta: 2 }), crossSlot);
    cluster.disconnect();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { CommandWriter, type EncodedName, encodeName } from '../../src/resp/encoder.js';
import type { RedisArg } from '../../src/resp/types.js';
import { Random } from './resp-fixtures.js';

/** The bytes a list of chunks puts on the wire (large strings are written by the socket as UTF-8). */
function bytesOf(chunks: ReadonlyArray<Buffer | string>): Buffer {
  return Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
}

const LARGE = 16 * 1024;
const SLAB = 64 * 1024;

const GET = encodeName('GET');
const SET = encodeName('SET');
const EVALSHA = encodeName('EVALSHA');

/** The RESP encoding of a command, built the simple way: one Buffer per part, then concatenated. */
function reference(name: string, args: readonly RedisArg[]): Buffer {
  const words = name.split(' ');
  const parts: Buffer[] = [Buffer.from(`*${words.length + args.length}\r\n`)];
  const bulk = (payload: Buffer) =>
    parts.push(Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n'));
  for (const word of words) bulk(Buffer.from(word));
  for (const arg of args) {
    if (Buffer.isBuffer(arg)) bulk(arg);
    else if (typeof arg === 'number' && !Number.isFinite(arg)) bulk(Buffer.from(arg > 0 ? '+inf' : '-inf'));
    else bulk(Buffer.from(String(arg)));
  }
  return Buffer.concat(parts);
}

/** `assert.deepEqual` for bytes, reporting the first difference instead of every byte. */
function assertBytes(actual: Buffer, expected: Buffer, message?: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  const around = (bytes: Buffer) =>
    JSON.stringify(bytes.subarray(Math.max(0, at - 40), at + 40).toString('latin1'));
  assert.fail(
    `${message ?? 'bytes differ'}: lengths ${actual.length} vs ${expected.length}, first difference at ${at}: ` +
      `${around(actual)} vs ${around(expected)}`,
  );
}

function encode(name: string, args: readonly RedisArg[]): Buffer {
  const writer = new CommandWriter();
  writer.append(encodeName(name), args, name);
  return bytesOf(writer.take());
}

function assertEncodes(name: string, args: readonly RedisArg[], wire: string | Buffer): void {
  const expected = typeof wire === 'string' ? Buffer.from(wire) : wire;
  assertBytes(encode(name, args), expected);
  assertBytes(reference(name, args), expected, 'the reference encoder agrees');
}

/**
 * Appends small commands to a new writer's first slab until fewer than `room` (at least 20) bytes
 * are left in it. Buffer arguments, because the writer reserves exactly their length.
 */
function fillSlab(writer: CommandWriter, room: number): Buffer[] {
  const expected: Buffer[] = [];
  const filler = [Buffer.alloc(1000, 'x')];
  while (SLAB - writer.pendingBytes >= room + 1100) {
    writer.append(GET, filler, 'GET');
    expected.push(reference('GET', filler));
  }
  const rest = [Buffer.alloc(SLAB - writer.pendingBytes - room - 10, 'y')];
  writer.append(GET, rest, 'GET');
  expected.push(reference('GET', rest));
  assert.ok(SLAB - writer.pendingBytes < room);
  return expected;
}

/** A new writer whose first slab has exactly `room` bytes left (room < 60000). */
function writerWithRoom(room: number): { writer: CommandWriter; expected: Buffer[] } {
  const writer = new CommandWriter();
  const expected: Buffer[] = [];
  const append = (args: RedisArg[]) => {
    writer.append(GET, args, 'GET');
    expected.push(reference('GET', args));
  };
  while (SLAB - writer.pendingBytes > room + 3000) append([Buffer.alloc(1000)]);
  // `*2\r\n$3\r\nGET\r\n` (13 bytes), `$<digits>\r\n`, the payload, `\r\n`.
  const cost = SLAB - writer.pendingBytes - room;
  let length = cost - 13 - 2 - 3 - 4;
  while (length + String(length).length + 18 < cost) length++;
  append([Buffer.alloc(length)]);
  assert.equal(SLAB - writer.pendingBytes, room);
  return { writer, expected };
}

describe('encodeName', () => {
  it('precomputes the name as text and as bytes', () => {
    const name: EncodedName = encodeName('FUNCTION LOAD');
    assert.equal(name.text, '$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n');
    assert.deepEqual(name.bytes, Buffer.from(name.text));
    assert.equal(name.words, 2);
  });
});

describe('CommandWriter encoding', () => {
  it('encodes a simple command', () => {
    assertEncodes('GET', ['key'], '*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n');
  });

  it('encodes a command without arguments', () => {
    assertEncodes('PING', [], '*1\r\n$4\r\nPING\r\n');
  });

  it('encodes a two-word name as two array elements', () => {
    assertEncodes(
      'FUNCTION LOAD',
      ['REPLACE', '#!lua name=lib'],
      '*4\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$7\r\nREPLACE\r\n$14\r\n#!lua name=lib\r\n',
    );
  });

  it('encodes an empty string and an empty Buffer as empty bulk strings', () => {
    assertEncodes('SET', ['', Buffer.alloc(0)], '*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n');
  });

  it('encodes multi-byte characters and emoji with their UTF-8 length', () => {
    assertEncodes(
      'SET',
      ['héllo', '日本語', '😀'],
      '*4\r\n$3\r\nSET\r\n$6\r\nhéllo\r\n$9\r\n日本語\r\n$4\r\n😀\r\n',
    );
  });

  it('encodes lone surrogates as Buffer.from does (U+FFFD)', () => {
    for (const value of ['\ud800', 'a\udc00b', '\ud83d', `${'x'.repeat(30)}\udfff`]) {
      assertBytes(encode('SET', [value]), reference('SET', [value]), JSON.stringify(value));
    }
    assert.ok(encode('SET', ['\ud800']).includes(Buffer.from([0xef, 0xbf, 0xbd])));
  });

  it('encodes non-ASCII strings whose byte length has more digits than their length', () => {
    // Short strings (written char by char until the first non-ASCII char) and longer ones
    // (written natively after an ASCII-sized header guess) both move the payload when needed.
    for (const value of ['é'.repeat(5), 'é'.repeat(9), 'é'.repeat(40), '日'.repeat(34), '😀'.repeat(200)]) {
      assertBytes(encode('SET', [value]), reference('SET', [value]), `${value.length} chars`);
    }
  });

  it('encodes ASCII strings around the fast-path length limits', () => {
    for (let length = 0; length < 140; length++) {
      const value = 'a'.repeat(length);
      assertBytes(encode('SET', [value, `${value}é`]), reference('SET', [value, `${value}é`]));
    }
  });

  it('encodes Buffers verbatim, \\r\\n included', () => {
    const binary = Buffer.from([0, 13, 10, 0xff, 0x24, 13, 10]);
    assertEncodes(
      'SET',
      [binary, Buffer.from('a\r\nb')],
      Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$7\r\n'), binary, Buffer.from('\r\n$4\r\na\r\nb\r\n')]),
    );
  });

  it('encodes integers as decimal digits, -0 as 0', () => {
    assertEncodes(
      'X',
      [0, -0, 7, -45, 2147483647, 2147483648, -2147483649, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53],
      '*11\r\n$1\r\nX\r\n$1\r\n0\r\n$1\r\n0\r\n$1\r\n7\r\n$3\r\n-45\r\n$10\r\n2147483647\r\n' +
        '$10\r\n2147483648\r\n$11\r\n-2147483649\r\n$16\r\n9007199254740991\r\n' +
        '$17\r\n-9007199254740991\r\n$16\r\n9007199254740992\r\n',
    );
  });

  it('encodes other numbers as String() does and infinities as Redis spells them', () => {
    assertEncodes(
      'X',
      [0.1, -2.5, 1e21, 1.5e-7, Number.MAX_VALUE, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      '*8\r\n$1\r\nX\r\n$3\r\n0.1\r\n$4\r\n-2.5\r\n$5\r\n1e+21\r\n$6\r\n1.5e-7\r\n' +
        '$23\r\n1.7976931348623157e+308\r\n$4\r\n+inf\r\n$4\r\n-inf\r\n',
    );
  });

  it('encodes bigints as decimal digits', () => {
    assertEncodes(
      'X',
      [2n ** 64n, -(2n ** 64n), 0n],
      '*4\r\n$1\r\nX\r\n$20\r\n18446744073709551616\r\n$21\r\n-18446744073709551616\r\n$1\r\n0\r\n',
    );
  });
});

describe('CommandWriter batching', () => {
  it('returns many appended commands, in order, from one take()', () => {
    const writer = new CommandWriter();
    const expected: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const args = [`key:${i}`, i, Buffer.from([i & 0xff])];
      writer.append(SET, args, 'SET');
      expected.push(reference('SET', args));
    }
    const chunks = writer.take();
    assert.equal(chunks.length, 1);
    assertBytes(bytesOf(chunks), Buffer.concat(expected));
  });

  it('encodes a string repeated from command to command, and its neighbours, as given', () => {
    // A sha in every EVALSHA is encoded once and copied after; strings of the same length but
    // other content, multi-byte ones and one that was kept before must not be confused with it.
    const random = new Random(0x5a1);
    const pool = [
      'a'.repeat(40),
      'b'.repeat(40),
      `${'a'.repeat(39)}b`,
      `é${'a'.repeat(39)}`,
      '€'.repeat(30),
      'x'.repeat(128),
      'y'.repeat(129),
      'short',
    ];
    const writer = new CommandWriter();
    const expected: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      // Runs of one string, then a switch: what the writer keeps changes many times.
      const sha = pool[Math.floor(i / (1 + random.int(4))) % pool.length];
      const args = [sha, 1, `key:${i}`, random.pick(pool)];
      writer.append(EVALSHA, args, 'EVALSHA');
      expected.push(reference('EVALSHA', args));
      // Slabs are reused: bytes kept from one must survive the next.
      if (random.int(50) === 0) {
        assertBytes(bytesOf(writer.take()), Buffer.concat(expected.splice(0)), `at ${i}`);
      }
    }
    assertBytes(bytesOf(writer.take()), Buffer.concat(expected));
  });

  it('starts the slab over once what was taken is released, and never over pending bytes', () => {
    const writer = new CommandWriter();
    writer.append(SET, ['a', 'first'], 'SET');
    const [first] = writer.take() as Buffer[];
    assertBytes(first, reference('SET', ['a', 'first']));
    // Released while nothing is pending: the next command is written where the first one was.
    writer.released();
    writer.append(SET, ['b', 'second'], 'SET');
    const [second] = writer.take() as Buffer[];
    assert.equal(second.buffer, first.buffer, 'the same slab');
    assert.equal(second.byteOffset, first.byteOffset, 'from its start again');
    assertBytes(second, reference('SET', ['b', 'second']));
    // Released with a command pending (appended, not yet taken): nothing moves.
    writer.append(SET, ['c', 'third'], 'SET');
    writer.released();
    writer.append(SET, ['d', 'fourth'], 'SET');
    assertBytes(
      bytesOf(writer.take()),
      Buffer.concat([reference('SET', ['c', 'third']), reference('SET', ['d', 'fourth'])]),
    );
  });

  it('returns a single segment as a one-element array of Buffers', () => {
    const writer = new CommandWriter();
    writer.append(GET, ['k'], 'GET');
    const chunks = writer.take();
    assert.ok(Array.isArray(chunks));
    assert.equal(chunks.length, 1);
    assert.ok(Buffer.isBuffer(chunks[0]));
  });

  it('continues a command that does not fit the rest of the slab in a new slab', () => {
    const writer = new CommandWriter();
    const expected = fillSlab(writer, 100);
    const args = ['z'.repeat(3000), 42];
    writer.append(SET, args, 'SET');
    expected.push(reference('SET', args));
    const chunks = writer.take();
    assert.equal(chunks.length, 2);
    assertBytes(bytesOf(chunks), Buffer.concat(expected));
  });

  it('encodes every kind of argument right at the end of a slab', () => {
    // Typed-array stores past the end are dropped silently, so a command that ends a slab is
    // checked for every room around its exact size.
    const samples: RedisArg[] = [
      '',
      'k',
      'k'.repeat(10),
      `${'k'.repeat(20)}é`,
      'k'.repeat(100),
      'é'.repeat(100),
      'é'.repeat(6000),
      'k'.repeat(10000),
      'k'.repeat(LARGE),
      123456789,
      -1.5e-300,
      2n ** 100n,
      Buffer.alloc(100, 1),
      Buffer.alloc(LARGE - 1, 2),
      Buffer.alloc(LARGE, 3),
    ];
    for (const sample of samples) {
      const args = [sample, 'k', sample];
      const size = reference('SET', args).length;
      for (let room = Math.max(0, size - 24); room <= size + 24; room++) {
        const { writer, expected } = writerWithRoom(room);
        writer.append(SET, args, 'SET');
        expected.push(reference('SET', args));
        assertBytes(bytesOf(writer.take()), Buffer.concat(expected), `${typeof sample} in ${room} bytes`);
      }
    }
  });

  it('never writes again over bytes handed out by take()', () => {
    const writer = new CommandWriter();
    writer.append(GET, ['first'], 'GET');
    const first = writer.take()[0] as Buffer;
    const snapshot = Buffer.from(first);
    for (let i = 0; i < 5000; i++) writer.append(SET, [`key:${i}`, 'v'.repeat(i % 100)], 'SET');
    writer.clear();
    for (let i = 0; i < 5000; i++) writer.append(GET, [`other:${i}`], 'GET');
    writer.take();
    assertBytes(first, snapshot);
  });

  it('sends arguments of 16 KiB or more as chunks of their own, in order', () => {
    const writer = new CommandWriter();
    const bigBuffer = Buffer.alloc(LARGE, 'b');
    const bigString = 's'.repeat(LARGE);
    const commands: [EncodedName, string, RedisArg[]][] = [
      [GET, 'GET', ['before']],
      [SET, 'SET', ['k1', bigBuffer]],
      [SET, 'SET', [bigString, 'v']],
      [GET, 'GET', ['after']],
    ];
    for (const [name, text, args] of commands) writer.append(name, args, text);
    const chunks = writer.take();
    assert.deepEqual(bytesOf(chunks), Buffer.concat(commands.map(([, text, args]) => reference(text, args))));
    assert.equal(chunks.length, 5);
    assert.equal(chunks[1], bigBuffer, 'the Buffer itself, not a copy');
    assert.equal(chunks[3], bigString, 'the string itself, encoded by the socket');
    assert.ok(chunks[0].toString().endsWith(`$${LARGE}\r\n`));
    assert.ok(chunks[2].toString().startsWith('\r\n*3\r\n'));
  });

  it('copies arguments just under 16 KiB into the slab', () => {
    const writer = new CommandWriter();
    const args = [Buffer.alloc(LARGE - 1, 'b'), 'é'.repeat((LARGE - 2) / 2), '日'.repeat(5400)];
    writer.append(SET, args, 'SET');
    const chunks = writer.take();
    assert.equal(chunks.length, 1);
    assertBytes(bytesOf(chunks), reference('SET', args));
  });

  it('sends a string shorter than 16 KiB chars but longer in UTF-8 as its own chunk', () => {
    const writer = new CommandWriter();
    const value = '日'.repeat(6000);
    writer.append(SET, ['k', value], 'SET');
    const chunks = writer.take();
    assert.equal(chunks.length, 3);
    assert.equal(typeof chunks[1], 'string', 'a large string is handed to the socket as is');
    assertBytes(Buffer.from(chunks[1]), Buffer.from(value));
    assertBytes(bytesOf(chunks), reference('SET', ['k', value]));
  });

  it('does not copy a 64 MiB Buffer argument', () => {
    const writer = new CommandWriter();
    const huge = Buffer.allocUnsafe(64 * 1024 * 1024);
    writer.append(SET, ['k', huge], 'SET');
    assert.ok(writer.pendingBytes > huge.length);
    const chunks = writer.take();
    const chunk = chunks.find((c) => c.length === huge.length) as Buffer | undefined;
    assert.ok(chunk !== undefined);
    assert.equal(chunk.buffer, huge.buffer);
    assert.equal(chunk.byteOffset, huge.byteOffset);
    assert.ok(chunks.every((c) => c === huge || c.length < 100));
  });

  it('returns nothing from a take() right after a take()', () => {
    const writer = new CommandWriter();
    writer.append(GET, ['k'], 'GET');
    writer.take();
    assert.equal(writer.isEmpty, true);
    assert.equal(writer.pendingBytes, 0);
    assert.deepEqual(writer.take(), []);
  });

  it('drops everything pending on clear(), large chunks included', () => {
    const writer = new CommandWriter();
    writer.append(GET, ['dropped'], 'GET');
    writer.append(SET, ['k', Buffer.alloc(LARGE)], 'SET');
    writer.clear();
    assert.equal(writer.isEmpty, true);
    assert.equal(writer.pendingBytes, 0);
    writer.append(GET, ['kept'], 'GET');
    assertBytes(bytesOf(writer.take()), reference('GET', ['kept']));
  });

  it('counts pending bytes exactly, large arguments included', () => {
    const writer = new CommandWriter();
    assert.equal(writer.isEmpty, true);
    const args: RedisArg[] = ['k', Buffer.alloc(LARGE), 'é', 12];
    writer.append(SET, args, 'SET');
    assert.equal(writer.isEmpty, false);
    assert.equal(writer.pendingBytes, reference('SET', args).length);
  });
});

describe('CommandWriter refusals', () => {
  const refused: [unknown, string][] = [
    [undefined, 'undefined'],
    [null, 'null'],
    [Number.NaN, 'NaN'],
    [{}, 'an object (Object)'],
    [[], 'an array'],
    [true, 'a boolean'],
    [new Uint8Array(1), 'an object (Uint8Array)'],
    [() => 1, 'a function'],
    [Symbol('s'), 'a symbol'],
  ];

  for (const [value, described] of refused) {
    it(`refuses ${described} at any position and leaves the batch as it was`, () => {
      const writer = new CommandWriter();
      writer.append(GET, ['before'], 'GET');
      const before = writer.pendingBytes;
      const good: RedisArg[] = ['k', Buffer.alloc(LARGE), 'v'.repeat(LARGE), 1.5, 2n];
      for (let index = 0; index <= good.length; index++) {
        const args = [...good] as unknown[];
        args.splice(index, 0, value);
        assert.throws(
          () => writer.append(SET, args as RedisArg[], 'SET'),
          (error: unknown) =>
            error instanceof ArgumentError &&
            error.message ===
              `SET: argument ${index + 1} is ${described}; expected a string, Buffer, finite number or bigint`,
        );
        assert.equal(writer.pendingBytes, before);
      }
      writer.append(GET, ['after'], 'GET');
      assert.deepEqual(
        bytesOf(writer.take()),
        Buffer.concat([reference('GET', ['before']), reference('GET', ['after'])]),
      );
    });
  }

  it('keeps a full slab untouched when a command is refused', () => {
    const writer = new CommandWriter();
    const expected = fillSlab(writer, 50);
    const before = writer.pendingBytes;
    assert.throws(() => writer.append(SET, ['x'.repeat(500), undefined as unknown as RedisArg], 'SET'));
    assert.equal(writer.pendingBytes, before);
    writer.append(GET, ['after'], 'GET');
    expected.push(reference('GET', ['after']));
    assertBytes(bytesOf(writer.take()), Buffer.concat(expected));
  });
});

describe('CommandWriter against a reference encoder', () => {
  function randomString(random: Random, length: number): string {
    const kind = random.int(4);
    if (kind === 0) return 'k'.repeat(length);
    let value = '';
    for (let i = 0; i < length; i++) {
      const roll = random.int(20);
      if (kind === 1 || roll < 14) value += String.fromCharCode(32 + random.int(95));
      else if (roll < 16) value += String.fromCharCode(0x80 + random.int(0x780));
      else if (roll < 18) value += String.fromCharCode(0x800 + random.int(0xd000));
      else if (roll < 19) value += '😀';
      else value += String.fromCharCode(0xd800 + random.int(0x800));
    }
    return value;
  }

  function randomLength(random: Random): number {
    const roll = random.int(100);
    if (roll < 70) return random.int(30);
    if (roll < 90) return random.int(300);
    if (roll < 97) return random.int(6000);
    return LARGE - 8 + random.int(16);
  }

  function randomArg(random: Random): RedisArg {
    switch (random.int(8)) {
      case 0:
      case 1:
      case 2:
        return randomString(random, randomLength(random));
      case 3:
        return random.bytes(randomLength(random));
      case 4:
        return (random.int(2) ? -1 : 1) * random.int(2 ** random.int(54));
      case 5:
        return random.pick([0.1, -0, 1e21, 3.25, -1e-9, 2 ** 60, Number.POSITIVE_INFINITY, -Infinity]);
      case 6:
        return BigInt(random.int(2 ** 31)) ** BigInt(1 + random.int(4)) * (random.int(2) ? -1n : 1n);
      default:
        return `key:${random.int(100000)}`;
    }
  }

  it('produces the same bytes for 5000 random commands with random takes, clears and refusals', () => {
    const random = new Random(0x5eed);
    const names = ['GET', 'SET', 'EVALSHA', 'FUNCTION LOAD', 'X'];
    const encodedNames = new Map(names.map((name) => [name, encodeName(name)]));
    const writer = new CommandWriter();
    const sent: Buffer[] = [];
    const expected: Buffer[] = [];
    let pending: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const name = random.pick(names);
      const args = Array.from({ length: random.int(6) }, () => randomArg(random));
      if (random.int(50) === 0) {
        const bad = random.pick([undefined, null, Number.NaN, {}, false]) as unknown as RedisArg;
        args.splice(random.int(args.length + 1), 0, bad);
        const before = writer.pendingBytes;
        assert.throws(() => writer.append(encodedNames.get(name)!, args, name), ArgumentError);
        assert.equal(writer.pendingBytes, before);
      } else {
        writer.append(encodedNames.get(name)!, args, name);
        pending.push(reference(name, args));
      }
      const roll = random.int(100);
      if (roll < 10) {
        const chunks = writer.take();
        assert.ok(chunks.every((chunk) => chunk.length > 0));
        // Kept as views and compared at the end: a writer that wrote again over bytes it had
        // handed out would show up as a mismatch.
        for (const chunk of chunks) sent.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        expected.push(...pending);
        pending = [];
      } else if (roll === 10) {
        writer.clear();
        pending = [];
      } else if (roll < 14) {
        // Commands appended after a mark and rolled back leave no byte behind, across slabs and
        // large arguments alike.
        const mark = writer.mark();
        const before = writer.pendingBytes;
        for (let j = random.int(40); j > 0; j--) {
          const extra = Array.from({ length: 1 + random.int(4) }, () => randomArg(random));
          writer.append(encodedNames.get(name)!, extra, name);
        }
        writer.rollback(mark);
        assert.equal(writer.pendingBytes, before);
      }
    }
    for (const chunk of writer.take()) sent.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    expected.push(...pending);
    assertBytes(Buffer.concat(sent), Buffer.concat(expected));
  });

  it('produces the same bytes when commands repeat their first argument (the sha and prefix caches)', () => {
    const random = new Random(0xcafe);
    // Shorter than the char-by-char limit, a sha, the longest string kept, one longer, non-ASCII.
    const firsts: RedisArg[] = [
      'short',
      'a'.repeat(40),
      'b'.repeat(40),
      'c'.repeat(128),
      'd'.repeat(129),
      'é'.repeat(30),
      7,
      Buffer.from('f'.repeat(40)),
    ];
    const names = ['EVALSHA', 'EVALSHA_RO', 'FCALL', 'SCRIPT EXISTS'];
    const encodedNames = new Map(names.map((name) => [name, encodeName(name)]));
    const writer = new CommandWriter();
    const sent: Buffer[] = [];
    const expected: Buffer[] = [];
    let pending: Buffer[] = [];
    let first = firsts[1];
    let name = 'EVALSHA';
    for (let i = 0; i < 5000; i++) {
      // Mostly the same command on the same first argument, as a stream of EVALSHA is.
      if (random.int(8) === 0) first = random.pick(firsts);
      if (random.int(8) === 0) name = random.pick(names);
      const rest = Array.from({ length: random.int(4) }, () => randomArg(random));
      const args = [first, ...rest];
      writer.append(encodedNames.get(name)!, args, name);
      pending.push(reference(name, args));
      const roll = random.int(100);
      if (roll < 10) {
        for (const chunk of writer.take()) sent.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        expected.push(...pending);
        pending = [];
      } else if (roll === 10) {
        writer.clear();
        pending = [];
      }
    }
    for (const chunk of writer.take()) sent.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    expected.push(...pending);
    assertBytes(Buffer.concat(sent), Buffer.concat(expected));
  });
});

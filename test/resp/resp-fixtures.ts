import { type ProtocolError, ReplyError } from '../../src/errors.js';
import { Decoder } from '../../src/resp/decoder.js';
import type { RespValue } from '../../src/resp/types.js';

/** What a decoder delivered, in order: replies and push frames interleaved as they arrived. */
export type Delivery = { reply: RespValue | ProtocolError } | { push: RespValue[] | ProtocolError };

/** A decoder that records what it delivers. */
export function recordingDecoder(options: { returnBuffers?: boolean } = {}): {
  decoder: Decoder;
  deliveries: Delivery[];
} {
  const deliveries: Delivery[] = [];
  const decoder = new Decoder({
    onReply: (reply) => deliveries.push({ reply }),
    onPush: (push) => deliveries.push({ push }),
  });
  decoder.returnBuffers = options.returnBuffers ?? false;
  return { decoder, deliveries };
}

/** Feeds `bytes` in consecutive chunks ending at each of `cuts` (ascending offsets). */
/**
 * Feeds `bytes` cut at `cuts`, each piece through one reused buffer that is scribbled over after
 * every feed — as the connection does (it reads every socket into one buffer). A decoder that
 * kept a view of a chunk past feed() would deliver the scribble.
 */
export function feedInChunks(decoder: Decoder, bytes: Buffer, cuts: readonly number[]): void {
  let start = 0;
  for (const cut of cuts) {
    if (cut > start) feedBorrowed(decoder, bytes, start, cut);
    start = cut;
  }
  if (start < bytes.length) feedBorrowed(decoder, bytes, start, bytes.length);
}

let borrowed = Buffer.alloc(64 * 1024);

/** Feeds `bytes[start, end)` from the reused buffer, then scribbles over it; returns feed()'s result. */
export function feedBorrowed(decoder: Decoder, bytes: Buffer, start = 0, end = bytes.length): number {
  if (end - start > borrowed.length) borrowed = Buffer.alloc(end - start);
  const length = bytes.copy(borrowed, 0, start, end);
  try {
    return decoder.feed(borrowed.subarray(0, length));
  } finally {
    borrowed.fill(0xee, 0, length);
  }
}

/** A small seeded PRNG (mulberry32), so fuzz failures can be replayed from their seed. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** Random ascending cut points splitting `length` bytes into chunks of 1 to `maxChunk` bytes. */
export function randomCuts(random: Random, length: number, maxChunk: number): number[] {
  const cuts: number[] = [];
  for (let at = 1 + random.int(maxChunk); at < length; at += 1 + random.int(maxChunk)) cuts.push(at);
  return cuts;
}

/** A value to encode, and what decoding it must give. */
export interface Sample {
  wire: Buffer;
  expected: RespValue;
}

const crlf = '\r\n';

function line(type: string, content: string | number | bigint): Buffer {
  return Buffer.from(`${type}${content}${crlf}`);
}

function blob(type: string, payload: Buffer): Buffer {
  return Buffer.concat([line(type, payload.length), payload, Buffer.from(crlf)]);
}

/**
 * Generates a random valid RESP3 value with its encoding, nested up to `depth` aggregates
 * deep. Blob strings decode to Buffers when `buffers` is set (then any bytes are fair), and to
 * strings otherwise (then only valid UTF-8 is generated, as a string round-trips only then).
 */
export function randomSample(random: Random, depth: number, buffers: boolean): Sample {
  const kind = random.int(depth > 0 ? 16 : 11);
  switch (kind) {
    case 0: {
      const text = randomText(random, 12).replace(/[\r\n]/g, ' ');
      return { wire: line('+', text), expected: text };
    }
    case 1: {
      const payload = buffers ? random.bytes(random.int(40)) : Buffer.from(randomText(random, 40));
      return { wire: blob('$', payload), expected: buffers ? payload : payload.toString('utf8') };
    }
    case 2: {
      const value = randomInteger(random);
      const expected =
        typeof value === 'bigint' && value >= -(2n ** 53n - 1n) && value <= 2n ** 53n - 1n
          ? Number(value)
          : value;
      return { wire: line(':', value), expected };
    }
    case 3: {
      const value = randomDouble(random);
      const text = Number.isNaN(value)
        ? 'nan'
        : value === Infinity
          ? 'inf'
          : value === -Infinity
            ? '-inf'
            : value;
      return { wire: line(',', text), expected: value };
    }
    case 4: {
      const value = random.int(2) === 0;
      return { wire: line('#', value ? 't' : 'f'), expected: value };
    }
    case 5:
      return random.int(2) === 0
        ? { wire: Buffer.from(`_${crlf}`), expected: null }
        : { wire: Buffer.from(`$-1${crlf}`), expected: null };
    case 6: {
      const value =
        (random.int(2) === 0 ? -1n : 1n) * 10n ** BigInt(random.int(40)) + BigInt(random.int(1000));
      return { wire: line('(', value), expected: value };
    }
    case 7: {
      const text = `ERR ${randomText(random, 20).replace(/[\r\n]/g, ' ')}`;
      return { wire: line('-', text), expected: new ReplyError(text) };
    }
    case 8: {
      const text = randomText(random, 20);
      return { wire: blob('=', Buffer.from(`txt:${text}`)), expected: buffers ? Buffer.from(text) : text };
    }
    case 9: {
      const text = `ERR ${randomText(random, 20)}`;
      return { wire: blob('!', Buffer.from(text)), expected: new ReplyError(text) };
    }
    case 10:
      return { wire: Buffer.from(`*-1${crlf}`), expected: null };
    case 11:
    case 12: {
      const items = randomItems(random, depth, buffers, 5);
      return {
        wire: Buffer.concat([line(kind === 11 ? '*' : '~', items.length), ...items.map((item) => item.wire)]),
        expected: items.map((item) => item.expected),
      };
    }
    case 13: {
      // Keys are unique simple strings, so the expected Map has one entry per pair.
      const count = random.int(4);
      const parts = [line('%', count)];
      const expected = new Map<RespValue, RespValue>();
      for (let i = 0; i < count; i++) {
        const key = `k${i}`;
        const value = randomSample(random, depth - 1, buffers);
        parts.push(line('+', key), value.wire);
        expected.set(key, value.expected);
      }
      return { wire: Buffer.concat(parts), expected };
    }
    default: {
      // An attribute, which the decoder drops, before a value.
      const attribute = randomItems(random, depth, buffers, 2);
      const value = randomSample(random, depth - 1, buffers);
      return {
        wire: Buffer.concat([
          line('|', attribute.length),
          ...attribute.flatMap((item) => [line('+', 'meta'), item.wire]),
          value.wire,
        ]),
        expected: value.expected,
      };
    }
  }
}

/**
 * A top-level reply or, one time in five, a RESP3 push frame, with the delivery it must give.
 */
export function randomDelivery(
  random: Random,
  depth: number,
  buffers: boolean,
): { wire: Buffer; expected: Delivery } {
  if (random.int(5) !== 0) {
    const sample = randomSample(random, depth, buffers);
    return { wire: sample.wire, expected: { reply: sample.expected } };
  }
  const items = randomItems(random, depth, buffers, 4);
  return {
    wire: Buffer.concat([line('>', items.length), ...items.map((item) => item.wire)]),
    expected: { push: items.map((item) => item.expected) },
  };
}

function randomItems(random: Random, depth: number, buffers: boolean, max: number): Sample[] {
  return Array.from({ length: random.int(max) }, () => randomSample(random, depth - 1, buffers));
}

const TEXT_POOL = ['a', 'b', 'z', '0', ' ', ':', '\r', '\n', 'é', '€', '😀', '中'];

function randomText(random: Random, maxLength: number): string {
  let text = '';
  const length = random.int(maxLength);
  for (let i = 0; i < length; i++) text += random.pick(TEXT_POOL);
  return text;
}

function randomInteger(random: Random): number | bigint {
  switch (random.int(4)) {
    case 0:
      return random.int(100) - 50;
    case 1:
      return Math.floor((random.next() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
    case 2:
      return BigInt.asIntN(64, BigInt(random.int(2 ** 32)) * BigInt(random.int(2 ** 32)) * 3n);
    default:
      return BigInt(random.pick([-1, 1])) * (2n ** 53n + BigInt(random.int(1000) - 500));
  }
}

function randomDouble(random: Random): number {
  switch (random.int(5)) {
    case 0:
      return random.pick([Infinity, -Infinity, Number.NaN]);
    case 1:
      return random.int(1000) - 500;
    default:
      return (random.next() - 0.5) * 10 ** (random.int(40) - 20);
  }
}

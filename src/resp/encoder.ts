import { ArgumentError } from '../errors.js';
import type { RedisArg } from './types.js';

/** Size of each slab that small arguments are encoded into. */
const SLAB_BYTES = 64 * 1024;

/**
 * Arguments at least this long are written as their own chunk instead of being copied into the
 * slab, so a 64 MiB value is never copied or re-encoded with its neighbours.
 */
const LARGE_ARG_BYTES = 16 * 1024;

/**
 * Strings up to this many UTF-16 units are written char by char from JS (the ASCII fast path);
 * longer ones go through `buf.write`, whose fixed call cost (~50 ns on Node 20) pays off there.
 */
const ASCII_LOOP_MAX = 24;

/** Strings up to this many UTF-16 units are below `LARGE_ARG_BYTES` whatever their UTF-8 length. */
const SMALL_STRING_MAX = Math.floor((LARGE_ARG_BYTES - 1) / 3);

/** Longer strings are not kept by `#writeRepeatable` (a sha is 40, a function name a few dozen). */
const MAX_REPEATED_LENGTH = 128;

/** Room for a bulk string's framing: `$`, up to 10 length digits, `\r\n`, and the closing `\r\n`. */
const BULK_FRAMING_BYTES = 16;

/** The longest `String(number)`, e.g. `-1.7976931348623157e+308` (24 bytes), plus framing. */
const NUMBER_BULK_BYTES = 24 + BULK_FRAMING_BYTES;

const DOLLAR = 0x24;
const STAR = 0x2a;
const MINUS = 0x2d;
const ZERO = 0x30;
const CR = 0x0d;
const LF = 0x0a;

/** Redis spells infinities `+inf`/`-inf` (ZADD scores, ZRANGEBYSCORE bounds). */
const PLUS_INF = '+inf';
const MINUS_INF = '-inf';

/**
 * The encoded form of a command name (which may be two words, `FUNCTION LOAD`), built once per
 * command description and reused for every call.
 */
export interface EncodedName {
  /** `$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n` */
  readonly text: string;
  /** `text` as bytes, copied into the slab for every call. */
  readonly bytes: Buffer;
  /** How many array elements the name takes (1 or 2). */
  readonly words: number;
}

export function encodeName(name: string): EncodedName {
  const words = name.split(' ');
  let text = '';
  for (const word of words) text += `$${Buffer.byteLength(word)}\r\n${word}\r\n`;
  return { text, bytes: Buffer.from(text), words: words.length };
}

/** A position of a `CommandWriter` (see `mark`). */
export interface WriterMark {
  readonly slab: Buffer;
  readonly start: number;
  readonly end: number;
  readonly chunks: number;
  readonly chunkBytes: number;
}

/**
 * Accumulates encoded commands, as bytes, until the connection flushes them.
 *
 * Layout — one slab is written at a time; `take()` hands out `slab[start, end)` without copying:
 *
 *   slab: [ handed out by take(), maybe still queued in the socket | start .. end: pending | free ]
 *
 * Bytes before `start` belong to the socket and are never written again: when a command does not
 * fit in the free space, the pending segment moves to `#chunks` and a new slab is started (the old
 * one lives on only while the socket holds it). Arguments of `LARGE_ARG_BYTES` or more are not
 * copied: the segment before them is closed and they become chunks of their own, in order.
 *
 * Invariant: a command is appended whole or not at all — `append` validates every argument
 * before writing a byte, so a refused argument can never leave half a command on the wire.
 */
export class CommandWriter {
  #slab: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  /** Closed slab segments and large arguments, in wire order, all before `slab[start, end)`. */
  #chunks: Array<Buffer | string> = [];
  #chunkBytes = 0;
  /** The string last seen by #writeRepeatable, and the one whose framed bytes are kept. */
  #candidate: string | undefined = undefined;
  #repeated: string | undefined = undefined;
  #repeatedBytes: Buffer | undefined = undefined;
  /** The framed start (`*N`, name, first argument) of the last command that began with `#repeated`. */
  #prefixArg: RedisArg | undefined = undefined;
  #prefixName: EncodedName | undefined = undefined;
  #prefixArgs = 0;
  #prefixBytes: Buffer | undefined = undefined;

  /** Bytes waiting to be flushed. */
  get pendingBytes(): number {
    return this.#chunkBytes + this.#end - this.#start;
  }

  get isEmpty(): boolean {
    return this.#end === this.#start && this.#chunks.length === 0;
  }

  /**
   * Encodes `name args...` as a RESP array of bulk strings.
   * @throws ArgumentError naming the command and the argument's position when an argument is not
   * a string, Buffer, number other than NaN, or bigint.
   */
  append(name: EncodedName, args: readonly RedisArg[], commandName: string): void {
    // One pass checks every argument and bounds the command's size: when it fits in the slab and
    // no argument is large (the common case), it is written with no further size checks.
    const nameBytes = name.bytes;
    let bound = nameBytes.length + BULK_FRAMING_BYTES;
    let small = true;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string') {
        if (arg.length > SMALL_STRING_MAX) small = false;
        bound += arg.length * 3 + BULK_FRAMING_BYTES;
      } else if (typeof arg === 'number') {
        if (Number.isNaN(arg)) throw argumentError(commandName, i, arg);
        bound += NUMBER_BULK_BYTES;
      } else if (!isRedisArg(arg)) {
        throw argumentError(commandName, i, arg);
      } else if (typeof arg === 'bigint' || arg.length >= LARGE_ARG_BYTES) {
        small = false;
      } else {
        bound += arg.length + BULK_FRAMING_BYTES;
      }
    }
    if (small && this.#end + bound <= this.#slab.length) this.#appendSmall(name, args);
    else this.#appendAny(name, args);
  }

  /** `append` for a command that fits in the slab's free space and has no large argument. */
  #appendSmall(name: EncodedName, args: readonly RedisArg[]): void {
    const slab = this.#slab;
    let pos = this.#end;
    const first = args[0];
    let i = 0;
    if (first === this.#prefixArg && name === this.#prefixName && args.length === this.#prefixArgs) {
      // The same command on the same repeated first argument (EVALSHA of one script): its array
      // header, name and first argument are one copy.
      pos = copyBytes(this.#prefixBytes!, slab, pos);
      i = 1;
    } else {
      const start = pos;
      slab[pos++] = STAR;
      pos = writeLength(slab, pos, name.words + args.length);
      pos = copyBytes(name.bytes, slab, pos);
      if (first !== undefined && first === this.#repeated) {
        pos = copyBytes(this.#repeatedBytes!, slab, pos);
        i = 1;
        this.#prefixArg = first;
        this.#prefixName = name;
        this.#prefixArgs = args.length;
        this.#prefixBytes = Buffer.from(slab.subarray(start, pos));
      }
    }
    for (; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string') {
        pos =
          arg.length <= ASCII_LOOP_MAX
            ? writeShortString(slab, pos, arg)
            : this.#writeRepeatable(slab, pos, arg);
      } else if (typeof arg === 'number') {
        pos = writeNumber(slab, pos, arg);
      } else {
        pos = writeBufferBulk(slab, pos, arg as Buffer);
      }
    }
    this.#end = pos;
  }

  /** `append` for any command of checked arguments: large ones become chunks of their own. */
  #appendAny(name: EncodedName, args: readonly RedisArg[]): void {
    const nameBytes = name.bytes;
    let slab = this.#slab;
    let pos = this.#end;
    if (pos + nameBytes.length + BULK_FRAMING_BYTES > slab.length) {
      slab = this.#startSlab(pos, nameBytes.length + BULK_FRAMING_BYTES);
      pos = 0;
    }
    slab[pos++] = STAR;
    pos = writeLength(slab, pos, name.words + args.length);
    pos = copyBytes(nameBytes, slab, pos);

    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      // `need` is an upper bound of the bytes this argument takes in the slab.
      let need: number;
      let large: Buffer | string | undefined;
      // UTF-8 length of a string argument, when it had to be measured to tell whether it is large.
      let byteLength = -1;
      if (typeof arg === 'string') {
        // Each UTF-16 unit takes 1 to 3 bytes in UTF-8.
        const length = arg.length;
        if (length * 3 < LARGE_ARG_BYTES) {
          need = length * 3 + BULK_FRAMING_BYTES;
        } else if (length < LARGE_ARG_BYTES && (byteLength = Buffer.byteLength(arg)) < LARGE_ARG_BYTES) {
          need = byteLength + BULK_FRAMING_BYTES;
        } else {
          // Kept a string: the socket encodes it natively within its writev, with no JavaScript
          // Buffer allocated per value (measured: 16 KiB SET+GET 1.4x faster than Buffer.from).
          large = arg;
          if (byteLength < 0) byteLength = Buffer.byteLength(arg);
          need = BULK_FRAMING_BYTES;
        }
      } else if (typeof arg === 'number' || typeof arg === 'bigint') {
        need = NUMBER_BULK_BYTES;
      } else if (arg.length < LARGE_ARG_BYTES) {
        need = arg.length + BULK_FRAMING_BYTES;
      } else {
        large = arg;
        need = BULK_FRAMING_BYTES;
      }
      if (pos + need > slab.length) {
        // Near the end of the slab, measure a string rather than reserve three bytes per char.
        if (typeof arg === 'string' && byteLength < 0 && large === undefined) {
          byteLength = Buffer.byteLength(arg);
          need = byteLength + BULK_FRAMING_BYTES;
        }
        if (pos + need > slab.length) {
          slab = this.#startSlab(pos, need);
          pos = 0;
        }
      }

      if (large !== undefined) {
        const largeBytes = typeof large === 'string' ? byteLength : large.length;
        slab[pos++] = DOLLAR;
        pos = writeLength(slab, pos, largeBytes);
        this.#closeSegment(pos);
        this.#chunks.push(large);
        this.#chunkBytes += largeBytes;
        slab[pos++] = CR;
        slab[pos++] = LF;
      } else if (typeof arg === 'string') {
        if (byteLength >= 0) pos = writeUtf8Bulk(slab, pos, arg, byteLength);
        else if (arg.length <= ASCII_LOOP_MAX) pos = writeShortString(slab, pos, arg);
        else pos = this.#writeRepeatable(slab, pos, arg);
      } else if (typeof arg === 'number') {
        pos = writeNumber(slab, pos, arg);
      } else if (typeof arg === 'bigint') {
        pos = writeAsciiBulk(slab, pos, arg.toString());
      } else {
        pos = writeBufferBulk(slab, pos, arg);
      }
    }
    this.#end = pos;
  }

  /** Where the writer is now, for `rollback` (a batch that must go whole or not at all). */
  mark(): WriterMark {
    return {
      slab: this.#slab,
      start: this.#start,
      end: this.#end,
      chunks: this.#chunks.length,
      chunkBytes: this.#chunkBytes,
    };
  }

  /** Forgets everything appended since `mark` (nothing was taken in between). */
  rollback(mark: WriterMark): void {
    this.#slab = mark.slab;
    this.#start = mark.start;
    this.#end = mark.end;
    this.#chunks.length = mark.chunks;
    this.#chunkBytes = mark.chunkBytes;
  }

  /**
   * Takes everything accumulated, in wire order. The buffers are views of the slab (no copy) and
   * large arguments as given; the writer never writes those bytes again, so the socket may keep
   * them until they are sent. Empty when nothing is pending.
   */
  take(): Array<Buffer | string> {
    const start = this.#start;
    const end = this.#end;
    if (this.#chunks.length === 0) {
      if (end === start) return [];
      this.#start = end;
      return [this.#slab.subarray(start, end)];
    }
    const chunks = this.#chunks;
    if (end > start) chunks.push(this.#slab.subarray(start, end));
    this.#start = end;
    this.#chunks = [];
    this.#chunkBytes = 0;
    return chunks;
  }

  /**
   * The socket keeps none of the bytes taken so far (every write it was given has completed):
   * the slab is written again from its start instead of running on into a new one. Without it a
   * busy connection made a 64 KiB slab every few batches, for the GC to find, and a batch that
   * crossed into the next slab went out as two chunks (a `writev`).
   */
  released(): void {
    if (this.#start === this.#end && this.#chunks.length === 0) {
      this.#start = 0;
      this.#end = 0;
    }
  }

  /** Drops everything accumulated (the connection was lost before it was written). */
  clear(): void {
    // Bytes in [start, end) were never handed out, so the slab may write over them.
    this.#end = this.#start;
    this.#chunks = [];
    this.#chunkBytes = 0;
  }

  /**
   * A string argument of a few dozen characters sent in command after command — a script's sha
   * in every EVALSHA — is encoded once and copied after that: the second time in a row it is
   * seen, its framed bytes are kept; a different string costs one comparison.
   */
  #writeRepeatable(slab: Buffer, pos: number, value: string): number {
    if (value === this.#repeated) return copyBytes(this.#repeatedBytes!, slab, pos);
    const end = writeStringBulk(slab, pos, value);
    if (value.length > MAX_REPEATED_LENGTH) return end;
    if (value === this.#candidate) {
      this.#repeated = value;
      this.#repeatedBytes = Buffer.from(slab.subarray(pos, end));
    } else {
      this.#candidate = value;
    }
    return end;
  }

  /** Moves the pending segment `slab[start, end)` to the chunk list. */
  #closeSegment(end: number): void {
    if (end > this.#start) {
      this.#chunks.push(this.#slab.subarray(this.#start, end));
      this.#chunkBytes += end - this.#start;
    }
    this.#start = end;
  }

  /** Closes the pending segment at `end` and continues in a new slab with room for `need` bytes. */
  #startSlab(end: number, need: number): Buffer {
    this.#closeSegment(end);
    this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, need));
    this.#start = 0;
    this.#end = 0;
    return this.#slab;
  }
}

/** Writes `value` (a non-negative integer below 2^53) in decimal followed by `\r\n`. */
function writeLength(slab: Buffer, pos: number, value: number): number {
  if (value < 10) {
    slab[pos++] = ZERO + value;
  } else if (value < 100) {
    const tens = (value / 10) | 0;
    slab[pos++] = ZERO + tens;
    slab[pos++] = ZERO + (value - tens * 10);
  } else {
    pos = writeDigits(slab, pos, value);
  }
  slab[pos++] = CR;
  slab[pos++] = LF;
  return pos;
}

/** How many decimal digits a non-negative safe integer has. */
function countDigits(value: number): number {
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) digits++;
  return digits;
}

/** Writes a non-negative safe integer of `digits` decimal digits, without a sign. */
function writeDigits(slab: Buffer, pos: number, value: number, digits = countDigits(value)): number {
  const end = pos + digits;
  let at = end;
  // Above 2^31, divide as doubles (exact for safe integers) until int32 arithmetic can take over.
  while (value > 0x7fffffff) {
    const quotient = Math.floor(value / 10);
    slab[--at] = ZERO + (value - quotient * 10);
    value = quotient;
  }
  let small = value | 0;
  do {
    const quotient = (small / 10) | 0;
    slab[--at] = ZERO + (small - quotient * 10);
    small = quotient;
  } while (small !== 0);
  return end;
}

/**
 * Copies bytes into the slab. `TypedArray#set` costs ~15 ns whatever the length (a little less
 * than `Buffer#copy`); a JS loop (~2 ns a byte) only beats it for a few bytes.
 */
function copyBytes(source: Buffer, slab: Buffer, pos: number): number {
  const length = source.length;
  if (length > 8) {
    slab.set(source, pos);
    return pos + length;
  }
  for (let i = 0; i < length; i++) slab[pos + i] = source[i];
  return pos + length;
}

/**
 * Writes `$<len>\r\n<value>\r\n` for a short string, assuming it is ASCII (byte length = length)
 * and starting over through the UTF-8 encoder at the first char that is not.
 */
function writeShortString(slab: Buffer, pos: number, value: string): number {
  const begin = pos;
  const length = value.length;
  slab[pos++] = DOLLAR;
  pos = writeLength(slab, pos, length);
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) return writeStringBulk(slab, begin, value);
    slab[pos + i] = code;
  }
  pos += length;
  slab[pos++] = CR;
  slab[pos++] = LF;
  return pos;
}

/** Writes a Buffer as a bulk string; the caller made room for it. */
function writeBufferBulk(slab: Buffer, pos: number, bytes: Buffer): number {
  slab[pos++] = DOLLAR;
  pos = writeLength(slab, pos, bytes.length);
  pos = copyBytes(bytes, slab, pos);
  slab[pos++] = CR;
  slab[pos++] = LF;
  return pos;
}

/** Writes a string known to be ASCII (digits of a number) as a bulk string. */
function writeAsciiBulk(slab: Buffer, pos: number, value: string): number {
  const length = value.length;
  slab[pos++] = DOLLAR;
  pos = writeLength(slab, pos, length);
  for (let i = 0; i < length; i++) slab[pos + i] = value.charCodeAt(i);
  pos += length;
  slab[pos++] = CR;
  slab[pos++] = LF;
  return pos;
}

/**
 * Writes any string as a bulk string in one native call, without measuring it first: the payload
 * goes where it would be if the string were ASCII, and moves in the rare case that its UTF-8
 * length has more digits than its UTF-16 length. The caller made room for `3 * length` bytes.
 */
function writeStringBulk(slab: Buffer, pos: number, value: string): number {
  // `$`, the digits, `\r\n`.
  const guessedStart = pos + countDigits(value.length) + 3;
  const length = slab.write(value, guessedStart, 'utf8');
  const start = pos + countDigits(length) + 3;
  if (start !== guessedStart) slab.copyWithin(start, guessedStart, guessedStart + length);
  slab[pos++] = DOLLAR;
  pos = writeLength(slab, pos, length);
  pos += length;
  slab[pos++] = CR;
  slab[pos++] = LF;
  return pos;
}

/** Writes any string as a bulk string of `length` UTF-8 bytes; the caller made room for them. */
function writeUtf8Bulk(slab: Buffer, pos: number, value: string, length: number): number {
  slab[pos++] = DOLLAR;
  pos = writeLength(slab, pos, length);
  pos += slab.write(value, pos, length, 'utf8');
  slab[pos++] = CR;
  slab[pos++] = LF;
  return pos;
}

/**
 * Integers as plain digits (`-0` as `0`), other finite numbers as `String(value)` (`0.1`,
 * `1e+21`), infinities as Redis spells them. NaN was refused before.
 */
function writeNumber(slab: Buffer, pos: number, value: number): number {
  if (value >= 0 && value < 10 && (value | 0) === value) {
    // A single digit (a key count, a flag): `$1\r\n<digit>\r\n`.
    slab[pos] = DOLLAR;
    slab[pos + 1] = ZERO + 1;
    slab[pos + 2] = CR;
    slab[pos + 3] = LF;
    slab[pos + 4] = ZERO + value;
    slab[pos + 5] = CR;
    slab[pos + 6] = LF;
    return pos + 7;
  }
  if (Number.isSafeInteger(value)) {
    const negative = value < 0;
    const magnitude = negative ? -value : value;
    const digits = countDigits(magnitude);
    slab[pos++] = DOLLAR;
    pos = writeLength(slab, pos, negative ? digits + 1 : digits);
    if (negative) slab[pos++] = MINUS;
    pos = writeDigits(slab, pos, magnitude, digits);
    slab[pos++] = CR;
    slab[pos++] = LF;
    return pos;
  }
  if (Number.isFinite(value)) return writeAsciiBulk(slab, pos, String(value));
  return writeAsciiBulk(slab, pos, value > 0 ? PLUS_INF : MINUS_INF);
}

const EXPECTED = 'expected a string, Buffer, finite number or bigint';

/** The error for an argument that cannot be sent, naming the command and the position. */
export function argumentError(commandName: string, index: number, value: unknown): ArgumentError {
  return new ArgumentError(`${commandName}: argument ${index + 1} is ${describe(value)}; ${EXPECTED}`);
}

/** Describes a refused value for an error message without printing its contents. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return `a ${typeof value}`;
  // Even looking can throw (a Proxy, a throwing getter); the message must still be made.
  try {
    if (Array.isArray(value)) return 'an array';
    const name: unknown = value.constructor?.name;
    return `an object (${typeof name === 'string' && name !== '' ? name : 'Object'})`;
  } catch {
    return 'an object';
  }
}

/** Whether `value` can be sent as a key or argument. */
export function isRedisArg(value: unknown): value is RedisArg {
  switch (typeof value) {
    case 'string':
    case 'bigint':
      return true;
    case 'number':
      return !Number.isNaN(value);
    default:
      try {
        return Buffer.isBuffer(value);
      } catch {
        // A Proxy whose prototype lookup throws: not a Buffer, and refused as such.
        return false;
      }
  }
}

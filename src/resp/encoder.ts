import { ArgumentError } from '../errors.js';
import type { RedisArg } from './types.js';

/**
 * Arguments at least this long are written as their own chunk instead of being copied into the
 * batched text, so a 64 MiB value is never concatenated or re-encoded with its neighbours.
 */
const LARGE_ARG_BYTES = 16 * 1024;

/** `$<len>\r\n` headers for short lengths, built once at load. */
const BULK_HEADERS: string[] = [];
for (let i = 0; i < 1024; i++) BULK_HEADERS.push(`$${i}\r\n`);
const ARRAY_HEADERS: string[] = [];
for (let i = 0; i < 64; i++) ARRAY_HEADERS.push(`*${i}\r\n`);

/**
 * The encoded form of a command name (which may be two words, `FUNCTION LOAD`), built once per
 * command description and reused for every call.
 */
export interface EncodedName {
  /** `$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n` */
  readonly text: string;
  /** How many array elements the name takes (1 or 2). */
  readonly words: number;
}

export function encodeName(name: string): EncodedName {
  const words = name.split(' ');
  let text = '';
  for (const word of words) text += `$${Buffer.byteLength(word)}\r\n${word}\r\n`;
  return { text, words: words.length };
}

/**
 * Accumulates encoded commands until the connection flushes them. Small arguments are appended to
 * one string (V8 ropes make that cheap and `socket.write` encodes it once); Buffers and large
 * strings become separate chunks so they are never copied.
 *
 * Invariant: a command is appended whole or not at all — `append` validates every argument
 * before touching the batch, so a refused argument can never leave half a command on the wire.
 */
export class CommandWriter {
  #text = '';
  #chunks: Array<string | Buffer> = [];
  #bytes = 0;

  /** Bytes waiting to be flushed (approximate for text: counts UTF-16 units of small args). */
  get pendingBytes(): number {
    return this.#bytes + this.#text.length;
  }

  get isEmpty(): boolean {
    return this.#text.length === 0 && this.#chunks.length === 0;
  }

  /**
   * Encodes `name args...` as a RESP array of bulk strings.
   * @throws ArgumentError naming the command and the argument's position when an argument is not
   * a string, Buffer, finite number or bigint.
   */
  append(name: EncodedName, args: readonly RedisArg[], commandName: string): void {
    const count = name.words + args.length;
    let text = (count < 64 ? ARRAY_HEADERS[count] : `*${count}\r\n`) + name.text;
    let parts: Array<string | Buffer> | undefined;
    let partBytes = 0;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string') {
        const length = arg.length < 128 && isAscii(arg) ? arg.length : Buffer.byteLength(arg);
        if (length < LARGE_ARG_BYTES) {
          text += (length < 1024 ? BULK_HEADERS[length] : `$${length}\r\n`) + arg + '\r\n';
        } else {
          parts ??= [];
          parts.push(`${text}$${length}\r\n`, arg);
          partBytes += length;
          text = '\r\n';
        }
      } else if (typeof arg === 'number') {
        const digits = encodeNumber(arg, commandName, i);
        text +=
          (digits.length < 1024 ? BULK_HEADERS[digits.length] : `$${digits.length}\r\n`) + digits + '\r\n';
      } else if (Buffer.isBuffer(arg)) {
        // Binary data cannot ride in the UTF-8 text; it becomes its own chunk (written with writev).
        const length = arg.length;
        parts ??= [];
        parts.push(`${text}$${length}\r\n`, arg);
        partBytes += length;
        text = '\r\n';
      } else if (typeof arg === 'bigint') {
        const digits = arg.toString();
        text += BULK_HEADERS[digits.length] + digits + '\r\n';
      } else {
        throw argumentError(commandName, i, arg);
      }
    }
    if (parts === undefined) {
      this.#text += text;
      return;
    }
    // Commit: move any text accumulated so far into the chunk list, then this command's parts.
    parts[0] = this.#text + parts[0];
    this.#text = text;
    for (const part of parts) this.#chunks.push(part);
    this.#bytes += partBytes;
  }

  /**
   * Takes everything accumulated and resets the writer. Returns a single string when the batch is
   * all text (the common case), otherwise the list of chunks to write in order.
   */
  take(): string | Array<string | Buffer> {
    const text = this.#text;
    this.#text = '';
    if (this.#chunks.length === 0) return text;
    const chunks = this.#chunks;
    if (text.length > 0) chunks.push(text);
    this.#chunks = [];
    this.#bytes = 0;
    return chunks;
  }

  /** Drops everything accumulated (the connection was lost before it was written). */
  clear(): void {
    this.#text = '';
    this.#chunks = [];
    this.#bytes = 0;
  }
}

const EXPECTED = 'expected a string, Buffer, finite number or bigint';

function encodeNumber(value: number, commandName: string, index: number): string {
  if (Number.isFinite(value)) return String(value);
  // Redis spells infinities `+inf`/`-inf` (ZADD scores, ZRANGEBYSCORE bounds); NaN has no meaning.
  if (value === Number.POSITIVE_INFINITY) return '+inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  throw argumentError(commandName, index, value);
}

/** The error for an argument that cannot be sent, naming the command and the position. */
export function argumentError(commandName: string, index: number, value: unknown): ArgumentError {
  return new ArgumentError(`${commandName}: argument ${index + 1} is ${describe(value)}; ${EXPECTED}`);
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 127) return false;
  return true;
}

/** Describes a refused value for an error message without printing its contents. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return 'a function';
  return `a ${typeof value}`;
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
      return Buffer.isBuffer(value);
  }
}

import { ProtocolError, ReplyError } from '../errors.js';
import { PendingLine } from './decoder-pending-line.js';
import { MAX_LINE_LENGTH, parseLine, parseLongInteger } from './decoder-scalars.js';
import { utf8 } from './decoder-utf8.js';
import {
  lengthOverflow,
  lineTooLong,
  malformedInteger,
  malformedLength,
  malformedVerbatim,
  missingBlobTerminator,
  missingLineFeed,
  negativeLength,
  overLimit,
  tooDeep,
  tooManyElements,
  unknownType,
} from './protocol-errors.js';
import type { RespValue } from './types.js';

// A streaming decoder for RESP2 and RESP3 replies:
// https://github.com/redis/redis-specifications/blob/master/protocol/RESP3.md
//
// State between chunks is at most one of:
// - a partial header line (type byte up to the end of the chunk) copied into `#pendingLine`,
//   at most MAX_LINE_LENGTH bytes; the next chunk completes it and it is parsed on its own;
// - a blob whose header is parsed but whose payload is not all here: its bytes so far, copied
//   out of the chunks (see "Chunks are borrowed" below);
// plus the stack of aggregates being filled (`#stack[0 .. #depth)`), innermost last.
// No byte is scanned twice, so a value costs O(its size) however it is chunked.
//
// What a peer can make it hold is bounded: a declared length allocates at most
// PREALLOCATED_BLOB_BYTES for a blob, and for an aggregate only on the first PREALLOCATED_LEVELS
// levels, at most MAX_PREALLOCATED_ELEMENTS each; nesting stops
// at maxReplyDepth, the elements of one reply at maxReplyElements, and the frames a deep reply
// needed are let go when it ends.
//
// Chunks are borrowed: the connection reads every socket into one buffer it reuses, so nothing
// here keeps a view of a chunk past feed(). A blob split across chunks is copied into memory of
// its own (allocated whole up to PREALLOCATED_BLOB_BYTES, so a 16 KiB value is copied once; a
// larger declared length allocates only as its bytes arrive, so a peer cannot make us hold more
// than it sent), and a Buffer reply is a copy.
//
// Two kinds of bad input: when the framing is lost (unknown type byte, bad length, no CRLF, a
// limit) feed() throws and the stream is unusable; when a frame is intact but its value is not
// valid (`(123  123`, which Redis 7.0 itself sends for a Lua `{big_number='123  123'}`), the
// top-level reply or push holding it is delivered as a ProtocolError instead, and decoding goes on.

export interface DecoderOptions {
  /**
   * Called once per complete top-level value that is not a RESP3 push. Error replies arrive here
   * as ReplyError instances (not thrown); a value malformed inside an intact frame arrives as a
   * ProtocolError in place of the whole top-level value holding it.
   */
  onReply: (value: RespValue | ProtocolError) => void;
  /**
   * Called for each top-level RESP3 push frame ('>'), with its elements; with a ProtocolError
   * instead when an element was malformed but the frame intact.
   */
  onPush: (value: RespValue[] | ProtocolError) => void;
  /**
   * Max declared length of one blob string / verbatim string / blob error, in bytes.
   * Default 512 MiB (Redis's own `proto-max-bulk-len`). Larger → ProtocolError.
   */
  maxBulkLength?: number;
  /**
   * Max declared element count of one aggregate (array/map/set/push/attribute; a map counts
   * its pairs). Default 1_073_741_824 (2^30). Larger → ProtocolError.
   */
  maxAggregateLength?: number;
  /** Max aggregates nested in one another in one reply. Default 1024. Deeper → ProtocolError. */
  maxReplyDepth?: number;
  /**
   * Max elements the aggregates of one top-level reply declare in all (a map counts its pairs).
   * Default 67_108_864 (2^26). More → ProtocolError, raised at the header that goes over.
   */
  maxReplyElements?: number;
}

/** Aggregates declaring more elements than this start empty and grow as elements arrive. */
const MAX_PREALLOCATED_ELEMENTS = 1024;
/** A blob split across chunks up to this size (payload and CRLF) is allocated whole at once. */
const PREALLOCATED_BLOB_BYTES = 1024 * 1024;
/**
 * Only aggregates this close to the top preallocate, so that declared-but-unsent elements cost
 * at most PREALLOCATED_LEVELS * MAX_PREALLOCATED_ELEMENTS slots (64 KiB) however deep the nesting.
 */
const PREALLOCATED_LEVELS = 8;
/** Frames kept for the next reply once a deeper one ends; the rest are let go. */
const KEPT_FRAMES = 32;
/** Integers of at most this many digits are below 2^53, so a float accumulator is exact. */
const MAX_EXACT_DIGITS = 15;
/** More digits than this in a length is over 2^63 whatever they are. */
const MAX_LENGTH_DIGITS = 19;
const INCOMPLETE = -2;

const CR = 0x0d;
const LF = 0x0a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;

const SIMPLE_STRING = 0x2b; // +
const SIMPLE_ERROR = 0x2d; // -
const INTEGER = 0x3a; // :
const BLOB_STRING = 0x24; // $
const ARRAY = 0x2a; // *
const NULL = 0x5f; // _
const DOUBLE = 0x2c; // ,
const BOOLEAN = 0x23; // #
const BLOB_ERROR = 0x21; // !
const VERBATIM_STRING = 0x3d; // =
const BIG_NUMBER = 0x28; // (
const MAP = 0x25; // %
const SET = 0x7e; // ~
const ATTRIBUTE = 0x7c; // |
const PUSH = 0x3e; // >

/** An aggregate being filled. Frames are reused from one value to the next. */
class Frame {
  /** The type byte: ARRAY, SET, PUSH, MAP or ATTRIBUTE. */
  kind = 0;
  /**
   * Elements still expected. Maps and attributes count keys and values separately, so an even
   * count means the next element is a key.
   */
  remaining = 0;
  /** Elements stored so far in `items`. */
  length = 0;
  items: RespValue[] | null = null;
  map: Map<RespValue, RespValue> | null = null;
  key: RespValue = null;
}

export class Decoder {
  /**
   * When true, blob strings and verbatim strings decode to Buffer instead of string. Read at the
   * start of each top-level value (the connection flips it between replies according to what
   * the next pending command asked for). Simple strings ('+') always decode to string.
   * A Buffer reply is always memory of its own, never a view of the chunk it arrived in.
   */
  returnBuffers = false;

  readonly #onReply: (value: RespValue | ProtocolError) => void;
  readonly #onPush: (value: RespValue[] | ProtocolError) => void;
  readonly #maxBulkLength: number;
  readonly #maxAggregateLength: number;
  readonly #maxReplyDepth: number;
  readonly #maxReplyElements: number;

  /** `returnBuffers` as read at the start of the current top-level value. */
  #buffers = false;
  readonly #stack: Frame[] = [];
  #depth = 0;
  /** Elements declared so far by the aggregates of the current top-level value. */
  #elements = 0;
  /** The first malformed value of the current top-level value: delivered in its place. */
  #malformed: ProtocolError | undefined = undefined;
  /** Where the header just read by `#readLength` ends. */
  #cursor = 0;

  readonly #pendingLine = new PendingLine();
  /** Set while parsing a completed pending line, whose value started in an earlier chunk. */
  #lineResumed = false;

  /** Type byte of the blob being collected, 0 when none is. */
  #blobType = 0;
  #blobLength = 0;
  #blobReceived = 0;
  #blobParts: Buffer[] = [];

  /** Bumped by reset(), so a reset from inside a callback stops the feed that called it. */
  #epoch = 0;
  /** Set by pause() from a callback: the feed in progress returns after the value delivered. */
  #paused = false;
  #failed = false;

  constructor(options: DecoderOptions) {
    this.#onReply = options.onReply;
    this.#onPush = options.onPush;
    this.#maxBulkLength = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.#maxAggregateLength = options.maxAggregateLength ?? 1_073_741_824;
    this.#maxReplyDepth = options.maxReplyDepth ?? 1024;
    this.#maxReplyElements = options.maxReplyElements ?? 67_108_864;
  }

  /**
   * Feed the next chunk from the socket, `chunk[0, end)`. May call onReply/onPush zero or more times
   * synchronously. Returns how many bytes of `chunk` it read: all of them, unless a callback
   * called pause() — the caller then feeds `chunk.subarray(returned)` later, before any other
   * chunk. Throws ProtocolError on invalid input; after any throw (including one from a
   * callback, which loses the rest of the chunk) the decoder must be reset() before further use.
   * Callbacks may set `returnBuffers`, may call pause(), and may call reset(), which drops the
   * rest of the chunk; they must not call feed().
   */
  feed(chunk: Buffer, end: number = chunk.length): number {
    if (this.#failed) {
      throw new ProtocolError('The RESP decoder failed on earlier input; reset() it before feeding more');
    }
    if (end === 0) return 0;
    this.#paused = false;
    try {
      let pos = 0;
      if (this.#pendingLine.length !== 0) {
        const epoch = this.#epoch;
        pos = this.#completeLine(chunk);
        if (pos === -1 || epoch !== this.#epoch) return end;
        if (this.#paused) return this.#stop(pos);
      }
      pos = this.#parse(chunk, pos, end);
      return this.#paused && pos !== -1 ? this.#stop(pos) : end;
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /**
   * From a callback: stop the feed in progress after the value just delivered (a reader giving
   * the event loop a turn in the middle of a large chunk). Partial state is never left behind:
   * the value delivered was complete, so the next feed starts at a value's first byte.
   */
  pause(): void {
    this.#paused = true;
  }

  #stop(pos: number): number {
    this.#paused = false;
    return pos;
  }

  /** Drop any partial state (used when the connection is replaced). */
  reset(): void {
    this.#epoch++;
    this.#failed = false;
    for (let i = 0; i < this.#depth; i++) this.#clearFrame(this.#stack[i]);
    this.#depth = 0;
    if (this.#stack.length > KEPT_FRAMES) this.#stack.length = KEPT_FRAMES;
    this.#elements = 0;
    this.#malformed = undefined;
    this.#pendingLine.length = 0;
    this.#lineResumed = false;
    this.#blobType = 0;
    this.#blobParts = [];
  }

  /**
   * Decodes `buf[pos, end)`, delivering every value it completes and keeping what is partial.
   * Returns where it stopped: `end`, or just past the value delivered when a callback paused,
   * or -1 when a callback reset the decoder.
   */
  #parse(buf: Buffer, pos: number, end: number): number {
    if (this.#blobType !== 0) {
      pos = this.#continueBlob(buf, pos, end);
      if (pos < 0 || this.#paused) return pos === -2 ? end : pos;
    }
    while (pos < end) {
      if (this.#depth === 0) {
        this.#elements = 0;
        if (this.#lineResumed) this.#lineResumed = false;
        else this.#buffers = this.returnBuffers;
      }
      const start = pos;
      const type = buf[pos];
      let value: RespValue;
      switch (type) {
        case BLOB_STRING:
        case BLOB_ERROR:
        case VERBATIM_STRING: {
          const length = this.#readLength(buf, pos + 1, end);
          if (length === INCOMPLETE) {
            this.#pendingLine.start(buf, start, end);
            return end;
          }
          pos = this.#cursor;
          if (length === -1) {
            if (type !== BLOB_STRING) throw negativeLength(type);
            value = null;
            break;
          }
          if (length > this.#maxBulkLength)
            throw overLimit(type, length, 'maxBulkLength', this.#maxBulkLength);
          if (end - pos < length + 2) {
            this.#startBlob(type, length, buf, pos, end);
            return end;
          }
          if (buf[pos + length] !== CR || buf[pos + length + 1] !== LF)
            throw missingBlobTerminator(type, length);
          value = this.#blobValue(type, buf, pos, pos + length, false);
          pos += length + 2;
          break;
        }
        case ARRAY:
        case MAP:
        case SET:
        case PUSH:
        case ATTRIBUTE: {
          const length = this.#readLength(buf, pos + 1, end);
          if (length === INCOMPLETE) {
            this.#pendingLine.start(buf, start, end);
            return end;
          }
          pos = this.#cursor;
          if (length === -1) {
            if (type !== ARRAY) throw negativeLength(type);
            value = null;
            break;
          }
          if (length > this.#maxAggregateLength) {
            throw overLimit(type, length, 'maxAggregateLength', this.#maxAggregateLength);
          }
          if (length !== 0) {
            this.#pushFrame(type, length);
            continue;
          }
          if (type === ATTRIBUTE) continue;
          if (type === PUSH && this.#depth === 0) {
            const epoch = this.#epoch;
            this.#onPush([]);
            if (epoch !== this.#epoch) return -1;
            if (this.#paused) return pos;
            continue;
          }
          value = type === MAP ? new Map() : [];
          break;
        }
        case INTEGER: {
          let i = pos + 1;
          let negative = false;
          if (i < end) {
            const sign = buf[i];
            if (sign === MINUS) {
              negative = true;
              i++;
            } else if (sign === PLUS) i++;
          }
          const digitsStart = i;
          let magnitude = 0;
          for (; i < end; i++) {
            const digit = buf[i] - 48;
            if (digit < 0 || digit > 9) break;
            magnitude = magnitude * 10 + digit;
          }
          if (i < end && buf[i] !== CR) {
            // Not a digit: a malformed integer, whose line (if it ends in CRLF) is skipped.
            const cr = this.#lineEnd(type, buf, pos + 1, end);
            if (cr === -1) {
              this.#pendingLine.start(buf, start, end);
              return end;
            }
            value = this.#malformedInteger(buf, pos + 1, cr);
            pos = cr + 2;
            break;
          }
          if (i >= end - 1) {
            this.#pendingLine.start(buf, start, end);
            return end;
          }
          if (buf[i + 1] !== LF) throw missingLineFeed(type);
          const digits = i - digitsStart;
          if (digits > MAX_LINE_LENGTH) throw lineTooLong(type, MAX_LINE_LENGTH);
          // 0 - magnitude rather than -magnitude, so that ':-0' is 0 and not -0.
          if (digits > MAX_EXACT_DIGITS) value = parseLongInteger(buf, pos + 1, i);
          else if (digits !== 0) value = negative ? 0 - magnitude : magnitude;
          else value = this.#malformedInteger(buf, pos + 1, i);
          pos = i + 2;
          break;
        }
        case SIMPLE_STRING:
        case SIMPLE_ERROR:
        case NULL:
        case BOOLEAN:
        case DOUBLE:
        case BIG_NUMBER: {
          const cr = this.#lineEnd(type, buf, pos + 1, end);
          if (cr === -1) {
            this.#pendingLine.start(buf, start, end);
            return end;
          }
          if (type === SIMPLE_STRING) {
            value = utf8(buf, pos + 1, cr);
          } else {
            const parsed = parseLine(type, buf, pos + 1, cr);
            value = parsed instanceof ProtocolError ? this.#malformedValue(parsed) : parsed;
          }
          pos = cr + 2;
          break;
        }
        default:
          throw unknownType(type);
      }
      if (!this.#deliver(value)) return this.#paused ? pos : -1;
    }
    return end;
  }

  /**
   * Hands a complete value to the innermost aggregate, closing every aggregate it completes, or
   * to the callbacks at top level. Returns false when a callback reset or paused the decoder.
   */
  #deliver(value: RespValue): boolean {
    let depth = this.#depth;
    while (depth !== 0) {
      const frame = this.#stack[depth - 1];
      const kind = frame.kind;
      if (kind === MAP) {
        if ((frame.remaining & 1) === 0) frame.key = value;
        else frame.map!.set(frame.key, value);
      } else if (kind !== ATTRIBUTE) {
        frame.items![frame.length++] = value;
      }
      if (--frame.remaining !== 0) return true;
      this.#depth = --depth;
      if (depth === 0 && this.#stack.length > KEPT_FRAMES) this.#trimStack();
      // An attribute annotates the value that follows it; redmoon has no use for it, so it is
      // dropped and that next value takes its place in the parent.
      if (kind === ATTRIBUTE) return true;
      value = kind === MAP ? frame.map : frame.items;
      this.#clearFrame(frame);
      if (kind === PUSH && depth === 0) {
        const epoch = this.#epoch;
        if (this.#malformed === undefined) this.#onPush(value as RespValue[]);
        else this.#onPush(this.#takeMalformed());
        return epoch === this.#epoch && !this.#paused;
      }
    }
    const epoch = this.#epoch;
    if (this.#malformed === undefined) this.#onReply(value);
    else this.#onReply(this.#takeMalformed());
    return epoch === this.#epoch && !this.#paused;
  }

  #takeMalformed(): ProtocolError {
    const malformed = this.#malformed!;
    this.#malformed = undefined;
    return malformed;
  }

  #malformedInteger(buf: Buffer, start: number, end: number): null {
    return this.#malformedValue(malformedInteger(buf, start, end));
  }

  /**
   * Records a value that is malformed inside an intact frame; the top-level value holding it is
   * delivered as that error. Returns the placeholder that stands for it until then.
   */
  #malformedValue(error: ProtocolError): null {
    if (this.#malformed === undefined) this.#malformed = error;
    return null;
  }

  #pushFrame(kind: number, length: number): void {
    // Checked here, for non-empty aggregates only: an empty one holds nothing and opens no frame.
    const depth = this.#depth;
    if (depth >= this.#maxReplyDepth) throw tooDeep(this.#maxReplyDepth);
    const elements = this.#elements + length;
    if (elements > this.#maxReplyElements) throw tooManyElements(this.#maxReplyElements);
    this.#elements = elements;
    let frame = this.#stack[depth];
    if (frame === undefined) {
      frame = new Frame();
      this.#stack.push(frame);
    }
    this.#depth = depth + 1;
    frame.kind = kind;
    frame.length = 0;
    if (kind === MAP || kind === ATTRIBUTE) {
      frame.remaining = length * 2;
      if (kind === MAP) frame.map = new Map();
    } else {
      frame.remaining = length;
      frame.items =
        length <= MAX_PREALLOCATED_ELEMENTS && depth < PREALLOCATED_LEVELS ? new Array(length) : [];
    }
  }

  /** Lets go of the frames a deep reply needed; the next replies reuse the first few. */
  #trimStack(): void {
    this.#stack.length = KEPT_FRAMES;
  }

  /** A reused frame must not keep the last value it built alive. */
  #clearFrame(frame: Frame): void {
    frame.items = null;
    frame.map = null;
    frame.key = null;
  }

  /**
   * Reads a decimal length after a type byte. Returns it (-1 for `-1`), or INCOMPLETE when the
   * line does not end in this chunk; `#cursor` is then set past its CRLF.
   */
  #readLength(buf: Buffer, start: number, end: number): number {
    let i = start;
    const negative = i < end && buf[i] === MINUS;
    if (negative) i++;
    const digitsStart = i;
    let length = 0;
    for (; i < end; i++) {
      const digit = buf[i] - 48;
      if (digit < 0 || digit > 9) break;
      length = length * 10 + digit;
    }
    const digits = i - digitsStart;
    if (digits > MAX_LENGTH_DIGITS) throw lengthOverflow(buf, start - 1, i);
    if (i >= end - 1) {
      if (i < end && buf[i] !== CR) throw malformedLength(buf, start - 1, i + 1);
      return INCOMPLETE;
    }
    if (buf[i] !== CR || buf[i + 1] !== LF || digits === 0) throw malformedLength(buf, start - 1, i + 1);
    if (length >= 2 ** 63) throw lengthOverflow(buf, start - 1, i);
    if (negative && length !== 1) throw negativeLength(buf[start - 1]);
    this.#cursor = i + 2;
    return negative ? -1 : length;
  }

  /**
   * Finds the CR of the line starting at `start`: its index, or -1 when the line does not end
   * in `buf[start, end)`. Throws when CR is not followed by LF or the line is too long.
   */
  #lineEnd(type: number, buf: Buffer, start: number, end: number): number {
    // Most lines are a few bytes: a plain loop beats the native call for them.
    const scanEnd = end - start > 32 ? start + 32 : end;
    let i = start;
    while (i < scanEnd && buf[i] !== CR) i++;
    if (i === scanEnd && scanEnd !== end) {
      i = buf.indexOf(CR, scanEnd);
      if (i === -1 || i >= end) i = end;
    }
    if (i >= end - 1) return -1;
    if (buf[i + 1] !== LF) throw missingLineFeed(type);
    if (i - start > MAX_LINE_LENGTH) throw lineTooLong(type, MAX_LINE_LENGTH);
    return i;
  }

  /**
   * Completes the pending line with the start of `chunk` and parses it. Returns where the line
   * ends in `chunk`, or -1 when all of `chunk` went into the still unfinished line.
   */
  #completeLine(chunk: Buffer): number {
    const pending = this.#pendingLine;
    const taken = pending.complete(chunk);
    if (taken === -1) return -1;
    const lineLength = pending.length;
    pending.length = 0;
    // The line is complete, so parsing it consumes all of it (or starts a blob, or throws).
    this.#lineResumed = true;
    this.#parse(pending.bytes, 0, lineLength);
    this.#lineResumed = false;
    return taken;
  }

  #startBlob(type: number, length: number, buf: Buffer, pos: number, end: number): void {
    this.#blobType = type;
    this.#blobLength = length;
    this.#blobReceived = end - pos;
    const total = length + 2;
    if (total <= PREALLOCATED_BLOB_BYTES) {
      const whole = Buffer.allocUnsafe(total);
      buf.copy(whole, 0, pos, end);
      this.#blobParts = [whole];
    } else {
      this.#blobParts = pos < end ? [Buffer.from(buf.subarray(pos, end))] : [];
    }
  }

  /**
   * Adds the start of `buf` to the blob being collected; returns where the blob ended, -2 when
   * it goes on past `end`, or -1 when the callback its value went to reset the decoder.
   */
  #continueBlob(buf: Buffer, pos: number, end: number): number {
    const total = this.#blobLength + 2;
    const needed = total - this.#blobReceived;
    const taken = Math.min(end - pos, needed);
    const parts = this.#blobParts;
    if (total <= PREALLOCATED_BLOB_BYTES) buf.copy(parts[0], this.#blobReceived, pos, pos + taken);
    else if (taken > 0) parts.push(Buffer.from(buf.subarray(pos, pos + taken)));
    this.#blobReceived += taken;
    if (taken < needed) return -2;
    const type = this.#blobType;
    const length = this.#blobLength;
    this.#blobType = 0;
    this.#blobParts = [];
    const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
    if (whole[length] !== CR || whole[length + 1] !== LF) throw missingBlobTerminator(type, length);
    return this.#deliver(this.#blobValue(type, whole, 0, length, true)) || this.#paused ? pos + needed : -1;
  }

  /** `owned`: `buf` is the decoder's own copy, so a Buffer reply may be a view of it. */
  #blobValue(type: number, buf: Buffer, start: number, end: number, owned: boolean): RespValue {
    if (type === BLOB_ERROR) return new ReplyError(utf8(buf, start, end));
    if (type === VERBATIM_STRING) {
      // '=' payloads are a three-letter format ('txt', 'mkd'), a colon, then the text.
      if (end - start < 4 || buf[start + 3] !== COLON)
        return this.#malformedValue(malformedVerbatim(buf, start, end));
      start += 4;
    }
    if (!this.#buffers) return utf8(buf, start, end);
    return owned ? buf.subarray(start, end) : copyOf(buf, start, end);
  }
}

/** Longest copy done byte by byte: below it a loop beats `TypedArray#set` and its view. */
const COPY_LOOP_MAX = 64;

/**
 * `buf[start, end)` in memory of its own (pooled by Node when small). One Buffer object: neither
 * `Buffer.from(buf.subarray(...))` (a view, then an array-like copy) nor `buf.copy` (which makes
 * a view of the source) — this is every message of a subscriber decoding Buffers, three times.
 */
function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const length = end - start;
  const copy = Buffer.allocUnsafe(length);
  if (length <= COPY_LOOP_MAX) {
    for (let i = 0; i < length; i++) copy[i] = buf[start + i];
  } else {
    copy.set(buf.subarray(start, end));
  }
  return copy;
}

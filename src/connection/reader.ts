import type { Decoder } from '../resp/decoder.js';

/**
 * The reader gives way to the event loop after delivering 1/READ_SLICES of the replies owed when
 * a chunk arrived, once at least SLICED_IN_FLIGHT are owed: the callers whose replies came first
 * send their next commands at once, and the server works on those while the rest of the chunk is
 * decoded. Without it, client and server take turns — the server idles while a batch of replies
 * is decoded, the client while the next batch runs (see docs/performance.md).
 */
const READ_SLICES = 2;
const SLICED_IN_FLIGHT = 32;

/**
 * Every TCP socket is read into this one buffer, through Node's `onread`: no Buffer is allocated
 * per read and no stream machinery runs (a raw socket read this way spends 12–13 against 15–24 µs
 * of CPU per sequential call here; b and c spend 12–17 % less per call: docs/performance.md). A read and its callback are one synchronous step, so one buffer serves
 * every connection of the process: the decoder keeps nothing of a chunk past feed(), and a reader
 * that gives way copies what it has not read yet.
 */
const READ_BUFFER_BYTES = 64 * 1024;
let sharedReadBuffer: Buffer | undefined;

/** What a reader needs of its connection. */
export interface ReaderOwner {
  /** Replies owed on the current socket: how large a slice is. */
  readonly inFlight: number;
  /** A chunk broke the protocol (feed() threw): the socket must close. */
  brokenRead(error: Error): void;
  /**
   * The reader is about to go on where it gave way: what the callers answered so far sent must
   * be written first, or the server would idle while the rest is read (the point of giving way).
   * Only a connection that flushes in setImmediate (`flushAfterReads`) can still have it pending
   * here: a nextTick flush has run by then.
   */
  resuming(): void;
}

/**
 * Bytes from one connection's sockets into its decoder, a slice at a time (see READ_SLICES).
 * What the reader gave way in, and chunks that arrive meanwhile, wait in a backlog, in order, and
 * are read in the next turn of the event loop, or at once when the socket closes.
 */
export class Reader {
  /** For `net.connect({ onread })`: reads into the shared buffer. */
  readonly onread: { buffer: Buffer; callback: (length: number) => boolean };
  /** For a TLS socket's 'data' event (`onread` is documented for net sockets only). */
  readonly onData = (chunk: Buffer): void => {
    if (this.#backlog !== undefined) this.#backlog.push(chunk);
    else this.#consume(chunk, chunk.length, true);
  };

  readonly #decoder: Decoder;
  readonly #owner: ReaderOwner;
  /** Replies left to deliver before the reader gives way to the event loop; 0 for no limit. */
  #sliceLeft = 0;
  /** What is left of a chunk the reader gave way in, and chunks that arrived since, in order. */
  #backlog: Buffer[] | undefined = undefined;
  readonly #resume = () => this.#readBacklog();

  constructor(decoder: Decoder, owner: ReaderOwner) {
    this.#decoder = decoder;
    this.#owner = owner;
    sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    this.onread = { buffer: sharedReadBuffer, callback: (length) => this.#read(length) };
  }

  /** Called by the connection for each reply the decoder delivered: counts down the slice. */
  delivered(): void {
    if (--this.#sliceLeft === 0) this.#decoder.pause();
  }

  /** The socket closed: read the whole backlog now, without giving way (its replies count). */
  drain(): void {
    const backlog = this.#backlog;
    if (backlog === undefined) return;
    this.#backlog = undefined;
    for (const chunk of backlog) if (!this.#consume(chunk, chunk.length, false)) return;
  }

  /** `length` bytes arrived in the shared read buffer. True: go on reading the socket. */
  #read(length: number): boolean {
    const chunk = this.onread.buffer;
    if (this.#backlog !== undefined) this.#backlog.push(Buffer.from(chunk.subarray(0, length)));
    else this.#consume(chunk, length, true);
    return true;
  }

  /** Goes on reading where the reader gave way. */
  #readBacklog(): void {
    const backlog = this.#backlog;
    if (backlog === undefined) return;
    this.#backlog = undefined;
    this.#owner.resuming();
    for (let i = 0; i < backlog.length; i++) {
      if (this.#consume(backlog[i], backlog[i].length, true)) continue;
      // Gave way again (the rest goes after what it left), or the protocol broke (all is dropped).
      const left = this.#backlog as Buffer[] | undefined;
      if (left !== undefined) for (let j = i + 1; j < backlog.length; j++) left.push(backlog[j]);
      return;
    }
  }

  /**
   * Decodes `chunk[0, end)`, giving way to the event loop after a slice of its replies when
   * `mayPause`. True when all of it was read; false when the reader gave way (the rest is in the
   * backlog) or the chunk broke the protocol (the socket is then closing).
   */
  #consume(chunk: Buffer, end: number, mayPause: boolean): boolean {
    const owed = this.#owner.inFlight;
    this.#sliceLeft = mayPause && owed >= SLICED_IN_FLIGHT ? Math.ceil(owed / READ_SLICES) : 0;
    try {
      const read = this.#decoder.feed(chunk, end);
      if (read === end) return true;
      // The shared read buffer is overwritten by the next read, of any connection: keep a copy.
      const rest = chunk.subarray(read, end);
      this.#backlog = [chunk === this.onread.buffer ? Buffer.from(rest) : rest];
      setImmediate(this.#resume);
    } catch (error) {
      this.#owner.brokenRead(error as Error);
    }
    return false;
  }
}

import { MAX_LINE_LENGTH } from './decoder-scalars.js';
import { lineTooLong } from './protocol-errors.js';

const CR = 0x0d;

/**
 * A header or simple line that a chunk cut short, from its type byte on, kept until a later
 * chunk ends it. Invariant: it holds no CR except possibly as its last byte, because a CR
 * followed by anything was already checked and found not to be the line's end.
 * Appends copy only the new bytes into a buffer that doubles, so a line arriving a byte at a
 * time costs O(its length); it is refused once it outgrows MAX_LINE_LENGTH.
 */
export class PendingLine {
  /** The bytes, valid up to `length`. */
  bytes: Buffer = Buffer.allocUnsafe(256);
  /** 0 when no line is pending. */
  length = 0;

  /** Starts a pending line with `buf[start, end)`, which holds a type byte and no CRLF. */
  start(buf: Buffer, start: number, end: number): void {
    this.length = 0;
    this.#appendUnfinished(buf, start, end);
  }

  /**
   * Adds the start of `chunk` up to the end of the line. Returns how many bytes of `chunk` that
   * took, the line now ending in CRLF (which the parser checks), or -1 when all of `chunk` went
   * into a line still unfinished.
   */
  complete(chunk: Buffer): number {
    let taken: number;
    if (this.bytes[this.length - 1] === CR) {
      taken = 1;
    } else {
      const cr = chunk.indexOf(CR);
      if (cr === -1 || cr === chunk.length - 1) {
        this.#appendUnfinished(chunk, 0, chunk.length);
        return -1;
      }
      if (this.length - 1 + cr > MAX_LINE_LENGTH) throw lineTooLong(this.bytes[0], MAX_LINE_LENGTH);
      taken = cr + 2;
    }
    this.#append(chunk, 0, taken);
    return taken;
  }

  #appendUnfinished(buf: Buffer, start: number, end: number): void {
    const length = this.length + end - start;
    // The content excludes the type byte and a last CR, which may start the CRLF.
    const content = length - 1 - (buf[end - 1] === CR ? 1 : 0);
    if (content > MAX_LINE_LENGTH)
      throw lineTooLong(this.length > 0 ? this.bytes[0] : buf[start], MAX_LINE_LENGTH);
    this.#append(buf, start, end);
  }

  #append(buf: Buffer, start: number, end: number): void {
    const length = this.length + end - start;
    if (length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    buf.copy(this.bytes, this.length, start, end);
    this.length = length;
  }
}

import { type ProtocolError, ReplyError } from '../errors.js';
import { latin1, utf8 } from './decoder-utf8.js';
import { malformedBigNumber, malformedBoolean, malformedDouble, malformedNull } from './protocol-errors.js';
import type { RespValue } from './types.js';

// The values of RESP lines whose CRLF has been found. A malformed one is returned as a
// ProtocolError, not thrown: its frame is intact, so only the reply holding it is lost.

/**
 * Longest header or simple line (`+`, `-`, `:`, `,`, `(`, lengths) accepted, CRLF excluded, so
 * that bytes without a CRLF cannot make a pending line grow without bound.
 */
export const MAX_LINE_LENGTH = 64 * 1024;

const SIMPLE_ERROR = 0x2d; // -
const NULL = 0x5f; // _
const BOOLEAN = 0x23; // #
const DOUBLE = 0x2c; // ,
const TRUE = 0x74; // t
const FALSE = 0x66; // f
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const UPPER_E = 0x45;
const LOWER_E = 0x65;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIGINT = -MAX_SAFE_BIGINT;

/**
 * An integer reply too long for the exact fast path (over 15 digits, already checked to be an
 * optional sign and digits): a number when it fits in ±(2^53 − 1), else a bigint, never rounded.
 */
export function parseLongInteger(buf: Buffer, start: number, end: number): number | bigint {
  const value = BigInt(latin1(buf, start, end));
  return value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : value;
}

/**
 * The value of a `-`, `_`, `#`, `,` or `(` line, from its content `buf[start, end)`, or a
 * ProtocolError saying why the content is no such value.
 */
export function parseLine(type: number, buf: Buffer, start: number, end: number): RespValue | ProtocolError {
  switch (type) {
    case SIMPLE_ERROR:
      return new ReplyError(utf8(buf, start, end));
    case NULL:
      if (end !== start) return malformedNull(buf, start - 1, end);
      return null;
    case BOOLEAN: {
      const flag = buf[start];
      if (end !== start + 1 || (flag !== TRUE && flag !== FALSE)) {
        return malformedBoolean(buf, start - 1, end);
      }
      return flag === TRUE;
    }
    case DOUBLE:
      return parseDouble(buf, start, end);
    default:
      return parseBigNumber(buf, start, end);
  }
}

/** A RESP3 big number (`(`): an optional sign and at least one digit. */
function parseBigNumber(buf: Buffer, start: number, end: number): bigint | ProtocolError {
  let i = start;
  if (i < end && (buf[i] === MINUS || buf[i] === PLUS)) i++;
  if (i === end) return malformedBigNumber(buf, start, end, 'no digits');
  for (; i < end; i++) {
    const digit = buf[i] - 48;
    if (digit < 0 || digit > 9) {
      return malformedBigNumber(buf, start, end, 'not a decimal integer');
    }
  }
  return BigInt(latin1(buf, start, end));
}

/**
 * A RESP3 double (`,`): a decimal number with optional fraction and exponent, or `inf`, `-inf`,
 * `nan` (Redis writes these lowercase; any case and a leading `+` are accepted).
 */
function parseDouble(buf: Buffer, start: number, end: number): number | ProtocolError {
  let numeric = end > start;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    const digit = c >= 48 && c <= 57;
    if (!digit && c !== DOT && c !== MINUS && c !== PLUS && c !== LOWER_E && c !== UPPER_E) {
      numeric = false;
      break;
    }
  }
  const text = latin1(buf, start, end);
  // The character check above keeps out what Number() would otherwise accept but RESP does not:
  // surrounding spaces, '0x' prefixes, 'Infinity', and the empty string (which Number reads as 0).
  if (numeric) {
    const value = Number(text);
    if (!Number.isNaN(value)) return value;
  } else {
    switch (text.toLowerCase()) {
      case 'inf':
      case '+inf':
        return Number.POSITIVE_INFINITY;
      case '-inf':
        return Number.NEGATIVE_INFINITY;
      case 'nan':
      case '+nan':
      case '-nan':
        return Number.NaN;
    }
  }
  return malformedDouble(buf, start, end);
}

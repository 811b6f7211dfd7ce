import { ProtocolError, ReplyError } from '../errors.js';
import { latin1, utf8 } from './decoder-utf8.js';
import type { RespValue } from './types.js';

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

/** Quotes at most the first 40 characters of a rejected line, so error messages stay short. */
export function quote(buf: Buffer, start: number, end: number): string {
  const shown = JSON.stringify(latin1(buf, start, Math.min(end, start + 40)));
  return end - start > 40 ? `${shown}...` : shown;
}

/**
 * An integer reply too long for the exact fast path (over 15 digits, already checked to be an
 * optional sign and digits): a number when it fits in ±(2^53 − 1), else a bigint, never rounded.
 */
export function parseLongInteger(buf: Buffer, start: number, end: number): number | bigint {
  const value = BigInt(latin1(buf, start, end));
  return value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : value;
}

/** The value of a `-`, `_`, `#`, `,` or `(` line, from its content `buf[start, end)`. */
export function parseLine(type: number, buf: Buffer, start: number, end: number): RespValue {
  switch (type) {
    case SIMPLE_ERROR:
      return new ReplyError(utf8(buf, start, end));
    case NULL:
      if (end !== start) throw new ProtocolError(`Invalid RESP null ${quote(buf, start - 1, end)}`);
      return null;
    case BOOLEAN: {
      const flag = buf[start];
      if (end !== start + 1 || (flag !== TRUE && flag !== FALSE)) {
        throw new ProtocolError(`Invalid RESP boolean ${quote(buf, start - 1, end)}: expected #t or #f`);
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
function parseBigNumber(buf: Buffer, start: number, end: number): bigint {
  let i = start;
  if (i < end && (buf[i] === MINUS || buf[i] === PLUS)) i++;
  if (i === end) throw new ProtocolError(`Invalid RESP big number ${quote(buf, start, end)}: no digits`);
  for (; i < end; i++) {
    const digit = buf[i] - 48;
    if (digit < 0 || digit > 9) {
      throw new ProtocolError(`Invalid RESP big number ${quote(buf, start, end)}: not a decimal integer`);
    }
  }
  return BigInt(latin1(buf, start, end));
}

/**
 * A RESP3 double (`,`): a decimal number with optional fraction and exponent, or `inf`, `-inf`,
 * `nan` (Redis writes these lowercase; any case and a leading `+` are accepted).
 */
function parseDouble(buf: Buffer, start: number, end: number): number {
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
  throw new ProtocolError(`Invalid RESP double ${quote(buf, start, end)}`);
}

function typeName(type: number): string {
  return JSON.stringify(String.fromCharCode(type));
}

export function negativeLength(type: number): ProtocolError {
  return new ProtocolError(
    `Invalid RESP ${typeName(type)} length: negative (only '$' and '*' may be -1, for null)`,
  );
}

export function malformedLength(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP length line ${quote(buf, start, end)}: expected digits then CRLF`);
}

export function lengthOverflow(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP length line ${quote(buf, start, end)}: over 2^63 - 1`);
}

export function malformedInteger(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP integer ${quote(buf, start, end)}: expected digits then CRLF`);
}

export function missingBlobTerminator(type: number, length: number): ProtocolError {
  return new ProtocolError(
    `Invalid RESP ${typeName(type)} of length ${length}: payload not followed by CRLF`,
  );
}

export function lineTooLong(type: number): ProtocolError {
  return new ProtocolError(`Invalid RESP ${typeName(type)} line: longer than ${MAX_LINE_LENGTH} bytes`);
}

export function overLimit(type: number, length: number, option: string, limit: number): ProtocolError {
  return new ProtocolError(`RESP ${typeName(type)} length ${length} exceeds ${option} (${limit})`);
}

export function unknownType(type: number): ProtocolError {
  const hex = type.toString(16).padStart(2, '0');
  return new ProtocolError(`Unknown RESP type byte 0x${hex} (${typeName(type)})`);
}

export function missingLineFeed(type: number): ProtocolError {
  return new ProtocolError(`Invalid RESP ${typeName(type)} line: CR not followed by LF`);
}

export function malformedVerbatim(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(
    `Invalid RESP verbatim string ${quote(buf, start, end)}: expected a 'fmt:' prefix`,
  );
}

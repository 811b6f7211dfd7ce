import { ProtocolError } from '../errors.js';
import { latin1 } from './decoder-utf8.js';

// Every ProtocolError the decoder raises, built here so the messages stay uniform: what was
// wrong, the offending bytes quoted (at most 40 of them) and, for limits, the option to raise.
// They fall in two kinds, and the decoder treats them differently:
// - the framing is lost (unknown type byte, bad length line, missing CRLF, a limit exceeded):
//   nothing after it can be trusted, so the connection must be dropped;
// - the framing holds but one value is malformed (a line that ends in CRLF but is no valid
//   double, big number, boolean, null or integer; a verbatim string without its prefix): only
//   the reply holding it is lost, and the stream goes on.

/** Quotes at most the first 40 characters of a rejected line, so error messages stay short. */
export function quote(buf: Buffer, start: number, end: number): string {
  const shown = JSON.stringify(latin1(buf, start, Math.min(end, start + 40)));
  return end - start > 40 ? `${shown}...` : shown;
}

function typeName(type: number): string {
  return JSON.stringify(String.fromCharCode(type));
}

// The framing is lost.

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

export function missingBlobTerminator(type: number, length: number): ProtocolError {
  return new ProtocolError(
    `Invalid RESP ${typeName(type)} of length ${length}: payload not followed by CRLF`,
  );
}

export function lineTooLong(type: number, limit: number): ProtocolError {
  return new ProtocolError(`Invalid RESP ${typeName(type)} line: longer than ${limit} bytes`);
}

export function overLimit(type: number, length: number, option: string, limit: number): ProtocolError {
  return new ProtocolError(`RESP ${typeName(type)} length ${length} exceeds ${option} (${limit})`);
}

export function tooDeep(limit: number): ProtocolError {
  return new ProtocolError(`RESP reply nested deeper than maxReplyDepth (${limit}) aggregates`);
}

export function tooManyElements(limit: number): ProtocolError {
  return new ProtocolError(`RESP reply declares more than maxReplyElements (${limit}) elements in all`);
}

export function unknownType(type: number): ProtocolError {
  const hex = type.toString(16).padStart(2, '0');
  return new ProtocolError(`Unknown RESP type byte 0x${hex} (${typeName(type)})`);
}

export function missingLineFeed(type: number): ProtocolError {
  return new ProtocolError(`Invalid RESP ${typeName(type)} line: CR not followed by LF`);
}

// The framing holds; one value is malformed.

export function malformedInteger(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP integer ${quote(buf, start, end)}: expected digits then CRLF`);
}

export function malformedNull(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP null ${quote(buf, start, end)}`);
}

export function malformedBoolean(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP boolean ${quote(buf, start, end)}: expected #t or #f`);
}

export function malformedDouble(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(`Invalid RESP double ${quote(buf, start, end)}`);
}

export function malformedBigNumber(buf: Buffer, start: number, end: number, why: string): ProtocolError {
  return new ProtocolError(`Invalid RESP big number ${quote(buf, start, end)}: ${why}`);
}

export function malformedVerbatim(buf: Buffer, start: number, end: number): ProtocolError {
  return new ProtocolError(
    `Invalid RESP verbatim string ${quote(buf, start, end)}: expected a 'fmt:' prefix`,
  );
}

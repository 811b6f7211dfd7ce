// Just enough RESP2 to drive a server from the harness. The harness must not import the client
// it exists to test, so it carries this small, slow, obviously-correct codec of its own.

/** An error reply (`-ERR ...`), kept as a value so callers can tell it from a transport failure. */
export class ServerErrorReply {
  constructor(readonly message: string) {}
}

/** A decoded RESP2 reply; bulk strings are decoded as UTF-8 because the harness only reads text. */
export type Reply = string | number | null | ServerErrorReply | Reply[];

const CRLF = '\r\n';

/** Encodes a command as a RESP array of bulk strings, e.g. `*1\r\n$4\r\nPING\r\n`. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}${CRLF}`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}${CRLF}${arg}${CRLF}`;
  return out;
}

/**
 * Decodes the reply that starts at `offset`, or returns undefined when `buffer` does not hold
 * all of it yet (the caller waits for more bytes and tries again from the same offset).
 */
export function decodeReply(buffer: Buffer, offset = 0): { reply: Reply; next: number } | undefined {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd === -1) return undefined;
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (buffer[offset]) {
    case 0x2b: // '+'
      return { reply: line, next: afterLine };
    case 0x2d: // '-'
      return { reply: new ServerErrorReply(line), next: afterLine };
    case 0x3a: // ':'
      return { reply: Number(line), next: afterLine };
    case 0x24: {
      // '$'
      const length = Number(line);
      if (length < 0) return { reply: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { reply: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case 0x2a: {
      // '*'
      const count = Number(line);
      if (count < 0) return { reply: null, next: afterLine };
      const items: Reply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = decodeReply(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.reply);
        next = item.next;
      }
      return { reply: items, next };
    }
    default:
      throw new Error(`unexpected RESP type byte 0x${buffer[offset]?.toString(16)} from server`);
  }
}

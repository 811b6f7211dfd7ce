import type { RespValue } from '../resp/types.js';

/**
 * What a pub/sub frame is, read from its first element: `message`, `subscribe`, ... On RESP2 a
 * frame is an array reply, on RESP3 a push; on the subscriber connection both arrive as Buffers
 * (simple strings as text), so the name is matched on its length and a byte or two, without
 * decoding it.
 */
export const FrameKind = {
  Other: 0,
  Message: 1,
  PatternMessage: 2,
  ShardMessage: 3,
  Subscribe: 4,
  PatternSubscribe: 5,
  ShardSubscribe: 6,
  Unsubscribe: 7,
  PatternUnsubscribe: 8,
  ShardUnsubscribe: 9,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const P = 0x70;
const S = 0x73;
const U = 0x75;

/** The kind of a frame whose first element is `head`. */
export function frameKind(head: RespValue): FrameKind {
  const bytes = typeof head === 'string' ? Buffer.from(head, 'latin1') : head;
  if (!Buffer.isBuffer(bytes)) return FrameKind.Other;
  const first = bytes[0];
  let kind: FrameKind;
  switch (bytes.length) {
    case 7:
      kind = FrameKind.Message;
      break;
    case 8:
      kind = first === P ? FrameKind.PatternMessage : first === S ? FrameKind.ShardMessage : FrameKind.Other;
      break;
    case 9:
      kind = FrameKind.Subscribe;
      break;
    case 10:
      kind =
        first === P ? FrameKind.PatternSubscribe : first === S ? FrameKind.ShardSubscribe : FrameKind.Other;
      break;
    case 11:
      kind = first === U ? FrameKind.Unsubscribe : FrameKind.Other;
      break;
    case 12:
      kind =
        first === P
          ? FrameKind.PatternUnsubscribe
          : first === S
            ? FrameKind.ShardUnsubscribe
            : FrameKind.Other;
      break;
    default:
      return FrameKind.Other;
  }
  // The length and first byte narrow it to one name; check that name in full, once.
  return kind !== FrameKind.Other && bytes.equals(FRAME_NAMES[kind]) ? kind : FrameKind.Other;
}

const FRAME_NAMES: readonly Buffer[] = [
  Buffer.alloc(0),
  Buffer.from('message'),
  Buffer.from('pmessage'),
  Buffer.from('smessage'),
  Buffer.from('subscribe'),
  Buffer.from('psubscribe'),
  Buffer.from('ssubscribe'),
  Buffer.from('unsubscribe'),
  Buffer.from('punsubscribe'),
  Buffer.from('sunsubscribe'),
];

/** The topic kind index (channel 0, pattern 1, shard 2) a confirmation or message is about. */
export function kindIndexOf(kind: FrameKind): number {
  switch (kind) {
    case FrameKind.Message:
    case FrameKind.Subscribe:
    case FrameKind.Unsubscribe:
      return 0;
    case FrameKind.PatternMessage:
    case FrameKind.PatternSubscribe:
    case FrameKind.PatternUnsubscribe:
      return 1;
    default:
      return 2;
  }
}

/**
 * The text of one frame's payload and channel, decoded at most once for all its subscriptions
 * (one instance per subscriber connection, `reset()` for each frame).
 */
export class Texts {
  #message: string | undefined;
  #channel: string | undefined;

  reset(): void {
    this.#message = undefined;
    this.#channel = undefined;
  }

  message(payload: RespValue): string {
    this.#message ??= toText(payload);
    return this.#message;
  }

  channel(channel: RespValue): string {
    this.#channel ??= toText(channel);
    return this.#channel;
  }
}

export function toText(value: RespValue): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

export function toBuffer(value: RespValue): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value));
}

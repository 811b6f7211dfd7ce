import type { RespValue } from '../resp/types.js';
import type { Texts } from './frames.js';

/** What a subscription listens to: channels (SUBSCRIBE), patterns (PSUBSCRIBE), shard channels (SSUBSCRIBE). */
export type TopicKind = 'channel' | 'pattern' | 'shard';

/** `TopicKind` as an index, for per-kind tables. */
export const KIND_INDEX: Readonly<Record<TopicKind, number>> = { channel: 0, pattern: 1, shard: 2 };

/** The commands that start and end each kind, by kind index. */
export const SUBSCRIBE_COMMANDS = ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE'] as const;
export const UNSUBSCRIBE_COMMANDS = ['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE'] as const;

/** No hash slot: a channel or pattern, or any name on a server that is not a cluster. */
export const NO_SLOT = -1;

/** Told when topics go live or down; a `Subscription` is one. */
export interface TopicListener {
  /** One of its topics is subscribed on the server. */
  topicUp(): void;
  /** One of its live topics is not any more; `error` says why. */
  topicDown(error: Error): void;
  /** A message for `topic` (`channel` is the channel it was published to; `pattern`: a pmessage). */
  deliver(topic: Topic, payload: RespValue, texts: Texts, channel: RespValue, pattern: boolean): void;
}

/**
 * One server-side subscription — a channel, a pattern or a shard channel — shared by every
 * `Subscription` that names it, so ten listeners on one channel cost one SUBSCRIBE. It lives on
 * one subscriber connection at a time (`home`), and moves when that one is lost or the server
 * says its slot is served elsewhere.
 *
 * State on `home`: `subscribed` is what the last confirmation said, `inFlight` counts commands
 * sent for it and not confirmed yet; only when `inFlight` is 0 is `subscribed` the server's truth,
 * and only then does the subscriber send the next change (so SUBSCRIBE and UNSUBSCRIBE of one
 * name never cross on the wire).
 */
export class Topic<Home = unknown> {
  readonly kind: TopicKind;
  readonly kindIndex: number;
  /** The name's bytes as a latin1 string: binary-safe, and what incoming frames are matched by. */
  readonly key: string;
  /** The name as sent. */
  readonly name: Buffer;
  /** The name as UTF-8 text, handed to string listeners. */
  readonly text: string;
  /** Its hash slot for a shard channel on a cluster, else `NO_SLOT`. */
  readonly slot: number;
  readonly listeners = new Set<TopicListener>();
  /** The subscriber connection that holds it, or will. */
  home: Home | undefined = undefined;
  /** Confirmed on `home`, nothing in flight: messages are flowing. */
  live = false;
  subscribed = false;
  inFlight = 0;
  /** Redirections (MOVED) followed since it was last live: a loop between nodes ends. */
  redirects = 0;
  /** Callers of `unsubscribe()` waiting for the server to confirm it. */
  #gone: Array<() => void> = [];

  constructor(kind: TopicKind, name: Buffer, text: string, slot: number) {
    this.kind = kind;
    this.kindIndex = KIND_INDEX[kind];
    this.name = name;
    this.key = name.toString('latin1');
    this.text = text;
    this.slot = slot;
  }

  /** Some subscription still listens. */
  get wanted(): boolean {
    return this.listeners.size > 0;
  }

  /** Resolves when nothing more is to be done for the callers that let go of it. */
  whenSettled(): Promise<void> {
    return new Promise((resolve) => this.#gone.push(resolve));
  }

  /** The server no longer holds it for them, or someone wants it again: their part is done. */
  settleWaiters(): void {
    for (const resolve of this.#gone.splice(0)) resolve();
  }
}

/** The key `Topic.key` of a name as a frame carries it (Buffer, or string when decoded as text). */
export function keyOf(name: RespValue): string | undefined {
  if (Buffer.isBuffer(name)) return name.toString('latin1');
  if (typeof name !== 'string') return undefined;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 0x7f) return Buffer.from(name, 'utf8').toString('latin1');
  }
  return name;
}

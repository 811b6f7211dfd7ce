import { EventEmitter } from 'node:events';
import type { RedisError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { type Texts, toBuffer } from './frames.js';
import type { Topic, TopicKind, TopicListener } from './topic.js';

/** Called for each message of a channel or shard channel subscription. */
export type MessageListener<M extends string | Buffer = string> = (message: M, channel: M) => void;
/** Called for each message matching a pattern subscription. */
export type PatternListener<M extends string | Buffer = string> = (
  message: M,
  channel: M,
  pattern: M,
) => void;

/**
 * - `subscribing`: not yet confirmed by the server (`subscribe()` has not resolved).
 * - `live`: every channel of it is subscribed; messages are delivered.
 * - `interrupted`: its connection was lost or its slot moved; messages published now are lost
 *   (Redis pub/sub is at most once) until it is `live` again.
 * - `ended`: unsubscribed, the client closed, or it could not be restored.
 */
export type SubscriptionStatus = 'subscribing' | 'live' | 'interrupted' | 'ended';

/** What a subscription asks of whoever keeps it (the client's pub/sub). @internal */
export interface SubscriptionOwner {
  release(subscription: TopicListener, topics: readonly Topic[]): Promise<void>;
}

/**
 * One `subscribe()`, `psubscribe()` or `ssubscribe()`: its listener, and the channels it listens
 * to. Several subscriptions to one channel share one server subscription; `unsubscribe()` ends
 * only this one.
 *
 * A subscription is never dropped silently. Events:
 * - `interrupted` (error): it stopped receiving (connection lost, server restarted, slot moved);
 *   it is being restored, and messages published meanwhile are lost.
 * - `resumed`: it is live again, on every channel.
 * - `end` (error | undefined): it ended without `unsubscribe()` — the client was closed (no
 *   error), or it could not be restored (reconnecting gave up, the server refused it).
 * - `error` (error): the listener threw; without an `error` listener that is thrown, as Node does.
 */
export class Subscription<M extends string | Buffer = string> extends EventEmitter implements TopicListener {
  /** `channel` (SUBSCRIBE), `pattern` (PSUBSCRIBE) or `shard` (SSUBSCRIBE). */
  readonly kind: TopicKind;
  /** The channels or patterns, as given. */
  readonly channels: readonly (string | Buffer)[];
  /** How many times it was interrupted. */
  interruptions = 0;
  readonly #topics: readonly Topic[];
  readonly #listener: (message: M, channel: M, pattern?: M) => void;
  readonly #buffers: boolean;
  readonly #owner: SubscriptionOwner;
  #status: SubscriptionStatus = 'subscribing';
  #live = 0;
  #started: { resolve: (subscription: Subscription<M>) => void; reject: (error: Error) => void } | undefined;
  /** Resolves once the server confirmed every channel; rejects if it could not be subscribed. */
  readonly started: Promise<Subscription<M>>;

  /** @internal */
  constructor(
    kind: TopicKind,
    channels: readonly (string | Buffer)[],
    topics: readonly Topic[],
    listener: (message: M, channel: M, pattern?: M) => void,
    buffers: boolean,
    owner: SubscriptionOwner,
  ) {
    super();
    this.kind = kind;
    this.channels = channels;
    this.#topics = topics;
    this.#listener = listener;
    this.#buffers = buffers;
    this.#owner = owner;
    this.started = new Promise((resolve, reject) => {
      this.#started = { resolve, reject };
    });
  }

  get status(): SubscriptionStatus {
    return this.#status;
  }

  /** Ends this subscription; others on the same channels go on. Resolves once the server agreed. */
  unsubscribe(): Promise<void> {
    if (this.#status === 'ended') return Promise.resolve();
    this.#status = 'ended';
    return this.#owner.release(this, this.#topics);
  }

  /** @internal */
  topicUp(): void {
    if (this.#status === 'ended' || ++this.#live < this.#topics.length) return;
    const wasInterrupted = this.#status === 'interrupted';
    this.#status = 'live';
    if (wasInterrupted) {
      this.emit('resumed');
    } else {
      this.#started?.resolve(this);
      this.#started = undefined;
    }
  }

  /** @internal */
  topicDown(error: Error): void {
    if (this.#status === 'ended') return;
    const wasLive = this.#live === this.#topics.length;
    this.#live--;
    if (wasLive && this.#status === 'live') {
      this.#status = 'interrupted';
      this.interruptions++;
      this.emit('interrupted', error);
    }
  }

  /**
   * Ends it without `unsubscribe()`: a `subscribe()` still waiting rejects with `error`; a
   * subscription that was live reports `end`. The owner has already let go of its topics.
   * @internal
   */
  end(error: RedisError | undefined, notStarted: RedisError): void {
    if (this.#status === 'ended') return;
    this.#status = 'ended';
    const started = this.#started;
    this.#started = undefined;
    if (started !== undefined) started.reject(error ?? notStarted);
    else this.emit('end', error);
  }

  /** @internal */
  get topics(): readonly Topic[] {
    return this.#topics;
  }

  /**
   * Hands one message to the listener: as Buffers when asked for, as text otherwise (`text` is
   * shared by every text subscription of the message, decoded once). A listener that throws
   * must not break the connection every other subscription reads from.
   * @internal
   */
  deliver(topic: Topic, payload: RespValue, text: Texts, channel: RespValue, pattern: boolean): void {
    if (this.#status === 'ended') return;
    try {
      if (this.#buffers) {
        const message = toBuffer(payload) as M;
        if (pattern) this.#listener(message, toBuffer(channel) as M, topic.name as M);
        else this.#listener(message, toBuffer(channel) as M);
      } else {
        const message = text.message(payload) as M;
        if (pattern) this.#listener(message, text.channel(channel) as M, topic.text as M);
        else this.#listener(message, topic.text as M);
      }
    } catch (error) {
      // Out of the socket's data handler first: an `error` event without a listener throws.
      process.nextTick(() => this.emit('error', error));
    }
  }
}

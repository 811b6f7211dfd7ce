import { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/options.js';
import { Queue } from '../connection/queue.js';
import { ConnectionError, type RedisError, ReplyError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { FrameKind, frameKind, kindIndexOf, Texts } from './frames.js';
import { keyOf, SUBSCRIBE_COMMANDS, type Topic, UNSUBSCRIBE_COMMANDS } from './topic.js';

/** What a subscriber tells the pub/sub that owns it. */
export interface SubscriberHost {
  /** `topic` is subscribed on the server, with nothing in flight. */
  topicLive(topic: Topic<Subscriber>): void;
  /** The connection is gone: these wanted topics are no longer subscribed anywhere. */
  topicsLost(subscriber: Subscriber, topics: Topic<Subscriber>[], error: RedisError): void;
  /** The server unsubscribed a wanted topic by itself (its slot now lives on another node). */
  topicDropped(subscriber: Subscriber, topic: Topic<Subscriber>): void;
  /** The server refused to subscribe these wanted topics (MOVED, NOPERM, ...). */
  topicsRefused(subscriber: Subscriber, topics: Topic<Subscriber>[], error: ReplyError): void;
  /** Nobody wants `topic` and the server no longer holds it here: forget it. */
  topicGone(topic: Topic<Subscriber>): void;
}

/** Where a subscriber connects. */
export interface SubscriberTarget {
  readonly host: string;
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
}

/** A (un)subscribe command written and not yet fully confirmed. */
interface Sent {
  readonly kindIndex: number;
  readonly subscribe: boolean;
  readonly topics: Topic<Subscriber>[];
  confirmed: number;
}

/** Names per command: keeps one command's size sane when thousands of channels are restored at once. */
const MAX_NAMES_PER_COMMAND = 512;

/**
 * One subscriber connection, for as long as its socket lives: it never reconnects itself. When it
 * is lost, its topics go back to the pub/sub, which decides where they live now (the same server
 * after a restart, the slot's new owner on a cluster) and opens a new subscriber there.
 *
 * The connection is dedicated on RESP2 and RESP3 alike, so the client's shared connection keeps a
 * clean FIFO of command replies. SUBSCRIBE and kin are written out of band (no FIFO entry): their
 * confirmations — one per name — and the messages arrive as pushes on RESP3 and as array replies
 * on RESP2, and both go to `#onFrame`. Confirmations come in the order the names were sent, so
 * `#sent` (oldest first) says which command each answers; an error reply answers a whole command
 * (the server refuses one before subscribing any of its names). A confirmation that answers
 * nothing sent is the server's own doing: Redis unsubscribes shard channels whose slot moved.
 *
 * Every reply on this connection is decoded as Buffers: channel names may be binary, and Buffer
 * subscriptions get the bytes as sent.
 */
export class Subscriber {
  readonly target: SubscriberTarget;
  readonly #connection: Connection;
  readonly #host: SubscriberHost;
  /** Topics held here, by kind index, by key. */
  readonly #topics: [
    Map<string, Topic<Subscriber>>,
    Map<string, Topic<Subscriber>>,
    Map<string, Topic<Subscriber>>,
  ] = [new Map(), new Map(), new Map()];
  readonly #sent = new Queue<Sent>();
  /** Topics whose server state may differ from what is wanted, reconciled together in one turn. */
  readonly #dirty = new Set<Topic<Subscriber>>();
  readonly #texts = new Texts();
  #flushScheduled = false;
  #ready = false;
  #closed = false;
  #lastError: Error | undefined;

  constructor(target: SubscriberTarget, options: ConnectionOptions, host: SubscriberHost) {
    this.target = target;
    this.#host = host;
    const connection = new Connection({
      ...options,
      host: target.host,
      port: target.port,
      // The placement chose the server: not wherever the client's own connection would go.
      resolveAddress: undefined,
      reconnect: false,
      offlineQueue: false,
    });
    this.#connection = connection;
    connection.on('error', (error: Error) => {
      this.#lastError = error;
    });
    connection.on('push', (frame: RespValue[]) => this.#onFrame(frame));
    connection.once('end', () => this.#onEnd());
    connection.connect().then(
      () => {
        // Only now: the handshake's replies go through the FIFO like any command's.
        connection.outOfBand = (reply) => this.#onReply(reply);
        this.#ready = true;
        this.#flush();
      },
      (error: Error) => {
        this.#lastError = error;
      },
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Takes `topic` in (new, or moved here): it is subscribed as soon as the connection is ready. */
  add(topic: Topic<Subscriber>): void {
    topic.home = this;
    topic.subscribed = false;
    topic.inFlight = 0;
    this.#topics[topic.kindIndex].set(topic.key, topic);
    this.touch(topic);
  }

  /** `topic` became wanted or unwanted: bring the server in line. */
  touch(topic: Topic<Subscriber>): void {
    this.#dirty.add(topic);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /**
   * Closes the connection; its topics are reported lost (with `reason`, when given, as the
   * cause) unless the owner is closing too.
   */
  close(reason?: Error): void {
    if (reason !== undefined) this.#lastError = reason;
    this.#connection.disconnect();
  }

  /**
   * Sends what the dirty topics need: one command per kind — and per hash slot for shard
   * channels, so channels of several slots never meet in one SSUBSCRIBE (CROSSSLOT).
   */
  #flush(): void {
    this.#flushScheduled = false;
    if (!this.#ready || this.#closed) return;
    const groups = new Map<string, Sent>();
    for (const topic of this.#dirty) {
      if (topic.home !== this || topic.inFlight > 0) continue;
      let subscribe: boolean;
      if (topic.wanted && !topic.subscribed) subscribe = true;
      else if (!topic.wanted && topic.subscribed) subscribe = false;
      else {
        // Already as wanted: live again (let go and taken back in one turn), or gone.
        if (topic.wanted) this.#host.topicLive(topic);
        else this.#forget(topic);
        continue;
      }
      const group = `${topic.kindIndex}:${subscribe}:${topic.slot}`;
      let sent = groups.get(group);
      if (sent === undefined) {
        sent = { kindIndex: topic.kindIndex, subscribe, topics: [], confirmed: 0 };
        groups.set(group, sent);
      }
      sent.topics.push(topic);
    }
    this.#dirty.clear();
    for (const group of groups.values()) {
      for (let start = 0; start < group.topics.length; start += MAX_NAMES_PER_COMMAND) {
        const topics = group.topics.slice(start, start + MAX_NAMES_PER_COMMAND);
        const name = (group.subscribe ? SUBSCRIBE_COMMANDS : UNSUBSCRIBE_COMMANDS)[group.kindIndex];
        try {
          this.#connection.writeOutOfBand(
            name,
            topics.map((topic) => topic.name),
            true,
          );
        } catch {
          // Closing under our feet: `end` follows and reports every topic.
          return;
        }
        for (const topic of topics) topic.inFlight++;
        this.#sent.push({ kindIndex: group.kindIndex, subscribe: group.subscribe, topics, confirmed: 0 });
      }
    }
  }

  /** RESP2: every reply is out of band here. RESP3: only error replies come this way. */
  #onReply(reply: RespValue): boolean {
    if (Array.isArray(reply)) return this.#onFrame(reply);
    if (reply instanceof ReplyError) return this.#onRefusal(reply);
    return false;
  }

  #onFrame(frame: RespValue[]): boolean {
    const kind = frameKind(frame[0]);
    switch (kind) {
      case FrameKind.Message:
      case FrameKind.ShardMessage:
        this.#onMessage(kindIndexOf(kind), frame[1], frame[1], frame[2], false);
        return true;
      case FrameKind.PatternMessage:
        this.#onMessage(1, frame[1], frame[2], frame[3], true);
        return true;
      case FrameKind.Subscribe:
      case FrameKind.PatternSubscribe:
      case FrameKind.ShardSubscribe:
        this.#onConfirmation(kindIndexOf(kind), true, frame[1]);
        return true;
      case FrameKind.Unsubscribe:
      case FrameKind.PatternUnsubscribe:
      case FrameKind.ShardUnsubscribe:
        this.#onConfirmation(kindIndexOf(kind), false, frame[1]);
        return true;
      default:
        // A RESP2 `pong` or anything else nobody asked for: not ours to read.
        return false;
    }
  }

  #onMessage(
    kindIndex: number,
    name: RespValue,
    channel: RespValue,
    payload: RespValue,
    pattern: boolean,
  ): void {
    const key = keyOf(name);
    const topic = key === undefined ? undefined : this.#topics[kindIndex].get(key);
    if (topic === undefined || topic.home !== this) return;
    const texts = this.#texts;
    texts.reset();
    for (const listener of topic.listeners) listener.deliver(topic, payload, texts, channel, pattern);
  }

  #onConfirmation(kindIndex: number, subscribed: boolean, name: RespValue): void {
    const key = keyOf(name);
    const topic = key === undefined ? undefined : this.#topics[kindIndex].get(key);
    const head = this.#sent.peek();
    if (
      head !== undefined &&
      topic !== undefined &&
      head.kindIndex === kindIndex &&
      head.subscribe === subscribed &&
      head.topics[head.confirmed] === topic
    ) {
      if (++head.confirmed === head.topics.length) this.#sent.shift();
      topic.inFlight--;
      topic.subscribed = subscribed;
      if (topic.inFlight === 0) this.#settle(topic);
      return;
    }
    // Not an answer to anything sent: the server ended it by itself (a shard channel whose slot
    // was migrated away, or whose node became a replica in a failover).
    if (subscribed || topic === undefined) return;
    topic.subscribed = false;
    if (topic.inFlight > 0) return; // the confirmations on their way say what holds now
    if (topic.wanted) {
      this.#detach(topic);
      this.#host.topicDropped(this, topic);
    } else {
      this.#forget(topic);
    }
  }

  /** The server refused the oldest command sent (an error reply answers a whole command). */
  #onRefusal(error: ReplyError): boolean {
    const sent = this.#sent.shift();
    if (sent === undefined) return false;
    const refused: Topic<Subscriber>[] = [];
    for (const topic of sent.topics) {
      topic.inFlight--;
      if (topic.inFlight > 0) continue;
      if (sent.subscribe && topic.wanted && !topic.subscribed) {
        this.#detach(topic);
        refused.push(topic);
      } else if (!sent.subscribe) {
        // An unsubscribe refused: stop expecting anything of it here rather than try forever.
        this.#forget(topic);
      } else {
        this.#settle(topic);
      }
    }
    if (refused.length > 0) this.#host.topicsRefused(this, refused, error);
    return true;
  }

  /** `topic` has nothing in flight: tell the owner it is live, or send what it needs now. */
  #settle(topic: Topic<Subscriber>): void {
    if (topic.wanted && topic.subscribed) this.#host.topicLive(topic);
    else if (!topic.wanted && !topic.subscribed) this.#forget(topic);
    else this.touch(topic);
  }

  #detach(topic: Topic<Subscriber>): void {
    this.#topics[topic.kindIndex].delete(topic.key);
    if (topic.home === this) topic.home = undefined;
    topic.subscribed = false;
    topic.inFlight = 0;
  }

  #forget(topic: Topic<Subscriber>): void {
    this.#detach(topic);
    this.#host.topicGone(topic);
  }

  #onEnd(): void {
    this.#closed = true;
    this.#ready = false;
    const lost: Topic<Subscriber>[] = [];
    for (const topics of this.#topics) {
      for (const topic of topics.values()) {
        if (topic.home !== this) continue;
        this.#detach(topic);
        if (topic.wanted) lost.push(topic);
        else this.#host.topicGone(topic);
      }
      topics.clear();
    }
    this.#sent.drain();
    this.#dirty.clear();
    const { host, port } = this.target;
    const error = new ConnectionError(
      `the subscriber connection to ${host}:${port} was lost${this.#lastError ? `: ${this.#lastError.message}` : ''}`,
      'CONNECTION_LOST',
      false,
      { cause: this.#lastError },
    );
    this.#host.topicsLost(this, lost, error);
  }
}

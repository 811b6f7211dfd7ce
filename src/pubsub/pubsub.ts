import type { ConnectionOptions, ReconnectStrategy } from '../connection/options.js';
import { ArgumentError, ConnectionError, RedisError, type ReplyError, TimeoutError } from '../errors.js';
import type { Subscriber, SubscriberHost, SubscriberTarget } from './subscriber.js';
import { Subscriber as SubscriberConnection } from './subscriber.js';
import { Subscription, type SubscriptionOwner } from './subscription.js';
import { NO_SLOT, Topic, type TopicKind, type TopicListener } from './topic.js';

/**
 * Where topics live: one server for a `Client`; for a `Cluster`, the primary serving a shard
 * channel's slot, and any one node for channels and patterns (PUBLISH reaches every node).
 */
export interface Placement {
  /** The node `topic` belongs on now, or `undefined` while none is known (it is retried later). */
  homeOf(topic: Topic): SubscriberTarget | undefined;
  /** The hash slot of a shard channel, or `NO_SLOT` where there are no slots. */
  slotOf(name: Buffer): number;
  /** A subscribe was redirected (MOVED): record where the slot is; `true` to send it there at once. */
  redirected(error: ReplyError, from: SubscriberTarget): boolean;
  /** The subscriber connection to `target` was lost: choose elsewhere for what could go anywhere. */
  failed(target: SubscriberTarget): void;
  /** `from` ended its subscription to `topic` (its slot moved): a map naming `from` again is stale. */
  dropped?(topic: Topic, from: SubscriberTarget): void;
  /** Reloads what `homeOf` reads (the slot map), before topics are placed again. */
  refresh(): Promise<void>;
}

export interface PubSubOptions {
  /** The client's connection options; host and port come from each target. */
  readonly connection: ConnectionOptions;
  /** How long to wait before placing lost topics again, attempt after attempt; `false` gives up at once. */
  readonly reconnect: ReconnectStrategy | false;
  /** Milliseconds a new subscription may take to be confirmed; 0 waits as long as reconnecting lasts. */
  readonly subscribeTimeout: number;
}

/** Error codes after which a refused subscribe is tried again later: it may work once the cluster settles. */
const RETRY_LATER: ReadonlySet<string> = new Set(['TRYAGAIN', 'CLUSTERDOWN', 'LOADING', 'MASTERDOWN', 'ASK']);
/** Redirections one topic may follow before it fails (a slot bouncing between nodes). */
const MAX_REDIRECTS = 16;

type AnySubscription = Subscription<any>;

export type SubscriptionNames = string | Buffer | ReadonlyArray<string | Buffer>;

/**
 * The pub/sub of one client: its subscriptions, the topics they share, and the subscriber
 * connections that hold them. Every topic is always in one of three places: on a subscriber
 * (confirmed or on its way), homeless (waiting to be placed again after a loss), or forgotten
 * (nobody wants it). A lost topic is reported to its subscriptions (`interrupted`) at once and
 * placed again with the client's reconnect backoff; it reports `resumed` when the server
 * confirmed it again. Nothing is ever dropped without an event.
 */
export class PubSub implements SubscriberHost, SubscriptionOwner {
  readonly #placement: Placement;
  readonly #options: PubSubOptions;
  /** Topics by kind index, by key. */
  readonly #topics: [
    Map<string, Topic<Subscriber>>,
    Map<string, Topic<Subscriber>>,
    Map<string, Topic<Subscriber>>,
  ] = [new Map(), new Map(), new Map()];
  readonly #subscribers = new Map<string, Subscriber>();
  readonly #homeless = new Set<Topic<Subscriber>>();
  #retryTimer: NodeJS.Timeout | undefined;
  #placing = false;
  #attempt = 0;
  #lastError: Error | undefined;
  #closed = false;

  constructor(placement: Placement, options: PubSubOptions) {
    this.#placement = placement;
    this.#options = options;
  }

  /** Subscribes `listener` to `names`; resolves once the server confirmed every one. */
  subscribe(
    kind: TopicKind,
    names: SubscriptionNames,
    listener: (...args: never[]) => void,
    buffers: boolean,
    timeout = this.#options.subscribeTimeout,
  ): Promise<AnySubscription> {
    if (this.#closed) {
      return Promise.reject(
        new ConnectionError(`${method(kind)}: the client was closed`, 'CONNECTION_CLOSED', false),
      );
    }
    let list: Array<string | Buffer>;
    try {
      list = checkNames(kind, names);
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof listener !== 'function') {
      return Promise.reject(new ArgumentError(`${method(kind)}: the listener must be a function`));
    }
    const topics: Topic<Subscriber>[] = [];
    const seen = new Set<string>();
    for (const name of list) {
      const topic = this.#topicFor(kind, name);
      if (seen.has(topic.key)) continue;
      seen.add(topic.key);
      topics.push(topic);
    }
    const subscription = new Subscription(
      kind,
      list,
      topics,
      listener as (message: string | Buffer, channel: string | Buffer) => void,
      buffers,
      this,
    );
    for (const topic of topics) {
      topic.listeners.add(subscription);
      // Whoever let go of it while it was being unsubscribed is done: it is wanted again.
      topic.settleWaiters();
      if (topic.live) subscription.topicUp();
      else if (topic.home !== undefined) topic.home.touch(topic);
      else if (!this.#homeless.has(topic)) this.#place(topic);
    }
    if (timeout > 0 && subscription.status === 'subscribing') {
      const timer = setTimeout(() => {
        if (subscription.status !== 'subscribing') return;
        this.#end(
          subscription,
          new TimeoutError(
            `${method(kind)}: the server did not confirm the subscription within ${timeout} ms${this.#lastError ? ` (${this.#lastError.message})` : ''}`,
            false,
          ),
        );
      }, timeout);
      timer.unref();
      subscription.started.then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }
    return subscription.started;
  }

  /** Ends every subscription (`end` without an error) and closes every subscriber connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    const subscriptions = new Set<AnySubscription>();
    for (const topics of this.#topics) {
      for (const topic of topics.values()) {
        for (const listener of topic.listeners) subscriptions.add(listener as AnySubscription);
        topic.settleWaiters();
      }
      topics.clear();
    }
    this.#homeless.clear();
    const closed = new ConnectionError('subscribe: the client was closed', 'CONNECTION_CLOSED', false);
    for (const subscription of subscriptions) subscription.end(undefined, closed);
    for (const subscriber of this.#subscribers.values()) subscriber.close();
    this.#subscribers.clear();
  }

  /**
   * Where topics belong changed behind the placement's back (a Sentinel failover): every
   * subscriber connection closes with `reason`; its topics are reported interrupted and placed
   * again, where `homeOf` says now.
   */
  relocate(reason: Error): void {
    if (this.#closed) return;
    for (const subscriber of this.#subscribers.values()) subscriber.close(reason);
  }

  /** `Subscription.unsubscribe()`: lets go of its topics; resolves once the server agreed. */
  release(subscription: TopicListener, topics: readonly Topic[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const topic of topics as readonly Topic<Subscriber>[]) {
      if (!topic.listeners.delete(subscription) || topic.wanted) continue;
      // Not live for whoever joins next: they wait for the server to have it again.
      topic.live = false;
      if (topic.home !== undefined && !this.#closed) {
        waits.push(topic.whenSettled());
        topic.home.touch(topic);
      } else {
        this.#homeless.delete(topic);
        this.topicGone(topic);
      }
    }
    return Promise.all(waits).then(() => undefined);
  }

  // ---- SubscriberHost: what subscriber connections report ----

  topicLive(topic: Topic<Subscriber>): void {
    topic.redirects = 0;
    this.#attempt = 0;
    topic.settleWaiters();
    if (topic.live) return;
    topic.live = true;
    for (const listener of [...topic.listeners]) listener.topicUp();
  }

  topicsLost(subscriber: Subscriber, topics: Topic<Subscriber>[], error: RedisError): void {
    if (this.#subscribers.get(subscriber.target.address) === subscriber) {
      this.#subscribers.delete(subscriber.target.address);
    }
    if (this.#closed) return;
    this.#lastError = error;
    this.#placement.failed(subscriber.target);
    for (const topic of topics) this.#down(topic, error);
    this.#retryLater();
  }

  topicDropped(subscriber: Subscriber, topic: Topic<Subscriber>): void {
    if (this.#closed) return;
    const { address } = subscriber.target;
    this.#placement.dropped?.(topic, subscriber.target);
    this.#down(
      topic,
      new RedisError(
        `${address} ended the subscription to ${JSON.stringify(topic.text)} (its hash slot moved to another node)`,
        'SUBSCRIPTION_MOVED',
        false,
      ),
    );
    // The slot map is stale: placing it again starts with a refresh.
    this.#retryLater();
  }

  topicsRefused(subscriber: Subscriber, topics: Topic<Subscriber>[], error: ReplyError): void {
    if (this.#closed) return;
    if (error.code === 'MOVED' && this.#placement.redirected(error, subscriber.target)) {
      for (const topic of topics) {
        if (++topic.redirects > MAX_REDIRECTS) this.#fail(topic, error);
        else this.#place(topic);
      }
      return;
    }
    if (RETRY_LATER.has(error.code)) {
      this.#lastError = error;
      for (const topic of topics) this.#down(topic, error);
      this.#retryLater();
      return;
    }
    for (const topic of topics) this.#fail(topic, error);
  }

  topicGone(topic: Topic<Subscriber>): void {
    topic.settleWaiters();
    if (topic.wanted) return;
    const topics = this.#topics[topic.kindIndex];
    if (topics.get(topic.key) === topic) topics.delete(topic.key);
  }

  // ---- placing topics ----

  #topicFor(kind: TopicKind, name: string | Buffer): Topic<Subscriber> {
    const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    const topics = this.#topics[kindIndex(kind)];
    const key = bytes.toString('latin1');
    let topic = topics.get(key);
    if (topic === undefined) {
      const text = typeof name === 'string' ? name : name.toString('utf8');
      topic = new Topic<Subscriber>(
        kind,
        bytes,
        text,
        kind === 'shard' ? this.#placement.slotOf(bytes) : NO_SLOT,
      );
      topics.set(key, topic);
    }
    return topic;
  }

  /** Puts `topic` on the subscriber of the node it belongs on, or leaves it homeless for later. */
  #place(topic: Topic<Subscriber>): void {
    this.#homeless.delete(topic);
    const target = this.#placement.homeOf(topic);
    if (target === undefined) {
      this.#homeless.add(topic);
      this.#retryLater();
      return;
    }
    let subscriber = this.#subscribers.get(target.address);
    if (subscriber === undefined || subscriber.closed) {
      subscriber = new SubscriberConnection(target, this.#options.connection, this);
      this.#subscribers.set(target.address, subscriber);
    }
    subscriber.add(topic);
  }

  /** `topic` is no longer subscribed: its subscriptions hear of it, and it waits to be placed again. */
  #down(topic: Topic<Subscriber>, error: Error): void {
    topic.home = undefined;
    if (topic.live) {
      topic.live = false;
      for (const listener of [...topic.listeners]) listener.topicDown(error);
    }
    if (topic.wanted) this.#homeless.add(topic);
    else this.topicGone(topic);
  }

  /**
   * Places the homeless topics again after the reconnect strategy's delay (none for the first
   * attempt), reloading the slot map first. When the strategy gives up, their subscriptions end.
   */
  #retryLater(): void {
    if (this.#closed || this.#retryTimer !== undefined || this.#placing || this.#homeless.size === 0) return;
    this.#attempt++;
    const strategy = this.#options.reconnect;
    const error = this.#lastError ?? new RedisError('the subscription was lost', 'CONNECTION_LOST', false);
    const delay = strategy === false ? false : this.#attempt === 1 ? 0 : strategy(this.#attempt - 1, error);
    if (delay === false) {
      const gaveUp = new ConnectionError(
        `subscribe: gave up restoring the subscription: ${error.message}`,
        'CONNECT_FAILED',
        false,
        { cause: error },
      );
      for (const topic of [...this.#homeless]) this.#fail(topic, gaveUp);
      return;
    }
    // Not unref'd: a process whose only work is its subscriptions must wait for them to come back.
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#placing = true;
      this.#placement
        .refresh()
        .catch((refreshError: Error) => {
          this.#lastError = refreshError;
        })
        .then(() => {
          this.#placing = false;
          if (this.#closed) return;
          for (const topic of [...this.#homeless]) {
            if (topic.wanted) this.#place(topic);
            else this.#homeless.delete(topic);
          }
        });
    }, delay);
  }

  /** `topic` cannot be subscribed: every subscription on it ends with `error`. */
  #fail(topic: Topic<Subscriber>, error: RedisError): void {
    for (const listener of [...topic.listeners]) this.#end(listener as AnySubscription, error);
  }

  /** Ends `subscription` with `error` and lets go of its topics. */
  #end(subscription: AnySubscription, error: RedisError): void {
    const topics = subscription.topics;
    subscription.end(error, error);
    void this.release(subscription, topics);
  }
}

function kindIndex(kind: TopicKind): number {
  return kind === 'channel' ? 0 : kind === 'pattern' ? 1 : 2;
}

function method(kind: TopicKind): string {
  return kind === 'channel' ? 'subscribe' : kind === 'pattern' ? 'psubscribe' : 'ssubscribe';
}

function checkNames(kind: TopicKind, names: SubscriptionNames): Array<string | Buffer> {
  const list = typeof names === 'string' || Buffer.isBuffer(names) ? [names] : names;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ArgumentError(
      `${method(kind)}: expected a ${kind === 'pattern' ? 'pattern' : 'channel'} name or a non-empty array of them`,
    );
  }
  list.forEach((name, index) => {
    if (typeof name !== 'string' && !Buffer.isBuffer(name)) {
      throw new ArgumentError(
        `${method(kind)}: ${kind === 'pattern' ? 'pattern' : 'channel'} ${index} must be a string or a Buffer, got ${name === null ? 'null' : typeof name}`,
      );
    }
  });
  return [...list];
}

/** The placement of a client of one server: everything lives there. */
export function onOneServer(host: string, port: number): Placement {
  const address = { host, port };
  return onMovingServer(
    () => address,
    () => Promise.resolve(),
  );
}

/**
 * The placement of a client of one server that may move (a Sentinel's primary): everything lives
 * where `current` says — nowhere while it says `undefined`, and `refresh` waits until it knows.
 */
export function onMovingServer(
  current: () => { host: string; port: number } | undefined,
  refresh: () => Promise<void>,
): Placement {
  let target: SubscriberTarget | undefined;
  return {
    homeOf: () => {
      const server = current();
      if (server === undefined) return undefined;
      if (target === undefined || target.host !== server.host || target.port !== server.port) {
        target = { host: server.host, port: server.port, address: `${server.host}:${server.port}` };
      }
      return target;
    },
    slotOf: () => NO_SLOT,
    redirected: () => false,
    failed: () => undefined,
    refresh,
  };
}

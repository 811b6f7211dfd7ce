import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { RedisArg, RespValue } from '../resp/types.js';

/** Sends one handshake command and waits for its reply (which may be a ReplyError value). */
export type HandshakeSend = (name: string, args: RedisArg[]) => Promise<RespValue>;

/**
 * Decides how long to wait before reconnect attempt `attempt` (1-based) after `error`;
 * `false` gives up, failing every queued command with `CONNECTION_CLOSED`.
 */
export type ReconnectStrategy = (attempt: number, error: Error) => number | false;

/** Everything one connection needs, fully resolved (the client fills in defaults). */
export interface ConnectionOptions {
  host: string;
  port: number;
  tls: TlsConnectionOptions | undefined;
  username: string | undefined;
  password: string | undefined;
  db: number;
  resp: 2 | 3;
  name: string | undefined;
  /** Milliseconds for TCP/TLS connect plus handshake. */
  connectTimeout: number;
  reconnect: ReconnectStrategy | false;
  /** Limit on commands accepted but not yet written (offline or under backpressure). */
  maxQueuedCommands: number;
  /** Queue commands while disconnected (true) or fail them at once with NOT_CONNECTED. */
  offlineQueue: boolean;
  /**
   * Write a turn's commands once the event loop has read every socket that was ready (in
   * `setImmediate`), instead of right after the callback that issued them (`process.nextTick`).
   * One of several connections read together (a cluster's nodes): the callers answered by each
   * node's replies then send their next commands in one write per node, not one per node per
   * read. A lone connection is faster with the default (it has nothing to wait for).
   */
  flushAfterReads?: boolean;
  /**
   * Milliseconds the server may stay unreachable before queued commands fail (`NOT_CONNECTED`,
   * not run) and new ones fail at once, until it is back; 0 waits as long as reconnecting goes on.
   */
  offlineTimeout: number;
  /** Largest blob a reply may declare, in bytes. */
  maxBulkLength: number;
  /** Deepest nesting of aggregates in one reply. */
  maxReplyDepth: number;
  /** Most elements the aggregates of one reply may declare in all. */
  maxReplyElements: number;
  /** Send READONLY after the handshake: a cluster replica connection serving reads. */
  readOnlyReplica?: boolean;
  /**
   * Asked before every (re)connect where to connect, instead of `host`/`port` (a Sentinel's
   * current primary). A rejection counts as a failed attempt: the reconnect strategy applies.
   */
  resolveAddress?: () => Promise<{ host: string; port: number }>;
  /** Runs after the handshake on every socket; a rejection refuses the server (Sentinel: ROLE). */
  verifyServer?: (send: HandshakeSend) => Promise<void>;
}

/** Exponential backoff with full jitter between `initialDelay` and `maxDelay`. */
export function exponentialBackoff(options: {
  initialDelay?: number;
  maxDelay?: number;
  maxAttempts?: number;
}): ReconnectStrategy {
  const initialDelay = options.initialDelay ?? 50;
  const maxDelay = options.maxDelay ?? 2000;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  return (attempt) => {
    if (attempt > maxAttempts) return false;
    const ceiling = Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt - 1, 30));
    // Half fixed, half random: spreads a fleet of clients reconnecting to a restarted server
    // without ever retrying immediately.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  };
}

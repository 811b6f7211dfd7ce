import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { type ConnectionOptions, exponentialBackoff, type ReconnectStrategy } from '../connection/options.js';
import { ArgumentError } from '../errors.js';
import { shown } from './commands/argument-checks.js';

/** Options of `new Client(...)`. Every field is optional; `url` fills in what it names. */
export interface ClientOptions {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
  url?: string;
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
  /** `true` for TLS with Node's defaults, or Node TLS options (ca, cert, key, servername...). */
  tls?: boolean | TlsConnectionOptions;
  /** Protocol version; default 3 (falls back to 2 on servers without HELLO). */
  resp?: 2 | 3;
  /** Connection name (CLIENT SETNAME). */
  name?: string;
  /** Milliseconds to connect and handshake; default 10 000. */
  connectTimeout?: number;
  /** Milliseconds before any command fails with TimeoutError; default 0 (none). */
  commandTimeout?: number;
  /**
   * Reconnection after a lost connection: `false` to stop, backoff settings (defaults: 50 ms
   * initial, 2 s max, unlimited attempts), or a function of (attempt, error) → delay | false.
   */
  reconnect?: false | { initialDelay?: number; maxDelay?: number; maxAttempts?: number } | ReconnectStrategy;
  /** Commands accepted but not yet written (while offline or under backpressure); default 1 000 000. */
  maxQueuedCommands?: number;
  /** Queue commands while disconnected (default) or fail them at once. */
  offlineQueue?: boolean;
  /**
   * Milliseconds a lost server may stay unreachable before the commands queued for it fail with
   * `ConnectionError` `NOT_CONNECTED` (they did not run) — and new ones fail at once until it is
   * back. Default 10 000, so no command waits forever by default; 0 waits while reconnecting lasts.
   */
  offlineTimeout?: number;
  /** Largest reply blob accepted, in bytes; default 512 MiB (Redis's own proto-max-bulk-len). */
  maxBulkLength?: number;
  /**
   * Put in front of every key of every described command, scripts' `KEYS` included (`app:` turns
   * `get('user')` into `GET app:user`). Not prefixed: patterns (KEYS, SCAN MATCH), channels, keys
   * named in replies or inside Lua, and the arguments of commands redmoon does not describe.
   */
  keyPrefix?: string;
  /** Deepest nesting of arrays, maps and sets accepted in one reply; default 1024. */
  maxReplyDepth?: number;
  /**
   * Most elements the arrays, maps and sets of one reply may declare in all (a map counts its
   * pairs); default 67 108 864 (2^26). A server declaring more fails the connection at once.
   */
  maxReplyElements?: number;
  /**
   * Connections kept per server, besides the shared one, for blocking commands (BLPOP, BZPOPMIN,
   * XREAD BLOCK, ...: one each while it blocks) and `isolated()` sessions; default 8. When all
   * are busy, further calls wait for one, in order.
   */
  dedicatedConnections?: number;
}

export interface ResolvedClientOptions {
  connection: ConnectionOptions;
  commandTimeout: number;
  /** `''` for none. */
  keyPrefix: string;
  dedicatedConnections: number;
}

/** Validates options and fills in defaults. Throws ArgumentError naming the bad option. */
export function resolveClientOptions(options: ClientOptions = {}): ResolvedClientOptions {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError('Client options must be an object');
  const fromUrl = options.url === undefined ? {} : parseRedisUrl(options.url);
  const merged = { ...fromUrl, ...definedOnly(options) };
  const tls = merged.tls === true ? {} : merged.tls === false ? undefined : merged.tls;
  const connection: ConnectionOptions = {
    host: merged.host ?? '127.0.0.1',
    port: checkInteger('port', merged.port ?? 6379, 1, 65535),
    tls,
    username: checkOptionalString('username', merged.username),
    password: checkOptionalString('password', merged.password),
    db: checkInteger('db', merged.db ?? 0, 0, 1 << 30),
    resp: checkResp(merged.resp ?? 3),
    name: checkOptionalString('name', merged.name),
    connectTimeout: checkInteger('connectTimeout', merged.connectTimeout ?? 10_000, 1, 2 ** 31 - 1),
    reconnect: resolveReconnect(merged.reconnect),
    maxQueuedCommands: checkInteger(
      'maxQueuedCommands',
      merged.maxQueuedCommands ?? 1_000_000,
      1,
      2 ** 31 - 1,
    ),
    offlineQueue: merged.offlineQueue ?? true,
    offlineTimeout: checkInteger('offlineTimeout', merged.offlineTimeout ?? 10_000, 0, 2 ** 31 - 1),
    maxBulkLength: checkInteger('maxBulkLength', merged.maxBulkLength ?? 512 * 1024 * 1024, 1, 2 ** 32),
    maxReplyDepth: checkInteger('maxReplyDepth', merged.maxReplyDepth ?? 1024, 1, 2 ** 31 - 1),
    maxReplyElements: checkInteger('maxReplyElements', merged.maxReplyElements ?? 2 ** 26, 1, 2 ** 53 - 1),
  };
  if (connection.name !== undefined && /\s/.test(connection.name)) {
    throw new ArgumentError('name must not contain spaces (CLIENT SETNAME refuses them)');
  }
  return {
    connection,
    commandTimeout: checkInteger('commandTimeout', merged.commandTimeout ?? 0, 0, 2 ** 31 - 1),
    keyPrefix: checkOptionalString('keyPrefix', merged.keyPrefix) ?? '',
    dedicatedConnections: checkInteger('dedicatedConnections', merged.dedicatedConnections ?? 8, 1, 10_000),
  };
}

/**
 * Parses `redis://` and `rediss://` URLs. Errors quote no part of the URL: a password holding
 * an unencoded `/`, `@` or `#` shifts what the parser sees as scheme, host, path or fragment,
 * so any part may hold (some of) the password.
 */
export function parseRedisUrl(url: string): ClientOptions {
  if (typeof url !== 'string') throw new ArgumentError('url must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ArgumentError(
      `url is not a valid URL (expected redis://host:port/db or rediss://...)${ENCODING_HINT}`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ArgumentError('url must start with redis:// or rediss://');
  }
  const options: ClientOptions = {};
  if (parsed.hostname !== '') options.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (parsed.port !== '') options.port = Number(parsed.port);
  try {
    if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
    if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  } catch {
    throw new ArgumentError('url holds a username or password with an invalid %-escape');
  }
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '') {
    const db = Number(path);
    if (!Number.isInteger(db) || db < 0 || !/^[0-9]+$/.test(path))
      throw new ArgumentError(`url names a database that is not a non-negative integer${ENCODING_HINT}`);
    options.db = db;
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new ArgumentError(`url has a query or fragment, which redmoon does not read${ENCODING_HINT}`);
  }
  if (parsed.protocol === 'rediss:') options.tls = true;
  return options;
}

const ENCODING_HINT = "; a password holding '/', '@', '#', '?' or '%' must be %-encoded (encodeURIComponent)";

function resolveReconnect(reconnect: ClientOptions['reconnect']): ReconnectStrategy | false {
  if (reconnect === false) return false;
  if (typeof reconnect === 'function') return reconnect;
  if (reconnect === undefined) return exponentialBackoff({});
  if (typeof reconnect !== 'object')
    throw new ArgumentError('reconnect must be false, an object or a function');
  return exponentialBackoff(reconnect);
}

function definedOnly(options: ClientOptions): ClientOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options))
    if (value !== undefined && key !== 'url') out[key] = value;
  return out as ClientOptions;
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ArgumentError(`${name} must be an integer from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

function checkOptionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ArgumentError(`${name} must be a string`);
  return value;
}

function checkResp(value: unknown): 2 | 3 {
  if (value !== 2 && value !== 3) throw new ArgumentError(`resp must be 2 or 3, got ${shown(value)}`);
  return value;
}

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import {
  type ClientOptions,
  parseRedisUrl,
  type ResolvedClientOptions,
  resolveClientOptions,
} from '../client/options.js';
import type { ConnectionOptions } from '../connection/options.js';
import { ArgumentError } from '../errors.js';

/**
 * Options of `new Sentinel(...)`: where the sentinels are, the name they know the primary by,
 * and every `Client` option (`username`, `password`, `tls`, `db`, `resp`, ...) for the primary
 * and replicas themselves.
 */
export interface SentinelOptions extends Omit<ClientOptions, 'url' | 'host' | 'port' | 'name'> {
  /**
   * The sentinels, as `redis://[[user]:password@]host:port` (or `rediss://`) URLs or `{ host, port }`,
   * asked in turn. Credentials and TLS in a URL are that sentinel's own.
   */
  sentinels: Array<string | { host: string; port: number }>;
  /** The name the sentinels monitor the primary by (`sentinel monitor <name> ...`). */
  name: string;
  /** The connection name (CLIENT SETNAME) on the primary and replicas; `name` is the primary's. */
  connectionName?: string;
  /** The sentinels' own user, for those whose URL names none (ACL on the sentinels). */
  sentinelUsername?: string;
  /** The sentinels' own password (`requirepass` of the sentinels), for those whose URL names none. */
  sentinelPassword?: string;
  /** TLS to the sentinels: `true` for Node's defaults or Node TLS options. Default: no TLS. */
  sentinelTls?: boolean | TlsConnectionOptions;
  /**
   * Send read-only commands that have keys (GET, HGETALL, EVAL_RO/EVALSHA_RO, FCALL_RO, scripts
   * and functions declared `no-writes`) to the replicas the sentinels list as healthy, in turn,
   * falling back to the primary. Replicas may lag behind the primary. Default false.
   */
  replicaReads?: boolean;
}

export interface ResolvedSentinelOptions {
  /** The primary's and replicas' connection options; host and port are filled in per connection. */
  data: ResolvedClientOptions;
  /** One set of connection options per sentinel, in the order given. */
  sentinels: ConnectionOptions[];
  name: string;
  replicaReads: boolean;
}

/** Validates options and fills in defaults. Throws ArgumentError naming the bad option. */
export function resolveSentinelOptions(options: SentinelOptions): ResolvedSentinelOptions {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError('Sentinel options must be an object');
  const {
    sentinels,
    name,
    connectionName,
    sentinelUsername,
    sentinelPassword,
    sentinelTls,
    replicaReads,
    ...clientOptions
  } = options;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    throw new ArgumentError('Sentinel needs `sentinels`: at least one sentinel URL or { host, port }');
  }
  if (typeof name !== 'string' || name.length === 0 || /\s/.test(name)) {
    throw new ArgumentError('Sentinel needs `name`: the non-empty name the sentinels monitor the primary by');
  }
  if (replicaReads !== undefined && typeof replicaReads !== 'boolean') {
    throw new ArgumentError('replicaReads must be a boolean');
  }
  for (const key of ['url', 'host', 'port'] as const) {
    if ((options as ClientOptions)[key] !== undefined) {
      throw new ArgumentError(`Sentinel takes no \`${key}\`: the sentinels say where the primary is`);
    }
  }
  const data = resolveClientOptions({ ...clientOptions, name: connectionName });
  const shared: ClientOptions = { username: sentinelUsername, password: sentinelPassword, tls: sentinelTls };
  const resolved = sentinels.map((sentinel, index): ConnectionOptions => {
    const own = sentinelAddress(sentinel, index);
    // `rediss://` says "TLS"; the TLS options (a private CA, say) still come from sentinelTls.
    if (own.tls === true && typeof sentinelTls === 'object') own.tls = sentinelTls;
    const connection = resolveClientOptions({
      ...shared,
      ...own,
      resp: data.connection.resp,
      connectTimeout: data.connection.connectTimeout,
    }).connection;
    // Queries are few and short: fail fast to try the next sentinel rather than queue.
    return { ...connection, reconnect: false, offlineQueue: false };
  });
  return { data, sentinels: resolved, name, replicaReads: replicaReads === true };
}

function sentinelAddress(sentinel: string | { host: string; port: number }, index: number): ClientOptions {
  if (typeof sentinel === 'string') {
    const parsed = parseRedisUrl(sentinel);
    if (parsed.db !== undefined)
      throw new ArgumentError(`sentinels[${index}]: a sentinel URL names no database`);
    return { ...parsed, port: parsed.port ?? 26379 };
  }
  if (
    sentinel === null ||
    typeof sentinel !== 'object' ||
    typeof sentinel.host !== 'string' ||
    !Number.isInteger(sentinel.port)
  ) {
    throw new ArgumentError(`sentinels[${index}] must be a URL or { host, port }`);
  }
  return { host: sentinel.host, port: sentinel.port };
}

import { inspect } from 'node:util';
import { BaseClient } from '../client/base-client.js';
import { prepareCommand } from '../client/command-factory.js';
import { abortDedicated } from '../client/dedicated-pool.js';
import type { IsolationBinding } from '../client/isolated.js';
import type { ScanRequest } from '../client/iterators.js';
import { prefixKeys } from '../client/key-prefix.js';
import { type ClientOptions, parseRedisUrl, resolveClientOptions } from '../client/options.js';
import { blockTimeOf, type CommandSpec } from '../client/spec.js';
import type { Commands } from '../client/surface.js';
import type { Command, CommandHook, CommandOptions } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { AbortError, ArgumentError, ClusterError, ConnectionError } from '../errors.js';
import { PubSub } from '../pubsub/pubsub.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ServerAddress } from '../telemetry/channels.js';
import { ClusterCommand, UNKNOWN_KEYS } from './cluster-command.js';
import { CommandKeys } from './command-keys.js';
import { NodePool } from './node-pool.js';
import { ClusterPlacement } from './pubsub-placement.js';
import { ClusterRouter } from './router.js';
import { clusterScanPages } from './scan.js';
import { ANY_SLOT, slotOfCall } from './slots.js';
import { type NodeAddress, nodeAddress } from './topology.js';

/** Options of `new Cluster(...)`: the seed nodes plus every `Client` option except the address. */
export interface ClusterOptions extends Omit<ClientOptions, 'url' | 'host' | 'port' | 'db'> {
  /** Seed nodes, as `redis://host:port` URLs or `{ host, port }`; any one reachable node suffices. */
  nodes: Array<string | { host: string; port: number }>;
  /**
   * Send read-only commands (GET, EVAL_RO/EVALSHA_RO, FCALL_RO, scripts and functions declared
   * `no-writes`) to replicas, in turn, falling back to the primary. Replicas may lag behind.
   */
  replicaReads?: boolean;
  /** Redirections and retries one command may take before failing; default 16. */
  maxRedirections?: number;
  /** Milliseconds between background slot-map refreshes; default 30 000, 0 disables. */
  refreshInterval?: number;
}

export interface Cluster extends Commands {}

/**
 * A Redis Cluster client with the same commands, pipelines and scripting surface as `Client`:
 * `Script`, `Library` and `RedisFunction` accept either.
 *
 * - Keys route by hash slot (CRC16, `{hash tags}`); every command's key positions come from its
 *   description, or from the server (`COMMAND INFO`) for commands redmoon does not describe.
 *   Keys in different slots are refused before sending (`ClusterError` code `CROSSSLOT`).
 * - Keyless commands go to the primary that serves slot 0 — except those whose description
 *   says `everyPrimary` (script and function management, FLUSHALL/FLUSHDB/DBSIZE, KEYS), which
 *   go to every primary and merge the answers. SCAN and RANDOMKEY answer for the primary serving
 *   slot 0 only.
 * - MOVED updates the map and retries; ASK retries once on the target after ASKING; TRYAGAIN,
 *   CLUSTERDOWN, LOADING, MASTERDOWN and READONLY refresh the map and retry with backoff. A
 *   write whose reply was lost is never resent (at most once): it fails with `mayHaveRun: true`.
 */
export class Cluster extends BaseClient {
  readonly #pool: NodePool;
  readonly #commandTimeout: number;
  readonly #keyPrefix: string;
  readonly #router: ClusterRouter;
  readonly #maxRedirections: number;
  readonly #refreshInterval: number;
  #refreshTimer: NodeJS.Timeout | undefined;
  #status: 'idle' | 'connecting' | 'ready' | 'closed' = 'idle';
  #connecting: Promise<void> | undefined;
  readonly #connectionOptions: ReturnType<typeof resolveClientOptions>['connection'];
  #pubsub: PubSub | undefined;

  constructor(options: ClusterOptions) {
    super();
    if (
      options === null ||
      typeof options !== 'object' ||
      !Array.isArray(options.nodes) ||
      options.nodes.length === 0
    ) {
      throw new ArgumentError('Cluster needs `nodes`: at least one seed node URL or { host, port }');
    }
    const { nodes, replicaReads, maxRedirections, refreshInterval, ...clientOptions } = options;
    const seeds = nodes.map((node) => seedAddress(node, clientOptions));
    // Credentials and TLS may come with the first seed's URL (rediss://user:pass@host:port).
    const { username, password, tls } =
      typeof nodes[0] === 'string' ? parseRedisUrl(nodes[0]) : ({} as ClientOptions);
    const resolved = resolveClientOptions({
      username,
      password,
      tls,
      ...clientOptions,
      host: seeds[0].host,
      port: seeds[0].port,
    });
    this.#commandTimeout = resolved.commandTimeout;
    this.#keyPrefix = resolved.keyPrefix;
    this.#connectionOptions = resolved.connection;
    this.#refreshInterval = refreshInterval ?? 30_000;
    this.#pool = new NodePool(
      seeds,
      resolved.connection,
      replicaReads === true,
      resolved.dedicatedConnections,
    );
    this.#pool.on('nodeError', (node: NodeAddress, error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', Object.assign(error, { node: node.address }));
    });
    this.#pool.on('refresh', () => this.emit('refresh'));
    this.#maxRedirections = maxRedirections ?? 16;
    this.#router = new ClusterRouter(this.#pool, new CommandKeys(this.#pool), this.#maxRedirections);
  }

  get status(): 'idle' | 'connecting' | 'ready' | 'closed' {
    return this.#status;
  }

  /** The primaries in the current slot map, as `host:port`. */
  get primaries(): string[] {
    return this.#pool.primaries.map((node) => node.address);
  }

  /** Loads the slot map from the seeds and connects to every primary. */
  /**
   * Loads the slot map from the seeds and connects to every primary. Idempotent like
   * `Client.connect()`; commands issued before it fail with `NOT_CONNECTED`, as on a Client.
   */
  connect(): Promise<void> {
    if (this.#connecting === undefined || this.#status === 'closed') {
      if (this.#status !== 'idle') {
        return Promise.reject(
          new ConnectionError(`connect() called on a ${this.#status} cluster`, 'CONNECTION_CLOSED', false),
        );
      }
      this.#connecting = this.#connect();
    }
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    this.#status = 'connecting';
    this.#router.open();
    try {
      await this.#pool.refresh();
      await Promise.all(this.#pool.primaries.map((node) => this.#pool.handle(node).ready));
    } catch (error) {
      this.#status = 'closed';
      await this.#pool.close(false);
      throw error;
    }
    this.#status = 'ready';
    if (this.#refreshInterval > 0) {
      this.#refreshTimer = setInterval(
        () => this.#pool.refresh().catch(() => undefined),
        this.#refreshInterval,
      );
      this.#refreshTimer.unref();
    }
    this.emit('ready');
  }

  /** Waits for every node's pending replies, then closes. */
  async quit(): Promise<void> {
    this.#stop();
    await this.#pool.close(true);
  }

  /** Closes every node connection at once. */
  disconnect(): void {
    this.#stop();
    void this.#pool.close(false);
  }

  /** Reloads the slot map now (it also reloads by itself on MOVED, on failures and periodically). */
  refresh(): Promise<void> {
    return this.#pool.refresh();
  }

  /** @internal */
  _dispatch(command: Command, spec: CommandSpec): void {
    // Decided here, not in _command: a blocking command queued in a pipeline stays in it.
    if (spec.connection === 'blocking' && blockTimeOf(spec, command.args) !== undefined) {
      (command as ClusterCommand).dedicated = true;
    }
    this.#router.send(command as ClusterCommand, false);
  }

  /** @internal */
  _pubsub(): PubSub {
    if (this.#status !== 'ready') {
      throw this.#status === 'closed'
        ? new ConnectionError('subscribe: the cluster client is closed', 'CONNECTION_CLOSED', false)
        : new ConnectionError('subscribe: call connect() first', 'NOT_CONNECTED', false);
    }
    this.#pubsub ??= new PubSub(new ClusterPlacement(this.#pool), {
      connection: this.#connectionOptions,
      reconnect: this.#connectionOptions.reconnect,
      subscribeTimeout: this.#commandTimeout || this.#connectionOptions.offlineTimeout,
    });
    return this.#pubsub;
  }

  /** @internal */
  _isolation(): IsolationBinding {
    const commandTimeout = this.#commandTimeout;
    return {
      slotOf: (spec, args) => (spec.keysKnown ? slotOfCall(spec.name, spec.keys, args) : ANY_SLOT),
      pinsToSlot: true,
      commandTimeout,
      keyPrefix: this.#keyPrefix,
      lease: async (slot) => {
        if (this.#status !== 'ready') {
          throw new ConnectionError(
            'isolated(): the cluster client is not connected',
            'NOT_CONNECTED',
            false,
          );
        }
        let handle = this.#pool.nodeFor(slot, false);
        if (handle === undefined) {
          await this.#pool.refresh();
          handle = this.#pool.nodeFor(slot, false);
        }
        if (handle === undefined) throw new ClusterError(`no node serves slot ${slot}`, 'NO_NODE', false);
        if (handle.connection.status !== 'ready') await handle.ready;
        const pool = this.#pool.dedicated(handle.node);
        const connection = await pool.lease(commandTimeout > 0 ? performance.now() + commandTimeout : 0);
        return { connection, release: (clean: boolean) => pool.giveBack(connection, clean) };
      },
    };
  }

  /** @internal */
  _command(
    spec: CommandSpec,
    args: RedisArg[],
    hook: CommandHook | undefined,
    options: CommandOptions | undefined,
  ): Command {
    const keyed = this.#keyPrefix === '' ? args : prefixKeys(spec.keys, args, this.#keyPrefix);
    const command = new ClusterCommand(spec.name, spec.encodedName, keyed, spec.reply);
    prepareCommand(command, spec, hook, options, this.#commandTimeout, this.#abort);
    if (command.isDone) return command;
    command.router = this.#router;
    command.replicaSafe = spec.replicaSafe;
    if (!spec.keysKnown) {
      command.slot = UNKNOWN_KEYS;
      return command;
    }
    try {
      command.slot = slotOfCall(spec.name, spec.keys, keyed);
    } catch (error) {
      command.reject(error as Error);
      return command;
    }
    if (command.slot === ANY_SLOT) {
      if (spec.cluster.kind === 'primaries') command.fanOut = spec;
      else if (spec.cluster.kind === 'refused')
        command.reject(new ArgumentError(`${spec.name}: ${spec.cluster.reason}`));
    }
    return command;
  }

  /** @internal */
  override _scanPages(request: ScanRequest, options: CommandOptions | undefined): AsyncIterable<RespValue[]> {
    return clusterScanPages(
      { pool: this.#pool, maxRedirections: this.#maxRedirections },
      this.#commandTimeout,
      request,
      options,
    );
  }

  /** Before it is written it does not run; after, or once an earlier attempt was, it may have. */
  readonly #abort = (command: ClusterCommand) => {
    if (abortDedicated(command)) return;
    if (command.connection !== undefined) command.connection.abort(command);
    else command.reject(new AbortError(command.ranBefore, { cause: command.signal?.reason }));
  };

  /** @internal */
  _addressOf(command: Command): ServerAddress | undefined {
    const connection = (command as ClusterCommand).connection;
    return connection === undefined
      ? undefined
      : { host: connection.options.host, port: connection.options.port };
  }

  /** @internal */
  get _database(): undefined {
    return undefined;
  }

  /** @internal */
  _sendBatch(commands: readonly Command[]): void {
    for (const command of commands) this.#router.send(command as ClusterCommand, true);
  }

  /** @internal */
  _refreshRouting(): Promise<void> {
    return this.#pool.refresh();
  }

  /** @internal */
  _connectionFor(commands: readonly Command[]): Connection {
    let slot = ANY_SLOT;
    for (const command of commands as readonly ClusterCommand[]) {
      if (command.slot === UNKNOWN_KEYS) {
        throw new ClusterError(
          `${command.name}: a cluster transaction needs commands whose keys are known`,
          'CROSSSLOT',
          false,
        );
      }
      if (command.slot === ANY_SLOT) continue;
      if (slot !== ANY_SLOT && command.slot !== slot) {
        throw new ClusterError(
          'a transaction on a cluster must keep all its keys in one hash slot',
          'CROSSSLOT',
          false,
        );
      }
      slot = command.slot;
    }
    const handle = this.#pool.nodeFor(slot === ANY_SLOT ? 0 : slot, false);
    if (handle === undefined) throw new ClusterError(`no node serves slot ${slot}`, 'NO_NODE', false);
    return handle.connection;
  }

  #stop(): void {
    this.#status = 'closed';
    this.#pubsub?.close();
    this.#router.close();
    if (this.#refreshTimer !== undefined) clearInterval(this.#refreshTimer);
  }

  [inspect.custom](): string {
    return `Cluster { primaries: [${this.primaries.join(', ')}], status: ${this.#status} }`;
  }
}

/**
 * One SCAN page would cover one primary and end with cursor '0' as if complete; a node option
 * would leave failovers and resharding to the caller. `scanIterator` covers every primary.
 */
function seedAddress(node: string | { host: string; port: number }, options: ClientOptions): NodeAddress {
  if (typeof node === 'string') {
    const resolved = resolveClientOptions({ ...options, url: node });
    return nodeAddress(resolved.connection.host, resolved.connection.port);
  }
  if (
    node === null ||
    typeof node !== 'object' ||
    typeof node.host !== 'string' ||
    !Number.isInteger(node.port)
  ) {
    throw new ArgumentError('each seed node must be a URL or { host, port }');
  }
  return nodeAddress(node.host, node.port);
}

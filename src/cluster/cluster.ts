import { inspect } from 'node:util';
import { createCommand } from '../client/command-factory.js';
import { COMMANDS } from '../client/commands/index.js';
import { installSurface } from '../client/executor.js';
import type { ScanRequest } from '../client/iterators.js';
import { type ClientOptions, parseRedisUrl, resolveClientOptions } from '../client/options.js';
import { RouterBase } from '../client/router.js';
import { type CommandSpec, keysOf } from '../client/spec.js';
import type { Commands } from '../client/surface.js';
import type { Command, CommandOptions, ScriptSource } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import { AbortError, ArgumentError, ClusterError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import { CommandKeys, UNKNOWN_KEYS } from './command-keys.js';
import { FAN_OUT } from './fanout.js';
import { NodePool } from './node-pool.js';
import { dispatch, fanOut, type RouteContext } from './route.js';
import { clusterScanPages } from './scan.js';
import { ANY_SLOT, commonSlot } from './slots.js';
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
 * - Keyless commands go to the primary that serves slot 0 — except scripting and function
 *   management (SCRIPT LOAD/FLUSH/EXISTS/KILL, FUNCTION LOAD/DELETE/FLUSH/RESTORE/KILL) and
 *   FLUSHALL/FLUSHDB/DBSIZE, which go to every primary (see `fanout.ts`).
 * - MOVED updates the map and retries; ASK retries once on the target after ASKING; TRYAGAIN,
 *   CLUSTERDOWN, LOADING, MASTERDOWN and READONLY refresh the map and retry with backoff. A
 *   write whose reply was lost is never resent (DESIGN §3): it fails with `mayHaveRun: true`.
 */
export class Cluster extends RouterBase {
  readonly #pool: NodePool;
  readonly #commandTimeout: number;
  readonly #context: RouteContext;
  readonly #refreshInterval: number;
  #refreshTimer: NodeJS.Timeout | undefined;
  #status: 'idle' | 'connecting' | 'ready' | 'closed' = 'idle';

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
    this.#refreshInterval = refreshInterval ?? 30_000;
    this.#pool = new NodePool(seeds, resolved.connection, replicaReads === true);
    this.#pool.on('nodeError', (node: NodeAddress, error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', Object.assign(error, { node: node.address }));
    });
    this.#pool.on('refresh', () => this.emit('refresh'));
    this.#context = {
      pool: this.#pool,
      keys: new CommandKeys(this.#pool),
      maxRedirections: maxRedirections ?? 16,
    };
  }

  get status(): 'idle' | 'connecting' | 'ready' | 'closed' {
    return this.#status;
  }

  /** The primaries in the current slot map, as `host:port`. */
  get primaries(): string[] {
    return this.#pool.primaries.map((node) => node.address);
  }

  /** Loads the slot map from the seeds and connects to every primary. */
  async connect(): Promise<void> {
    if (this.#status !== 'idle') throw new ArgumentError(`connect() called on a ${this.#status} cluster`);
    this.#status = 'connecting';
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

  /** SCRIPT KILL on every primary, over side connections; succeeds if one primary killed one. */
  scriptKill(): Promise<'OK'> {
    return this._execute(this.#spec('scriptKill'), []) as Promise<'OK'>;
  }

  /** FUNCTION KILL on every primary, like `scriptKill`. */
  functionKill(): Promise<'OK'> {
    return this._execute(this.#spec('functionKill'), []) as Promise<'OK'>;
  }

  _dispatch(command: Command): void {
    this.#send(command);
  }

  _command(
    spec: CommandSpec,
    args: RedisArg[],
    script: ScriptSource | undefined,
    options: CommandOptions | undefined,
  ): Command {
    const command = createCommand(spec, args, script, options, this.#commandTimeout, this.#abort);
    if (command.isDone) return command;
    if (!spec.keysKnown) {
      command.route = UNKNOWN_KEYS;
      return command;
    }
    try {
      command.route = commonSlot(spec.name, keysOf(spec.keys, args));
    } catch (error) {
      command.reject(error as Error);
    }
    if (command.route === ANY_SLOT && spec.name === 'SCAN') command.reject(SCAN_REFUSED());
    return command;
  }

  override _scanPages(request: ScanRequest, options: CommandOptions | undefined): AsyncIterable<RespValue[]> {
    return clusterScanPages(this.#context, this.#commandTimeout, request, options);
  }

  readonly #abort = (command: Command) => {
    command.reject(new AbortError(true, { cause: command.signal?.reason }));
  };

  _sendBatch(commands: readonly Command[]): void {
    // Scripts not known on a node are loaded there once, ahead of the batch's calls to them.
    for (const command of commands) {
      if (command.script === undefined || command.script.kind === 'function' || command.route < 0) continue;
      const handle = this.#pool.nodeFor(command.route, command.retryable);
      if (handle !== undefined && !handle.connection.knownScripts.has(command.script.sha1)) {
        handle.connection.loadScript(command.script).catch(() => undefined);
      }
    }
    for (const command of commands) if (!command.isDone) this.#send(command);
  }

  _connectionFor(commands: readonly Command[]): Connection {
    let slot = ANY_SLOT;
    for (const command of commands) {
      if (command.route === UNKNOWN_KEYS) {
        throw new ClusterError(
          `${command.name}: a cluster transaction needs commands whose keys are known`,
          'CROSSSLOT',
          false,
        );
      }
      if (command.route === ANY_SLOT) continue;
      if (slot !== ANY_SLOT && command.route !== slot) {
        throw new ClusterError(
          'a transaction on a cluster must keep all its keys in one hash slot',
          'CROSSSLOT',
          false,
        );
      }
      slot = command.route;
    }
    const handle = this.#pool.nodeFor(slot === ANY_SLOT ? 0 : slot, false);
    if (handle === undefined) throw new ClusterError(`no node serves slot ${slot}`, 'NO_NODE', false);
    return handle.connection;
  }

  #send(command: Command): void {
    const policy = command.route === ANY_SLOT ? FAN_OUT.get(command.name) : undefined;
    const running =
      policy === undefined ? dispatch(this.#context, command) : fanOut(this.#context, command, policy);
    running.catch((error: Error) => command.reject(error));
  }

  #spec(method: 'scriptKill' | 'functionKill'): CommandSpec {
    return COMMANDS[method] as unknown as CommandSpec;
  }

  #stop(): void {
    this.#status = 'closed';
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
const SCAN_REFUSED = () =>
  new ArgumentError(
    'SCAN: a page covers one primary only; use cluster.scanIterator() to scan every primary (or a Client on one node)',
  );

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

installSurface(Cluster.prototype);

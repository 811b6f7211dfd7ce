import { EventEmitter } from 'node:events';
import { DedicatedPool } from '../client/dedicated-pool.js';
import { Command, encodedNameOf } from '../connection/command.js';
import { Connection } from '../connection/connection.js';
import type { ConnectionOptions } from '../connection/options.js';
import { ClusterError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { type NodeAddress, parseClusterSlots, type Shard, type Topology } from './topology.js';

/** A connection to one cluster node, and the promise of its first handshake. */
export interface NodeHandle {
  readonly node: NodeAddress;
  readonly connection: Connection;
  ready: Promise<void>;
}

/** Never refresh the slot map more often than this, however many MOVED replies arrive. */
const MIN_REFRESH_INTERVAL_MS = 100;

/**
 * The cluster's nodes: one auto-pipelined connection per node (replicas only when reads go to
 * them), the current slot map, and its refresh — single-flight and rate-limited, so a burst of
 * MOVED replies or failures under load causes one `CLUSTER SLOTS`, not a storm.
 *
 * Node connections have no offline queue: a command for a node that is down fails at once as
 * not sent, and the cluster routes it again once the map says where its slot lives now.
 */
export class NodePool extends EventEmitter {
  #topology: Topology | undefined;
  readonly #handles = new Map<string, NodeHandle>();
  /** Replica-read connections, kept apart: READONLY is a property of the connection. */
  readonly #replicaHandles = new Map<string, NodeHandle>();
  readonly #controls = new Map<string, { connection: Connection; ready: Promise<Connection> }>();
  /** Connections of their own per primary, for blocking commands and `isolated()`. */
  readonly #dedicated = new Map<string, DedicatedPool>();
  readonly #dedicatedLimit: number;
  readonly #seeds: readonly NodeAddress[];
  readonly #options: ConnectionOptions;
  readonly #replicaReads: boolean;
  #refreshing: Promise<void> | undefined;
  #lastRefresh = 0;
  #closed = false;
  #replicaTurn = 0;

  constructor(
    seeds: readonly NodeAddress[],
    options: ConnectionOptions,
    replicaReads: boolean,
    dedicatedConnections = 8,
  ) {
    super();
    this.#seeds = seeds;
    // Node connections are read together in one turn: each writes once all were read.
    this.#options = { ...options, offlineQueue: false, flushAfterReads: true };
    this.#replicaReads = replicaReads;
    this.#dedicatedLimit = dedicatedConnections;
  }

  /** The connection options of every node connection (host and port aside). */
  get connectionOptions(): ConnectionOptions {
    return this.#options;
  }

  get topology(): Topology | undefined {
    return this.#topology;
  }

  /** Primaries of the current map, in shard order. */
  get primaries(): NodeAddress[] {
    return this.#topology?.shards.map((shard) => shard.primary) ?? [];
  }

  /** Replicas of the current map, when reads go to replicas (otherwise none are connected). */
  get readReplicas(): NodeAddress[] {
    if (!this.#replicaReads) return [];
    return this.#topology?.shards.flatMap((shard) => shard.replicas) ?? [];
  }

  /** The shard serving `slot`, if the map knows one. */
  shardOf(slot: number): Shard | undefined {
    const topology = this.#topology;
    if (topology === undefined) return undefined;
    const index = topology.slotShard[slot];
    return index < 0 ? undefined : topology.shards[index];
  }

  /** The handle for a node, connecting on first use. */
  handle(node: NodeAddress, replica = false): NodeHandle {
    const handles = replica ? this.#replicaHandles : this.#handles;
    let handle = handles.get(node.address);
    if (handle === undefined || handle.connection.status === 'closed') {
      const connection = new Connection({
        ...this.#options,
        host: node.host,
        port: node.port,
        readOnlyReplica: replica,
      });
      connection.on('error', (error: Error) => this.emit('nodeError', node, error));
      handle = { node, connection, ready: connection.connect() };
      handle.ready.catch(() => undefined);
      handles.set(node.address, handle);
    }
    return handle;
  }

  /**
   * A node for a command on `slot`: the primary, or — for a read when replica reads are on — a
   * ready replica taken in turn, falling back to the primary.
   */
  nodeFor(slot: number, read: boolean): NodeHandle | undefined {
    const shard = this.shardOf(slot);
    if (shard === undefined) return undefined;
    if (read && this.#replicaReads && shard.replicas.length > 0) {
      const replica = shard.replicas[this.#replicaTurn++ % shard.replicas.length];
      const handle = this.handle(replica, true);
      if (handle.connection.status === 'ready') return handle;
    }
    return this.handle(shard.primary);
  }

  /** A side connection to `node` for SCRIPT KILL / FUNCTION KILL (see `Client.scriptKill`). */
  control(node: NodeAddress): Promise<Connection> {
    if (this.#closed) {
      return Promise.reject(new ClusterError('the cluster client was closed', 'NO_NODE', false));
    }
    let control = this.#controls.get(node.address);
    if (control === undefined || control.connection.status === 'closed') {
      const connection = new Connection({
        ...this.#options,
        host: node.host,
        port: node.port,
        name: undefined,
        reconnect: false,
      });
      connection.on('error', () => undefined);
      // Concurrent first callers share one handshake rather than getting an unconnected socket.
      control = { connection, ready: connection.connect().then(() => connection) };
      this.#controls.set(node.address, control);
    }
    return control.ready;
  }

  /** The pool of dedicated connections to `node` (blocking commands, `isolated()`). */
  dedicated(node: NodeAddress): DedicatedPool {
    let pool = this.#dedicated.get(node.address);
    if (pool === undefined) {
      pool = new DedicatedPool(
        { ...this.#options, host: node.host, port: node.port },
        this.#dedicatedLimit,
        this.#options.maxQueuedCommands,
      );
      if (this.#closed) pool.close();
      else this.#dedicated.set(node.address, pool);
    }
    return pool;
  }

  /** Records a MOVED answer at once (the full map follows by refresh). */
  moved(slot: number, node: NodeAddress): void {
    const topology = this.#topology;
    if (topology === undefined) return;
    let index = topology.shards.findIndex((shard) => shard.primary.address === node.address);
    if (index === -1) {
      index = topology.shards.length;
      (topology.shards as Shard[]).push({ primary: node, replicas: [], ranges: [[slot, slot]] });
    }
    topology.slotShard[slot] = index;
  }

  /**
   * Reloads the slot map (CLUSTER SLOTS) from a reachable node. Concurrent callers share one
   * refresh; calls within MIN_REFRESH_INTERVAL_MS of the last one wait for that interval.
   */
  refresh(): Promise<void> {
    if (this.#refreshing !== undefined) return this.#refreshing;
    const wait = Math.max(0, this.#lastRefresh + MIN_REFRESH_INTERVAL_MS - Date.now());
    this.#refreshing = (async () => {
      try {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await this.#refreshNow();
      } finally {
        this.#lastRefresh = Date.now();
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  async #refreshNow(): Promise<void> {
    const candidates = [
      ...[...this.#handles.values()]
        .filter((handle) => handle.connection.status === 'ready')
        .map((handle) => handle.node),
      ...this.#seeds,
      ...(this.#topology?.shards.flatMap((shard) => [shard.primary, ...shard.replicas]) ?? []),
    ];
    const tried = new Set<string>();
    let lastError: Error | undefined;
    for (const node of candidates) {
      if (tried.has(node.address) || this.#closed) continue;
      tried.add(node.address);
      try {
        const reply = await this.#ask(node, ['SLOTS']);
        const topology = parseClusterSlots(reply, node.host);
        if (topology.shards.length === 0)
          throw new ClusterError(`${node.address} serves no slots`, 'NO_NODE', false);
        this.#apply(topology);
        return;
      } catch (error) {
        lastError = error as Error;
      }
    }
    throw new ClusterError(
      `could not load the cluster's slot map from any node: ${lastError?.message ?? 'no nodes'}`,
      'NO_NODE',
      false,
      { cause: lastError },
    );
  }

  /** Asks one node `CLUSTER <args>`, over its pooled connection when ready, else a short-lived one. */
  async #ask(node: NodeAddress, args: string[]): Promise<RespValue> {
    const pooled = this.#handles.get(node.address);
    const command = new Command('CLUSTER', encodedNameOf('CLUSTER'), args);
    if (pooled !== undefined && pooled.connection.status === 'ready') {
      pooled.connection.send(command);
      return (await command.promise) as RespValue;
    }
    const probe = new Connection({
      ...this.#options,
      host: node.host,
      port: node.port,
      reconnect: false,
      connectTimeout: Math.min(this.#options.connectTimeout, 2000),
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      probe.send(command);
      return (await command.promise) as RespValue;
    } finally {
      probe.disconnect();
    }
  }

  #apply(topology: Topology): void {
    // A refresh that finishes after close() must not open connections again.
    if (this.#closed) return;
    this.#topology = topology;
    const primaries = new Set<string>();
    const replicas = new Set<string>();
    for (const shard of topology.shards) {
      primaries.add(shard.primary.address);
      this.handle(shard.primary);
      if (this.#replicaReads) {
        for (const replica of shard.replicas) {
          replicas.add(replica.address);
          this.handle(replica, true);
        }
      }
    }
    // Nodes gone from the map (or roles that changed) are closed after their pending replies.
    for (const [handles, wanted] of [
      [this.#handles, primaries],
      [this.#replicaHandles, replicas],
    ] as const) {
      for (const [address, handle] of handles) {
        if (!wanted.has(address)) {
          handles.delete(address);
          handle.connection.quit().catch(() => undefined);
        }
      }
    }
    for (const [address, pool] of this.#dedicated) {
      if (!primaries.has(address)) {
        this.#dedicated.delete(address);
        pool.close();
      }
    }
    this.emit('refresh', topology);
  }

  async close(graceful: boolean): Promise<void> {
    this.#closed = true;
    const connections = [
      ...[...this.#handles.values(), ...this.#replicaHandles.values()].map((handle) => handle.connection),
      ...[...this.#controls.values()].map((control) => control.connection),
    ];
    this.#handles.clear();
    this.#replicaHandles.clear();
    this.#controls.clear();
    for (const pool of this.#dedicated.values()) pool.close();
    this.#dedicated.clear();
    if (graceful)
      await Promise.all(connections.map((connection) => connection.quit().catch(() => undefined)));
    else for (const connection of connections) connection.disconnect();
  }
}

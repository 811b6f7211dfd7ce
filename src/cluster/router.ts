import type { CommandSpec } from '../client/spec.js';
import { Command, type CommandChannel, CommandState, encodedNameOf } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import {
  ClusterError,
  ConnectionError,
  FanOutError,
  type RedisError,
  ReplyError,
  TimeoutError,
} from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { type RedirectMessage, redirectChannel, tracedCommands } from '../telemetry/channels.js';
import { type ClusterCommand, type ClusterRecovery, UNKNOWN_KEYS } from './cluster-command.js';
import type { CommandKeys } from './command-keys.js';
import type { NodeHandle, NodePool } from './node-pool.js';
import { failoverDelay, RETRY_AFTER_REFRESH } from './retry.js';
import { ANY_SLOT } from './slots.js';
import { parseRedirect } from './topology.js';

const ignore = () => undefined;

/**
 * Sends cluster commands to the node that serves their slot and takes over their failures:
 * follows MOVED and ASK, waits out failovers (CLUSTERDOWN, TRYAGAIN, nodes down) with backoff,
 * and never sends again a command that may have run unless it is safe to repeat (DESIGN §3).
 *
 * The way that works — slot known, node ready — is synchronous and allocates nothing: the
 * caller's command goes to the node's connection as it is. Everything else (a redirect, a retry,
 * a node still connecting, keys to ask the server for, a fan-out) leaves that way.
 */
export class ClusterRouter implements ClusterRecovery {
  readonly #pool: NodePool;
  readonly #keys: CommandKeys;
  readonly #maxAttempts: number;
  #opened = false;
  #closed = false;

  constructor(pool: NodePool, keys: CommandKeys, maxRedirections: number) {
    this.#pool = pool;
    this.#keys = keys;
    this.#maxAttempts = maxRedirections;
  }

  /** `connect()` was called: commands may go out. */
  open(): void {
    this.#opened = true;
  }

  /** After `quit()`: nothing is sent or retried any more. */
  close(): void {
    this.#closed = true;
  }

  /** Sends `command` toward its slot's node. In a batch, its hook may send something first. */
  send(command: ClusterCommand, batch: boolean): void {
    if (command.isDone) return;
    if (!this.#opened) {
      command.reject(new ConnectionError(`${command.name}: call connect() first`, 'NOT_CONNECTED', false));
      return;
    }
    if (this.#closed) {
      command.reject(
        new ConnectionError(
          `${command.name}: the cluster client was closed`,
          'CONNECTION_CLOSED',
          command.ranBefore,
        ),
      );
      return;
    }
    if (command.fanOut !== undefined) {
      this.#fanOut(command, command.fanOut).catch((error: Error) => command.reject(error));
      return;
    }
    if (command.attempts > this.#maxAttempts) {
      command.reject(
        new ClusterError(
          `${command.name}: gave up after ${this.#maxAttempts} redirections or retries`,
          'TOO_MANY_REDIRECTS',
          command.ranBefore,
        ),
      );
      return;
    }
    if (command.deadline > 0 && command.attempts > 0 && performance.now() >= command.deadline) {
      command.reject(
        new TimeoutError(`${command.name} timed out while the cluster was being rerouted`, command.ranBefore),
      );
      return;
    }
    const slot = command.slot;
    if (slot === UNKNOWN_KEYS) {
      this.#findKeys(command, batch);
      return;
    }
    const ask = command.askNode;
    const handle =
      ask !== undefined
        ? this.#pool.handle(ask)
        : this.#pool.nodeFor(slot === ANY_SLOT ? 0 : slot, command.replicaSafe && !command.preferPrimary);
    if (handle === undefined) {
      this.#later(command);
      return;
    }
    const connection = handle.connection;
    if (connection.status !== 'ready') {
      this.#whenReady(command, handle, batch);
      return;
    }
    if (command.dedicated) {
      // A blocking call holds a connection of its own while it waits (see DedicatedPool).
      command.askNode = undefined;
      command.connection = undefined;
      command.state = CommandState.Queued;
      this.#pool.dedicated(handle.node).send(command, ask === undefined ? undefined : asking());
      return;
    }
    if (ask !== undefined) {
      command.askNode = undefined;
      connection.send(asking());
    }
    if (batch && command.hook !== undefined) {
      const before = command.hook.prepare(command, connection);
      if (before !== undefined) connection.send(before);
    }
    command.connection = connection;
    command.state = CommandState.Queued;
    connection.send(command);
  }

  /** Called by a node connection before it fails `command`: `true` when it is taken over. */
  recover(command: ClusterCommand, error: RedisError, connection: CommandChannel): boolean {
    const attempt = command.attempts;
    const taken = this.#recover(command, error, connection);
    if (taken && redirectChannel.hasSubscribers) {
      const reason = error instanceof ReplyError ? error.code : 'CONNECTION';
      const message: RedirectMessage = { command: tracedCommands.get(command), reason, attempt: attempt + 1 };
      redirectChannel.publish(message);
    }
    return taken;
  }

  #recover(command: ClusterCommand, error: RedisError, connection: CommandChannel): boolean {
    if (this.#closed) return false;
    if (error instanceof ReplyError) {
      const code = error.code;
      if (code === 'MOVED' || code === 'ASK') {
        const redirect = parseRedirect(error.message, connection.options.host);
        if (redirect === undefined) return false;
        command.attempts++;
        if (code === 'MOVED') {
          this.#pool.moved(redirect.slot, redirect.node);
          this.#pool.refresh().catch(ignore);
        } else {
          command.askNode = redirect.node;
        }
        this.send(command, false);
        return true;
      }
      if (RETRY_AFTER_REFRESH.has(code)) {
        if (code === 'READONLY') command.preferPrimary = true;
        command.attempts++;
        this.#later(command);
        return true;
      }
      return false;
    }
    if (error instanceof ConnectionError) {
      this.#pool.refresh().catch(ignore);
      const sent = error.mayHaveRun;
      // Not sent, or safe to repeat: send it wherever its slot lives now.
      if (!sent || command.retryable) {
        command.ranBefore ||= sent;
        command.preferPrimary = true;
        command.attempts++;
        this.#later(command);
        return true;
      }
    }
    return false;
  }

  /** Tries again after a backoff and a reload of the slot map (single flight, rate-limited). */
  #later(command: ClusterCommand): void {
    command.connection = undefined;
    // `attempts` already counts this failure: the first retry goes at once (step 0).
    const delay = failoverDelay(command.attempts - 1);
    setTimeout(() => {
      this.#pool
        .refresh()
        .catch(ignore)
        .then(() => this.send(command, false));
    }, delay);
  }

  /** The node's connection is not ready: wait for its first handshake, or retry later. */
  #whenReady(command: ClusterCommand, handle: NodeHandle, batch: boolean): void {
    command.connection = undefined;
    const retry = () => {
      command.attempts++;
      this.#later(command);
    };
    handle.ready.then(() => {
      if (handle.connection.status === 'ready') this.send(command, batch);
      else retry();
    }, retry);
  }

  /** Commands redmoon does not describe: the server says where their keys are (COMMAND INFO). */
  #findKeys(command: ClusterCommand, batch: boolean): void {
    this.#keys.slotOf(command.name, command.args).then(
      (slot) => {
        command.slot = slot;
        this.send(command, batch);
      },
      (error: Error) => command.reject(error),
    );
  }

  /**
   * Sends a command to every primary (scripts and libraries must exist wherever their keys may
   * live; flushes and counts cover the whole keyspace) and merges the answers as its description
   * says. Failures on some nodes are reported together as a `FanOutError`.
   */
  async #fanOut(command: ClusterCommand, spec: CommandSpec): Promise<void> {
    const policy = spec.cluster;
    if (policy.kind !== 'primaries')
      throw new ClusterError(`${command.name}: not a fan-out`, 'NO_NODE', false);
    const pool = this.#pool;
    if (pool.primaries.length === 0) await pool.refresh();
    const replicas = policy.replicas ? pool.readReplicas : [];
    const targets = [
      ...pool.primaries.map((node) => ({ node, replica: false })),
      ...replicas.map((node) => ({ node, replica: true })),
    ];
    const onControl = spec.connection === 'control';
    let resp: 2 | 3 = 3;
    const outcomes = await Promise.all(
      targets.map(async ({ node, replica }): Promise<{ reply?: RespValue; error?: Error }> => {
        try {
          const connection = onControl
            ? await pool.control(node)
            : await readyConnection(pool.handle(node, replica));
          const wire = wireCopy(command);
          connection.send(wire);
          const reply = (await wire.promise) as RespValue;
          resp = connection.resp;
          return { reply };
        } catch (error) {
          return { error: error as Error };
        }
      }),
    );
    const results = new Map<string, unknown>();
    const errors = new Map<string, Error>();
    outcomes.forEach((outcome, index) => {
      if (outcome.error === undefined) results.set(targets[index].node.address, outcome.reply);
      else errors.set(targets[index].node.address, outcome.error);
    });
    const ignored = policy.ignoredCode;
    if (ignored !== undefined) {
      const isIgnored = (error: Error) => error instanceof ReplyError && error.code === ignored;
      if (results.size === 0 && errors.size > 0 && [...errors.values()].every(isIgnored)) {
        // Nothing to do anywhere (NOTBUSY from every node): the servers' own answer.
        command.reject([...errors.values()][0]);
        return;
      }
      for (const [address, error] of errors) if (isIgnored(error)) errors.delete(address);
    }
    if (errors.size > 0) {
      const refusal = results.size === 0 ? unanimousReply(errors) : undefined;
      // Refused alike by every node: the caller gets the error one server would have given.
      command.reject(refusal ?? new FanOutError(command.name, results, errors));
      return;
    }
    let merged: RespValue;
    try {
      merged = policy.merge([...results.values()] as RespValue[]);
    } catch (error) {
      command.reject(new ClusterError(`${command.name}: ${(error as Error).message}`, 'FANOUT_FAILED', true));
      return;
    }
    command.resolve(merged, resp);
  }
}

/** The error reply every node gave (same code and message), if they all gave the same one. */
function unanimousReply(errors: ReadonlyMap<string, Error>): ReplyError | undefined {
  let first: ReplyError | undefined;
  for (const error of errors.values()) {
    if (!(error instanceof ReplyError)) return undefined;
    if (first === undefined) first = error;
    else if (error.code !== first.code || error.message !== first.message) return undefined;
  }
  return first;
}

async function readyConnection(handle: NodeHandle): Promise<Connection> {
  if (handle.connection.status !== 'ready') await handle.ready;
  return handle.connection;
}

/** One node's copy of a fan-out command: same bytes, raw reply, same deadline and effect. */
function wireCopy(command: Command): Command {
  const wire = new Command(command.name, command.encodedName, command.args);
  wire.buffers = command.buffers;
  wire.deadline = command.deadline;
  wire.onSent = command.onSent;
  return wire;
}

function asking(): Command {
  const command = new Command('ASKING', encodedNameOf('ASKING'), []);
  command.promise.catch(ignore);
  return command;
}

import { Command, CommandState, encodedNameOf } from '../connection/command.js';
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
import { type CommandKeys, UNKNOWN_KEYS } from './command-keys.js';
import type { FanOutPolicy } from './fanout.js';
import type { NodeHandle, NodePool } from './node-pool.js';
import { ANY_SLOT } from './slots.js';
import { parseRedirect } from './topology.js';

/** What routing needs from the cluster. */
export interface RouteContext {
  readonly pool: NodePool;
  readonly keys: CommandKeys;
  readonly maxRedirections: number;
}

/** Errors after which the slot map is reloaded and the command sent again: it did not run. */
const RETRY_AFTER_REFRESH: ReadonlySet<string> = new Set([
  'TRYAGAIN',
  'CLUSTERDOWN',
  'LOADING',
  'MASTERDOWN',
  'READONLY',
]);

const ignore = () => undefined;

/**
 * Runs one command on the cluster until it has an answer that is its own: follows MOVED and ASK,
 * waits out failovers (CLUSTERDOWN, TRYAGAIN, nodes down) with backoff, and settles `command`.
 * A command that may have run is never sent again unless it is read-only (DESIGN §3).
 */
export async function dispatch(context: RouteContext, command: Command): Promise<void> {
  let slot = command.route;
  if (slot === UNKNOWN_KEYS) slot = await context.keys.slotOf(command.name, command.args);
  const { pool } = context;
  let asking: NodeHandle | undefined;
  let preferPrimary = false;
  let mayHaveRun = false;
  for (let attempt = 0; attempt <= context.maxRedirections; attempt++) {
    if (command.isDone) return;
    if (command.deadline > 0 && performance.now() >= command.deadline) {
      command.reject(
        new TimeoutError(`${command.name} timed out while the cluster was being rerouted`, mayHaveRun),
      );
      return;
    }
    const handle = asking ?? pool.nodeFor(slot === ANY_SLOT ? 0 : slot, command.retryable && !preferPrimary);
    if (handle === undefined) {
      await backoff(attempt);
      await pool.refresh().catch(ignore);
      continue;
    }
    if (handle.connection.status !== 'ready') {
      try {
        await handle.ready;
      } catch {
        // The node is unreachable: reload the map (it may have failed over) and try again.
      }
      if (!isReady(handle.connection)) {
        await backoff(attempt);
        await pool.refresh().catch(ignore);
        continue;
      }
    }
    const wire = wireCommand(command);
    if (asking !== undefined) handle.connection.send(internal('ASKING'));
    asking = undefined;
    handle.connection.send(wire);
    let reply: RespValue;
    try {
      reply = (await wire.promise) as RespValue;
    } catch (error) {
      if (!(error instanceof ReplyError)) {
        const failure = error as RedisError;
        const sent = !(failure instanceof ConnectionError) || failure.mayHaveRun;
        if (failure instanceof ConnectionError && (!sent || command.retryable)) {
          // Not sent, or safe to repeat: find where the slot lives now.
          mayHaveRun ||= sent;
          preferPrimary = true;
          pool.refresh().catch(ignore);
          await backoff(attempt);
          continue;
        }
        if (failure instanceof ConnectionError) pool.refresh().catch(ignore);
        command.reject(failure);
        return;
      }
      const code = error.code;
      if (code === 'MOVED' || code === 'ASK') {
        const redirect = parseRedirect(error.message, handle.node.host);
        if (redirect === undefined) {
          command.reject(error);
          return;
        }
        if (code === 'MOVED') {
          pool.moved(redirect.slot, redirect.node);
          pool.refresh().catch(ignore);
        } else {
          asking = pool.handle(redirect.node);
        }
        continue;
      }
      if (RETRY_AFTER_REFRESH.has(code)) {
        preferPrimary = preferPrimary || code === 'READONLY';
        await backoff(attempt);
        await pool.refresh().catch(ignore);
        continue;
      }
      command.reject(error);
      return;
    }
    command.resolve(reply);
    return;
  }
  command.reject(
    new ClusterError(
      `${command.name}: gave up after ${context.maxRedirections} redirections or retries`,
      'TOO_MANY_REDIRECTS',
      mayHaveRun,
    ),
  );
}

/**
 * Sends a command to every primary (scripts and libraries must exist wherever their keys may
 * live) and merges the answers. Failures on some primaries are reported together as a
 * `FanOutError`; the kill commands go over side connections and tolerate idle primaries.
 */
export async function fanOut(context: RouteContext, command: Command, policy: FanOutPolicy): Promise<void> {
  const { pool } = context;
  if (pool.primaries.length === 0) await pool.refresh();
  const replicas = policy.replicas ? pool.readReplicas : [];
  const targets = [
    ...pool.primaries.map((node) => ({ node, replica: false })),
    ...replicas.map((node) => ({ node, replica: true })),
  ];
  const outcomes = await Promise.all(
    targets.map(async ({ node, replica }): Promise<{ reply?: RespValue; error?: Error }> => {
      try {
        const connection: Connection = policy.kill
          ? await pool.control(node)
          : await readyConnection(pool.handle(node, replica));
        const wire = wireCommand(command);
        connection.send(wire);
        return { reply: (await wire.promise) as RespValue };
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
  if (policy.kill) {
    // NOTBUSY from idle primaries is expected; fail only if nobody killed anything.
    for (const [address, error] of errors)
      if (error instanceof ReplyError && error.code === 'NOTBUSY' && results.size > 0) errors.delete(address);
    if (results.size === 0 && errors.size > 0) {
      const first = [...errors.values()][0];
      if ([...errors.values()].every((error) => error instanceof ReplyError && error.code === 'NOTBUSY')) {
        command.reject(first);
        return;
      }
    }
  }
  if (errors.size > 0) {
    const refusal = results.size === 0 ? unanimousReply(errors) : undefined;
    // Refused alike by every node: the caller gets the error one server would have given.
    command.reject(refusal ?? new FanOutError(command.name, results, errors));
    return;
  }
  let merged: RespValue;
  try {
    // In primary order, without the idle primaries a kill command tolerated.
    merged = policy.merge([...results.values()] as RespValue[]);
  } catch (error) {
    command.reject(new ClusterError(`${command.name}: ${(error as Error).message}`, 'FANOUT_FAILED', true));
    return;
  }
  command.resolve(merged);
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

/** Read again after an await: the status may have changed meanwhile. */
function isReady(connection: Connection): boolean {
  return connection.status === 'ready';
}

async function readyConnection(handle: NodeHandle): Promise<Connection> {
  if (handle.connection.status !== 'ready') await handle.ready;
  return handle.connection;
}

/** A fresh wire-level copy of `command` for one attempt: same bytes, raw reply, same deadline. */
function wireCommand(command: Command): Command {
  const wire = new Command(command.name, command.encodedName, command.args);
  wire.buffers = command.buffers;
  wire.script = command.script;
  wire.deadline = command.deadline;
  // Retrying is the router's decision, per attempt; the node connection must not resend.
  wire.retryable = false;
  wire.state = CommandState.Queued;
  return wire;
}

function internal(name: string): Command {
  const command = new Command(name, encodedNameOf(name), []);
  command.promise.catch(ignore);
  return command;
}

/** 0, 25, 50, 100 ... up to 1 s: waits out a failover (a few seconds) within the attempt budget. */
function backoff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const delay = Math.min(1000, 25 * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, delay));
}

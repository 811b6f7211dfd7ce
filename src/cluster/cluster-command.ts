import type { CommandSpec } from '../client/spec.js';
import { Command, type CommandChannel } from '../connection/command.js';
import type { Connection } from '../connection/connection.js';
import type { RedisError } from '../errors.js';
import type { NodeAddress } from './topology.js';

/** What a cluster command's failures are handed to (the cluster's router). */
export interface ClusterRecovery {
  recover(command: ClusterCommand, error: RedisError, connection: CommandChannel): boolean;
}

/** `ClusterCommand.slot` of a command whose keys must be asked of the server first. */
export const UNKNOWN_KEYS = -2;

/**
 * A command on a cluster: the same object, and the same promise, through every attempt — a
 * redirect, a retry after a failover, an ASK — counted by `attempts`, so routing allocates
 * nothing per attempt on the way that works.
 */
export class ClusterCommand extends Command {
  /** Its keys' hash slot, `-1` (ANY_SLOT) without keys, `UNKNOWN_KEYS` until the server says. */
  slot = -1;
  /** Attempts so far (each redirect or retry is one). */
  attempts = 0;
  /** A replica may answer it. */
  replicaSafe = false;
  /** Set after a failure on a replica or a READONLY answer: the next attempt goes to the primary. */
  preferPrimary = false;
  /** An earlier attempt was written before its connection dropped: it may have run. */
  ranBefore = false;
  /** ASK redirection: the next attempt goes there, after ASKING. */
  askNode: NodeAddress | undefined = undefined;
  /** Where it was last handed over, while it is there (for AbortSignal: was it written?). */
  connection: Connection | undefined = undefined;
  /** A blocking call: it goes to the node's dedicated connections, not the shared one. */
  dedicated = false;
  /** The description, for commands sent to every primary (`everyPrimary`). */
  fanOut: CommandSpec | undefined = undefined;
  router: ClusterRecovery | undefined = undefined;

  override recover(error: RedisError, connection: CommandChannel): boolean {
    this.connection = undefined;
    // Scripts first: NOSCRIPT is healed on the node that said it.
    if (super.recover(error, connection)) return true;
    return this.router?.recover(this, error, connection) === true;
  }
}

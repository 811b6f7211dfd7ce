import { ConnectionError } from '../errors.js';
import { type Command, type CommandChannel, CommandState } from './command.js';
import type { PackedCalls } from './packed.js';
import { Queue } from './queue.js';

/** What `settleWritten` needs to know of the connection whose socket closed. */
export interface SocketClosed {
  /** `quit()` or `disconnect()` was called: nothing is sent again. */
  readonly closing: boolean;
  /** Unwritten commands wait for the next socket (false: they fail at once, for a router to resend). */
  readonly offlineQueue: boolean;
  /** The connection, handed to a command's `recover`. */
  readonly channel: CommandChannel;
}

/**
 * A connection's accepted commands not yet settled by a reply, in send order, and how many of
 * them, from the head, were written to the current socket:
 *
 *   [ written to this socket (inFlight of them) | not yet written ]
 *
 * Replies arrive in the same order, so each answers the head. Kept apart from the socket's life
 * (connection.ts) because what happens to these commands when the socket closes is DESIGN §3's
 * at-most-once rule, and reads best on its own.
 */
export class PendingCommands extends Queue<Command> {
  /** How many commands, from the head, were written to the current socket. */
  inFlight = 0;
  /** Calls beyond the first in each packed pipeline not yet written (each entry counts one). */
  unwrittenExtra = 0;

  /** Commands accepted but not yet written, a packed pipeline's calls each (what `maxQueuedCommands` bounds). */
  get unwritten(): number {
    return this.length - this.inFlight + this.unwrittenExtra;
  }

  /** Everything pending was just written: marks the newly written ones, walking back from the tail. */
  markWritten(): void {
    this.inFlight = this.length;
    this.unwrittenExtra = 0;
    for (let i = this.length - 1; i >= 0; i--) {
      const command = this.at(i)!;
      if (command.state !== CommandState.Queued) break;
      command.state = CommandState.Written;
    }
  }

  /**
   * Settles the commands written to the socket that just closed with `cause`, and returns what
   * stays queued for the next socket, in order. At most once: a written command whose reply was
   * lost fails with `mayHaveRun: true` unless it is retryable (read-only), which stays queued and
   * is sent again. Commands not yet written stay queued. Without an offline queue, both fail
   * instead, and whoever routed them decides (a cluster retries what is safe).
   */
  settleWritten(cause: Error, { closing, offlineQueue, channel }: SocketClosed): PendingCommands {
    const written = this.inFlight;
    this.inFlight = 0;
    this.unwrittenExtra = 0;
    const kept = new PendingCommands(Math.max(16, this.length));
    // A transaction is all or nothing: once part of it was written, the rest must not be sent on
    // a new socket (the server discarded the MULTI with the old one).
    let brokenGroups: Set<object> | undefined;
    for (let i = 0; i < written && i < this.length; i++) {
      const command = this.at(i)!;
      if (command.group !== undefined && command.state === CommandState.Written) {
        brokenGroups ??= new Set();
        brokenGroups.add(command.group);
      }
    }
    const settle = (command: Command, wasWritten: boolean): void => {
      if (command.isDone) return;
      if (!wasWritten || command.state === CommandState.Queued) {
        if (command.group !== undefined && brokenGroups?.has(command.group)) {
          command.reject(notSent(command.name, cause));
        } else if (offlineQueue || closing) {
          kept.push(command);
        } else {
          // Without an offline queue (cluster node connections), unsent commands fail at once
          // so whoever routed them can send them to wherever their slot lives now.
          const failure = notSent(command.name, cause);
          if (!command.recover(failure, channel)) command.reject(failure);
        }
      } else if (command.retryable && !closing && offlineQueue && command.group === undefined) {
        command.state = CommandState.Queued;
        kept.push(command);
      } else {
        const failure = lost(command.name, cause);
        if (closing || command.group !== undefined || !command.recover(failure, channel))
          command.reject(failure);
      }
    };
    for (let i = 0, command = this.shift(); command !== undefined; i++, command = this.shift()) {
      if (!command.packed) settle(command, i < written);
      // A packed pipeline's calls still owed a reply are judged one by one, as commands.
      else for (const call of (command as PackedCalls).expand()) settle(call, i < written);
    }
    return kept;
  }
}

function lost(name: string, cause: Error): ConnectionError {
  return new ConnectionError(
    `${name}: the connection was lost after the command was sent; it may have been applied (${cause.message})`,
    'CONNECTION_LOST',
    true,
    { cause },
  );
}

function notSent(name: string, cause: Error): ConnectionError {
  return new ConnectionError(
    `${name}: the connection was lost before the command was sent; it did not run (${cause.message})`,
    'NOT_CONNECTED',
    false,
    { cause },
  );
}

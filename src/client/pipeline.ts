import type { Command } from '../connection/command.js';
import { batchChannel } from '../telemetry/channels.js';
import { Batch } from './batch.js';
import type { Commands } from './surface.js';

export interface Pipeline extends Commands {}

/**
 * Commands sent together without waiting for each other's replies. Not atomic: other clients'
 * commands may run in between, and an error reply fails only its own command.
 *
 * ```ts
 * const pipe = client.pipeline();
 * pipe.set('a', 1);
 * pipe.incr('a');
 * const [ok, two] = await pipe.exec();
 * ```
 */
export class Pipeline extends Batch {
  protected get kind(): string {
    return 'pipeline';
  }

  /** Sends every queued command; resolves to one entry per command: its value or its ReplyError. */
  exec(): Promise<unknown[]> {
    let commands: ReturnType<Batch['takeCommands']>;
    try {
      commands = this.takeCommands();
    } catch (error) {
      return Promise.reject(error);
    }
    if (commands.length === 0) return Promise.resolve([]);
    if (batchChannel.hasSubscribers) return this.traced('pipeline', commands, () => this.#send(commands));
    return this.#send(commands);
  }

  #send(commands: Command[]): Promise<unknown[]> {
    const results = Batch.collect(commands);
    this.router._sendBatch(commands);
    return results;
  }
}

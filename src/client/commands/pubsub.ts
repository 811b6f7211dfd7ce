import type { RedisArg } from '../../resp/types.js';
import { asNumber } from '../replies.js';
import { command, FIRST_KEY, NO_KEYS } from '../spec.js';

/**
 * Publishing. Subscribing is not a command here: it needs a connection of its own, so it is
 * `subscribe()`, `psubscribe()` and `ssubscribe()` on the client (see `pubsub/`).
 */
export const pubsubCommands = {
  /**
   * https://redis.io/commands/publish/ — the number of clients that received it (on a cluster,
   * those connected to the node that took it; every node forwards it to its own subscribers).
   */
  publish: command({
    name: 'PUBLISH',
    keys: NO_KEYS,
    args: (channel: RedisArg, message: RedisArg) => [channel, message],
    reply: asNumber,
  }),
  /**
   * https://redis.io/commands/spublish/ — publishes to a shard channel; on a cluster it goes to the
   * node serving the channel's hash slot, like a key. The number of clients that received it.
   */
  spublish: command({
    name: 'SPUBLISH',
    keys: FIRST_KEY,
    args: (shardChannel: RedisArg, message: RedisArg) => [shardChannel, message],
    reply: asNumber,
  }),
};

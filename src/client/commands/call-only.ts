import type { RedisArg } from '../../resp/types.js';
import { type CommandSpec, command } from '../spec.js';

/**
 * Commands that have no typed method, described only for what `call()` must know about them:
 * those it refuses because they would break a connection every caller shares, and those whose
 * arguments hold secrets. Everything else `call()` runs as described elsewhere, or as the
 * server's `COMMAND INFO` describes it.
 */

const pubsub = 'pub/sub needs a dedicated connection: use subscribe(), psubscribe() or ssubscribe()';
const noArgs = (...args: RedisArg[]) => args;

/** The `count` arguments after `word` (AUTH, AUTH2): a username and/or password. */
const afterWord =
  (word: string, count: number) =>
  (args: readonly RedisArg[]): number[] => {
    for (let i = 0; i < args.length; i++) {
      if (String(args[i]).toUpperCase() === word) {
        const secret: number[] = [];
        for (let j = 1; j <= count; j++) secret.push(i + j);
        return secret;
      }
    }
    return [];
  };

function refused(name: string, reason: string): CommandSpec {
  return command({ name, args: noArgs, refusedInCall: reason });
}

export const callOnlyCommands: readonly CommandSpec[] = [
  refused('SUBSCRIBE', pubsub),
  refused('PSUBSCRIBE', pubsub),
  refused('SSUBSCRIBE', pubsub),
  refused('UNSUBSCRIBE', pubsub),
  refused('PUNSUBSCRIBE', pubsub),
  refused('SUNSUBSCRIBE', pubsub),
  refused('MONITOR', 'MONITOR takes over the connection'),
  refused('SELECT', 'use the `db` option; SELECT would be lost on reconnect'),
  refused('HELLO', 'the protocol is chosen with the `resp` option'),
  refused('RESET', 'RESET would undo the handshake of a shared connection'),
  refused('QUIT', 'use client.quit()'),
  refused('MULTI', 'use client.multi()'),
  refused('EXEC', 'use client.multi()'),
  refused('DISCARD', 'use client.multi()'),
  // https://redis.io/commands/auth/ — `AUTH [username] password`.
  command({ name: 'AUTH', args: noArgs, secretArgs: (args) => args.map((_, index) => index) }),
  // https://redis.io/commands/migrate/ — `... AUTH password` or `... AUTH2 username password`.
  command({
    name: 'MIGRATE',
    args: noArgs,
    secretArgs: (args) => [...afterWord('AUTH', 1)(args), ...afterWord('AUTH2', 2)(args)],
  }),
  // https://redis.io/commands/acl-setuser/ — rules `>password` and `#hash` are secrets.
  command({
    name: 'ACL SETUSER',
    args: noArgs,
    secretArgs: (args) =>
      args.flatMap((arg, index) => {
        const rule = String(arg);
        return index > 0 && (rule.startsWith('>') || rule.startsWith('#')) ? [index] : [];
      }),
  }),
];

import { Command, encodedNameOf } from '../connection/command.js';
import { Connection } from '../connection/connection.js';
import type { HandshakeSend } from '../connection/handshake.js';
import type { ConnectionOptions } from '../connection/options.js';
import { ReplyError, SentinelError } from '../errors.js';
import type { RespValue } from '../resp/types.js';
import { type Address, addressText } from './directory.js';

/** What ROLE says a server is: `master`, `slave` or `sentinel`. */
export type Role = 'master' | 'slave' | 'sentinel';

/** The first element of a ROLE reply; a reply error is thrown. */
export function roleOf(reply: RespValue): string {
  if (reply instanceof ReplyError) throw reply;
  return Array.isArray(reply) ? String(reply[0]) : String(reply);
}

/**
 * A `verifyServer` hook: after the handshake, ROLE must say `expected`, or the server is refused
 * with `WRONG_ROLE` (and the connection asks the sentinels again). `address` tells the hook
 * where the connection went, since the hook only sees the socket through `send`.
 */
export function requireRole(
  expected: Role,
  address: () => Address | undefined,
): (send: HandshakeSend) => Promise<void> {
  return async (send) => {
    const role = roleOf(await send('ROLE', []));
    if (role !== expected) throw wrongRole(address(), role, expected);
  };
}

/** ROLE of the server at `address`, on a short-lived connection with the data nodes' options. */
export async function probeRole(options: ConnectionOptions, address: Address): Promise<string> {
  const probe = new Connection({
    ...options,
    host: address.host,
    port: address.port,
    name: undefined,
    reconnect: false,
    offlineQueue: false,
    resolveAddress: undefined,
    verifyServer: undefined,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const command = new Command('ROLE', encodedNameOf('ROLE'), []);
    command.deadline = performance.now() + options.connectTimeout;
    probe.send(command);
    return roleOf((await command.promise) as RespValue);
  } finally {
    probe.disconnect();
  }
}

export function wrongRole(address: Address | undefined, role: string, expected: Role): SentinelError {
  const where = address === undefined ? 'the server' : addressText(address);
  const wanted = expected === 'master' ? 'the primary' : 'a replica';
  return new SentinelError(`${where} says (ROLE) it is a ${role}, not ${wanted}`, 'WRONG_ROLE');
}

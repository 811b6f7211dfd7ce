import type { ReplyError } from '../errors.js';
import type { RedisArg, RespValue } from '../resp/types.js';
import type { ConnectionOptions, HandshakeSend } from './options.js';

export type { HandshakeSend };

/** What the server told us while we said hello. */
export interface ServerHello {
  /** The protocol actually spoken: 2 when HELLO 3 was refused or not asked for. */
  resp: 2 | 3;
  /** `redis_version` from HELLO (Valkey reports its Redis-compatible version), if known. */
  version: string | undefined;
  /** The connection id from HELLO, if known. */
  id: number | undefined;
}

/**
 * Runs the handshake: `HELLO 3 [AUTH user pass] [SETNAME name]`, falling back to RESP2 with
 * `AUTH` and `CLIENT SETNAME` when RESP2 is asked for or HELLO is unknown (Redis < 6), then
 * `SELECT db`. Throws the server's `ReplyError` (e.g. WRONGPASS) — which never holds the password,
 * since reply errors carry only the command name.
 */
export async function handshake(options: ConnectionOptions, send: HandshakeSend): Promise<ServerHello> {
  const hello: ServerHello = { resp: 2, version: undefined, id: undefined };
  let authenticated = false;
  if (options.resp === 3) {
    const args: RedisArg[] = ['3'];
    if (options.password !== undefined) args.push('AUTH', options.username ?? 'default', options.password);
    if (options.name !== undefined) args.push('SETNAME', options.name);
    const reply = await send('HELLO', args);
    if (isError(reply)) {
      // Redis < 6 answers `ERR unknown command 'HELLO'`; there is no dedicated code to branch on.
      const unknown = reply.code === 'NOPROTO' || reply.message.includes('unknown command');
      if (!unknown) throw reply;
    } else {
      hello.resp = 3;
      readHello(reply, hello);
      authenticated = true;
    }
  }
  if (!authenticated) {
    if (options.password !== undefined) {
      const args = options.username === undefined ? [options.password] : [options.username, options.password];
      throwIfError(await send('AUTH', args));
    }
    if (options.name !== undefined) throwIfError(await send('CLIENT', ['SETNAME', options.name]));
  }
  if (options.db !== 0) throwIfError(await send('SELECT', [options.db]));
  if (options.readOnlyReplica) throwIfError(await send('READONLY', []));
  return hello;
}

function readHello(reply: RespValue, hello: ServerHello): void {
  if (!(reply instanceof Map)) return;
  const version = reply.get('version');
  if (typeof version === 'string') hello.version = version;
  const id = reply.get('id');
  if (typeof id === 'number') hello.id = id;
}

function isError(reply: RespValue): reply is ReplyError {
  return reply instanceof Error;
}

function throwIfError(reply: RespValue): void {
  if (isError(reply)) throw reply;
}

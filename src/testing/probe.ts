import { connect as connectTcp, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as connectTls } from 'node:tls';
import { decodeReply, encodeCommand, type Reply, ServerErrorReply } from './wire.js';

/** Where and how to reach one server: `ca` switches to TLS, `password` sends AUTH first. */
export interface Endpoint {
  host: string;
  port: number;
  ca?: Buffer;
  password?: string;
}

/**
 * Runs one command on a fresh connection and closes it. Resolves with the reply (an error reply
 * is a value, not a rejection); rejects when the server cannot be reached in time or `signal`
 * aborts.
 */
export function sendCommand(
  endpoint: Endpoint,
  args: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      endpoint.ca === undefined
        ? connectTcp({ host: endpoint.host, port: endpoint.port })
        : connectTls({ host: endpoint.host, port: endpoint.port, ca: endpoint.ca });
    const timer = setTimeout(() => finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => finish(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: Reply | Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };

    let expected = 1;
    let request = '';
    if (endpoint.password !== undefined) {
      expected = 2;
      request = encodeCommand(['AUTH', endpoint.password]);
    }
    request += encodeCommand(args);

    let received = Buffer.alloc(0);
    let offset = 0;
    const replies: Reply[] = [];
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        for (let decoded = decodeReply(received, offset); decoded; decoded = decodeReply(received, offset)) {
          replies.push(decoded.reply);
          offset = decoded.next;
          if (replies.length === expected) {
            // A failed AUTH explains everything after it, so it is the reply worth reporting.
            return finish(replies.find((reply) => reply instanceof ServerErrorReply) ?? decoded.reply);
          }
        }
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.on('error', finish);
    socket.on('close', () => finish(new Error('connection closed before the reply arrived')));
    socket.write(request);
  });
}

/** Whether a PING reply means the server is up and processing commands. */
function isReady(reply: Reply): boolean {
  if (reply === 'PONG') return true;
  // A password or an ACL-disabled default user makes PING fail with NOAUTH, yet the server is up.
  // LOADING (dataset still being read at restart) deliberately does not count.
  return reply instanceof ServerErrorReply && reply.message.startsWith('NOAUTH');
}

const POLL_INTERVAL_MS = 10;

/** The `process_id` an `INFO server` reply reports, or undefined when it names none. */
function processIdOf(reply: Reply): number | undefined {
  if (typeof reply !== 'string') return undefined;
  const match = /^process_id:(\d+)/m.exec(reply);
  return match === null ? undefined : Number(match[1]);
}

/**
 * Polls with PING until the server answers, `signal` aborts (the process died) or `deadline`
 * (a `Date.now()` value) passes. Rejects with the last thing that went wrong.
 *
 * With `pid`, the answer only counts when `INFO server` says it came from that process: a port
 * picked as free can be taken by another server first, and until the new process notices and
 * exits, that other server would answer the PING. (A server whose INFO needs a password this
 * probe does not have is taken at its word.)
 */
export async function waitUntilReady(
  endpoint: Endpoint,
  deadline: number,
  signal: AbortSignal,
  pid?: number,
): Promise<void> {
  const probeEndpoint = { ...endpoint, password: undefined };
  let lastProblem = 'no attempt made';
  while (!signal.aborted) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`not ready before the start timeout (last: ${lastProblem})`);
    try {
      // Aborting matters when the port was taken by a listener that never answers.
      const reply = await sendCommand(probeEndpoint, ['PING'], Math.min(remaining, 1000), signal);
      if (isReady(reply)) {
        if (pid === undefined) return;
        const info = await sendCommand(endpoint, ['INFO', 'server'], Math.min(remaining, 1000), signal);
        const answeredBy = processIdOf(info);
        if (answeredBy === undefined || answeredBy === pid) return;
        lastProblem = `port ${endpoint.port} is answered by process ${answeredBy}, not by ${pid}`;
      } else {
        lastProblem = `PING answered ${reply instanceof ServerErrorReply ? `-${reply.message}` : String(reply)}`;
      }
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`the process exited while starting (last: ${lastProblem})`);
}

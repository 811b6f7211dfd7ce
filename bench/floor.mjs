// The Node floor: the fastest a Node client can be on this machine, with no client library at all.
//   node bench/floor.mjs <sequential|pipeline> <url> <ops> [--pids p1,p2]
// One raw `node:net` socket writes precomputed EVALSHA frames and counts the replies, decoding
// nothing beyond checking that each is a CRLF-terminated RESP integer (`:<digits>\r\n`).
// sequential: one frame, wait for its reply, repeat (next to workload a and `redis-benchmark -c 1`);
// pipeline: 100 frames in one write, wait for 100 replies, repeat (next to c and `-c 1 -P 100`).
// Warms up on 10% of the calls, then prints one `BENCH_RESULT {json}` line like worker.mjs.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { measuredFigures } from './lib/measured.mjs';
import { cpuMicros } from './lib/proc.mjs';
import { formatResultLine } from './lib/result-line.mjs';
import { INCR_LUA } from './workloads.mjs';

const KEY_COUNT = 1000;
const PIPELINE_SIZE = 100;
const [mode, url, opsText, ...rest] = process.argv.slice(2);
const pidsFlag = rest.indexOf('--pids');
const serverPids = pidsFlag === -1 ? [] : rest[pidsFlag + 1].split(',').filter(Boolean).map(Number);
const workload = { sequential: 'a', pipeline: 'c' }[mode];

function report(result) {
  const line = formatResultLine({ client: 'node-floor', workload, ...result });
  process.stdout.write(line, () => process.exit(0));
}

function frame(parts) {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

/**
 * Counts RESP integer replies across reads, wherever a read splits them. Anything but
 * `:` [-]digits `\r\n` throws (a NOSCRIPT error must not count as a reply).
 */
class IntegerReplyCounter {
  static #START = 0;
  static #DIGITS = 1;
  static #LF = 2;
  #state = IntegerReplyCounter.#START;

  /** Replies completed by `chunk[0, end)`. */
  count(chunk, end) {
    let replies = 0;
    let state = this.#state;
    for (let i = 0; i < end; i++) {
      const byte = chunk[i];
      if (state === IntegerReplyCounter.#DIGITS) {
        if (byte === 0x0d) state = IntegerReplyCounter.#LF;
        else if ((byte < 0x30 || byte > 0x39) && byte !== 0x2d) this.#fail(chunk, i);
      } else if (state === IntegerReplyCounter.#START) {
        if (byte !== 0x3a) this.#fail(chunk, i);
        state = IntegerReplyCounter.#DIGITS;
      } else {
        if (byte !== 0x0a) this.#fail(chunk, i);
        replies++;
        state = IntegerReplyCounter.#START;
      }
    }
    this.#state = state;
    return replies;
  }

  #fail(chunk, at) {
    const text = chunk.subarray(Math.max(0, at - 1), at + 80).toString('latin1');
    throw new Error(`expected a RESP integer reply, read ${JSON.stringify(text)}`);
  }
}

async function main() {
  if (workload === undefined) throw new Error(`mode must be sequential or pipeline, got ${mode}`);
  const ops = Number(opsText);
  const perCall = mode === 'pipeline' ? PIPELINE_SIZE : 1;
  const calls = Math.max(1, Math.round(ops / perCall));
  const sha = createHash('sha1').update(INCR_LUA).digest('hex');
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => `bench:floor:${i}`);
  const single = keys.map((key) => frame(['EVALSHA', sha, '1', key, '1']));
  // Calls cycle through these, each one write: 1,000 single frames, or 10 batches of 100.
  const writes = [];
  if (perCall === 1) for (const text of single) writes.push(Buffer.from(text));
  else
    for (let i = 0; i < KEY_COUNT; i += perCall)
      writes.push(Buffer.from(single.slice(i, i + perCall).join('')));

  const { hostname, port } = new URL(url);
  // Read as redmoon reads: into one reused buffer (`onread`), no Buffer or stream work per read.
  const readBuffer = Buffer.allocUnsafe(64 * 1024);
  const stray = () => {
    throw new Error('a reply arrived with no call waiting');
  };
  let onData = stray;
  const socket = connect({
    port: Number(port),
    host: hostname,
    onread: { buffer: readBuffer, callback: (length) => onData(readBuffer, length) },
  });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const counter = new IntegerReplyCounter();

  /** `count` calls, one at a time; latency of call i, in ns, into latencies[i]. */
  function drive(count, latencies) {
    return new Promise((resolve, reject) => {
      let call = 0;
      let outstanding = 0;
      let started = 0n;
      const next = () => {
        outstanding = perCall;
        started = process.hrtime.bigint();
        socket.write(writes[call % writes.length]);
      };
      onData = (chunk, length) => {
        try {
          outstanding -= counter.count(chunk, length);
        } catch (error) {
          onData = stray;
          reject(error);
          return;
        }
        if (outstanding > 0) return;
        if (outstanding < 0) {
          onData = stray;
          reject(new Error(`${-outstanding} more replies than commands`));
          return;
        }
        latencies[call] = Number(process.hrtime.bigint() - started);
        if (++call < count) next();
        else {
          onData = stray;
          resolve();
        }
      };
      next();
    });
  }

  const warmCalls = Math.max(Math.ceil(calls / 10), Math.min(calls, 100));
  await drive(warmCalls, new Float64Array(warmCalls));
  const latencies = new Float64Array(calls);
  const serverBefore = cpuMicros(serverPids);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await drive(calls, latencies);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = cpuMicros(serverPids);
  socket.destroy();
  latencies.sort();
  report(
    measuredFigures({
      calls,
      perCall,
      seconds,
      latencies,
      cpu,
      serverBefore,
      serverAfter,
      heapUsed: process.memoryUsage().heapUsed,
    }),
  );
}

main().catch((error) =>
  report({
    error: String(error?.message ?? error)
      .split('\n')[0]
      .slice(0, 200),
  }),
);

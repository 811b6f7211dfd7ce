// The Node floor: the fastest a Node client can be on this machine, with no client library at all.
//   node bench/floor.mjs <mode> <url> <ops> [--pids p1,p2] [--warm ops]
// One raw `node:net` socket, read as redmoon reads (into one reused buffer, `onread`). Modes:
// sequential: one precomputed EVALSHA frame, wait for its reply, repeat (next to workload a and
//   `redis-benchmark -c 1`), counting replies and checking each is a RESP integer, nothing more;
// pipeline: 100 precomputed frames in one write, wait for 100 replies, repeat (next to c and
//   `-c 1 -P 100`), likewise;
// pipeline-contract (c) and concurrent-contract (b, 100 callers awaiting their own calls, the
//   calls of a turn written together): per call only what DESIGN's contract makes every call do —
//   a promise whose resolving function is kept, the call's arguments kept (to send again after
//   NOSCRIPT or a reconnect), the arguments encoded into the write (the EVALSHA header, sha and
//   numkeys precomputed per script), the reply's integer decoded and handed to its promise, and a
//   pipeline's promise resolved with its values. No command record, no options, no checks: the
//   least any client under that contract can do, so a CPU target below it is out of reach.
// Warms up on 10% of the calls, then prints one `BENCH_RESULT {json}` line like worker.mjs.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { flagValue, measuredFigures, warmCalls } from './lib/measured.mjs';
import { cpuMicros } from './lib/proc.mjs';
import { formatResultLine } from './lib/result-line.mjs';
import { INCR_LUA } from './workloads.mjs';

const KEY_COUNT = 1000;
const PIPELINE_SIZE = 100;
const [mode, url, opsText, ...rest] = process.argv.slice(2);
const serverPids = (flagValue(rest, '--pids') ?? '').split(',').filter(Boolean).map(Number);
const warmOps = flagValue(rest, '--warm');
const workload = {
  sequential: 'a',
  pipeline: 'c',
  'pipeline-contract': 'c',
  'concurrent-contract': 'b',
}[mode];
const CONCURRENCY = 100;

function report(result) {
  const client = mode.endsWith('-contract') ? 'node-floor-contract' : 'node-floor';
  const line = formatResultLine({ client, workload, ...result });
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

/** Writes `$<length>\r\n<value>\r\n` for an ASCII string; returns the position after it. */
function writeBulk(slab, pos, value) {
  const length = value.length;
  slab[pos++] = 0x24;
  if (length >= 10) {
    const tens = (length / 10) | 0;
    slab[pos++] = 0x30 + tens;
    slab[pos++] = 0x30 + length - tens * 10;
  } else slab[pos++] = 0x30 + length;
  slab[pos++] = 0x0d;
  slab[pos++] = 0x0a;
  for (let i = 0; i < length; i++) slab[pos + i] = value.charCodeAt(i);
  pos += length;
  slab[pos++] = 0x0d;
  slab[pos++] = 0x0a;
  return pos;
}

/**
 * Decodes RESP integer replies across reads and hands each value to the next waiting call,
 * in order. Anything but `:` [-]digits `\r\n` throws.
 */
class IntegerReplyReader {
  #value = 0;
  #negative = false;
  #state = 0;

  /** Calls `deliver(value)` for each reply completed by `chunk[0, end)`. */
  read(chunk, end, deliver) {
    let state = this.#state;
    let value = this.#value;
    for (let i = 0; i < end; i++) {
      const byte = chunk[i];
      if (state === 1) {
        if (byte >= 0x30 && byte <= 0x39) value = value * 10 + byte - 0x30;
        else if (byte === 0x0d) state = 2;
        else if (byte === 0x2d) this.#negative = true;
        else throw new Error(`expected a RESP integer reply, read byte ${byte}`);
      } else if (state === 0) {
        if (byte !== 0x3a) throw new Error(`expected a RESP integer reply, read byte ${byte}`);
        state = 1;
        value = 0;
      } else {
        if (byte !== 0x0a) throw new Error(`expected a RESP integer reply, read byte ${byte}`);
        deliver(this.#negative ? -value : value);
        this.#negative = false;
        state = 0;
      }
    }
    this.#state = state;
    this.#value = value;
  }
}

/**
 * Per call what the contract requires: `pipeline` sends 100 calls in one write and resolves with
 * their values; `call` is one caller's call, written with the others made in the same turn.
 */
function contractDriver(socket, sha) {
  const header = Buffer.from(`*5\r\n$7\r\nEVALSHA\r\n$${sha.length}\r\n${sha}\r\n$1\r\n1\r\n`);
  let slab = Buffer.allocUnsafeSlow(64 * 1024);
  let slabEnd = 0;
  let flushFrom = 0;
  let flushScheduled = false;
  // The calls waiting for their replies, oldest first: resolving function, kept arguments, and
  // the pipeline they belong to, if any.
  let waiting = [];
  let head = 0;
  const reader = new IntegerReplyReader();
  const deliver = (value) => {
    const entry = waiting[head];
    waiting[head++] = undefined;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
    entry.resolve(value);
    const batch = entry.batch;
    if (batch !== undefined) {
      batch.values.push(value);
      if (batch.values.length === batch.size) batch.resolve(batch.values);
    }
  };
  const flush = () => {
    flushScheduled = false;
    socket.write(slab.subarray(flushFrom, slabEnd));
    flushFrom = slabEnd;
  };
  /** Room for `calls` more calls (short keys and args: 256 bytes each at most). */
  const reserve = (calls) => {
    if (slabEnd + calls * 256 <= slab.length) return;
    if (slabEnd > flushFrom) flush();
    // The socket may still hold what was written from the old slab.
    slab = Buffer.allocUnsafeSlow(64 * 1024);
    slabEnd = 0;
    flushFrom = 0;
  };
  const enqueue = (key, arg, batch) => {
    let resolve;
    const promise = new Promise((settle) => (resolve = settle));
    waiting.push({ resolve, args: [sha, 1, key, arg], batch });
    slab.set(header, slabEnd);
    const pos = writeBulk(slab, slabEnd + header.length, key);
    slabEnd = writeBulk(slab, pos, arg);
    return promise;
  };
  return {
    onData(chunk, length) {
      reader.read(chunk, length, deliver);
    },
    call(key, arg) {
      reserve(1);
      const promise = enqueue(key, arg, undefined);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flush);
      }
      return promise;
    },
    pipeline(keys) {
      reserve(keys.length);
      let resolve;
      const done = new Promise((settle) => (resolve = settle));
      const batch = { size: keys.length, values: [], resolve };
      for (let i = 0; i < keys.length; i++) enqueue(keys[i], '1', batch);
      flush();
      return done;
    },
  };
}

async function main() {
  if (workload === undefined) {
    throw new Error(
      `mode must be sequential, pipeline, pipeline-contract or concurrent-contract, got ${mode}`,
    );
  }
  const ops = Number(opsText);
  const perCall = mode === 'pipeline' || mode === 'pipeline-contract' ? PIPELINE_SIZE : 1;
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

  const contract = mode.endsWith('-contract') ? contractDriver(socket, sha) : undefined;
  const batches = [];
  for (let i = 0; i < KEY_COUNT; i += PIPELINE_SIZE) batches.push(keys.slice(i, i + PIPELINE_SIZE));

  /** `count` pipelines through the contract driver, one at a time, each checked. */
  async function drivePipelines(count, latencies) {
    for (let call = 0; call < count; call++) {
      const started = process.hrtime.bigint();
      const values = await contract.pipeline(batches[call % batches.length]);
      latencies[call] = Number(process.hrtime.bigint() - started);
      if (values.length !== PIPELINE_SIZE || typeof values[0] !== 'number') {
        throw new Error(`a pipeline answered ${values.length} values`);
      }
    }
  }

  /** `count` calls through the contract driver, CONCURRENCY callers at a time, each checked. */
  async function driveConcurrent(count, latencies) {
    let next = 0;
    const caller = async () => {
      while (next < count) {
        const index = next++;
        const started = process.hrtime.bigint();
        const value = await contract.call(keys[index % KEY_COUNT], '1');
        latencies[index] = Number(process.hrtime.bigint() - started);
        if (typeof value !== 'number') throw new Error(`a call answered ${value}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, caller));
  }

  async function driveContract(count, latencies) {
    onData = (chunk, length) => contract.onData(chunk, length);
    if (mode === 'pipeline-contract') await drivePipelines(count, latencies);
    else await driveConcurrent(count, latencies);
    onData = stray;
  }

  /** `count` calls, one at a time; latency of call i, in ns, into latencies[i]. */
  function drive(count, latencies) {
    if (contract !== undefined) return driveContract(count, latencies);
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

  const warm = warmCalls(calls, perCall, warmOps === undefined ? undefined : Number(warmOps));
  await drive(warm, new Float64Array(warm));
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
  report({
    ...measuredFigures({
      calls,
      perCall,
      seconds,
      latencies,
      cpu,
      serverBefore,
      serverAfter,
      heapUsed: process.memoryUsage().heapUsed,
    }),
    warmOps: warm * perCall,
  });
}

main().catch((error) =>
  report({
    error: String(error?.message ?? error)
      .split('\n')[0]
      .slice(0, 200),
  }),
);

// The workloads of issue 5, each described once: what one call does, how many run at once, and
// how many operations a run issues. worker.mjs drives them; run.mjs reads the same list for
// names, labels and op counts, so adding a workload is one entry here.

export const INCR_LUA = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
const KEY_COUNT = 1_000;
const SMALL_VALUE = 'v'.repeat(64);
const LARGE_VALUE = 'x'.repeat(16 * 1024);
const PIPELINE_SIZE = 100;
/** Subscriber connections of the pub/sub workload, each a client of its own. */
export const SUBSCRIBERS = 4;

function keysFor(prefix) {
  return Array.from({ length: KEY_COUNT }, (_, i) => `bench:${prefix}:${i}`);
}

/** Loads the script through the client itself and checks one call answers an integer. */
async function prepareScript(client, keys) {
  const sha = await client.scriptLoad(INCR_LUA);
  const reply = await client.evalsha(sha, keys[0], '1');
  if (typeof reply !== 'number' && typeof reply !== 'bigint') {
    throw new Error(`EVALSHA answered ${typeof reply} ${String(reply)}, expected an integer`);
  }
  return sha;
}

/** Fails when a pipeline's replies hold an error, in any client's shape ([err, value] or Error). */
function checkPipelineReplies(replies, size) {
  if (!Array.isArray(replies) || replies.length !== size) {
    throw new Error(`pipeline answered ${Array.isArray(replies) ? replies.length : typeof replies} replies`);
  }
  for (const reply of replies) {
    const error =
      reply instanceof Error ? reply : Array.isArray(reply) && reply[0] instanceof Error && reply[0];
    if (error) throw error;
  }
}

async function preload(client, keys, value) {
  for (let i = 0; i < keys.length; i += 100) {
    await Promise.all(keys.slice(i, i + 100).map((key) => client.set(key, value)));
  }
}

/**
 * name: short id used on the command line and in tables.
 * ops: operations per measured run (a pipeline of 100 counts as 100); quickOps for --quick.
 * concurrency: calls in flight at once, each lane awaiting its call before the next.
 * opsPerCall: commands one call issues (100 for a pipeline); latency is then per pipeline.
 * warmOps: operations run before measuring (not with --quick, which warms up on a tenth): enough
 *   for code that runs once per batch — per pipeline, per turn of 100 concurrent calls — to be
 *   called some thousands of times and optimised, as it is in a long-running process.
 * setup(client) → op(i): prepares the data and returns the call for index i.
 */
export const WORKLOADS = [
  {
    name: 'a',
    label: 'a · EVALSHA sequential, 1,000 keys',
    ops: 20_000,
    warmOps: 10_000,
    quickOps: 2_000,
    concurrency: 1,
    async setup(client) {
      const keys = keysFor('a');
      const sha = await prepareScript(client, keys);
      return (i) => client.evalsha(sha, keys[i % KEY_COUNT], '1');
    },
  },
  {
    name: 'a-helper',
    label: 'a · via script helper',
    ops: 20_000,
    warmOps: 10_000,
    quickOps: 2_000,
    concurrency: 1,
    async setup(client) {
      const keys = keysFor('a');
      await prepareScript(client, keys);
      const call = client.helper();
      return (i) => call(keys[i % KEY_COUNT], '1');
    },
  },
  {
    name: 'b',
    label: 'b · EVALSHA, 100 concurrent',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 100,
    async setup(client) {
      const keys = keysFor('b');
      const sha = await prepareScript(client, keys);
      return (i) => client.evalsha(sha, keys[i % KEY_COUNT], '1');
    },
  },
  {
    name: 'b-helper',
    label: 'b · via script helper',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 100,
    async setup(client) {
      const keys = keysFor('b');
      await prepareScript(client, keys);
      const call = client.helper();
      return (i) => call(keys[i % KEY_COUNT], '1');
    },
  },
  {
    name: 'c',
    label: 'c · pipelines of 100 EVALSHA',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 1,
    opsPerCall: PIPELINE_SIZE,
    async setup(client) {
      const keys = keysFor('c');
      const sha = await prepareScript(client, keys);
      const batches = pipelineBatches(keys);
      checkPipelineReplies(await client.pipelineEvalsha(sha, batches[0], batches.args), PIPELINE_SIZE);
      return (i) => client.pipelineEvalsha(sha, batches[i % batches.length], batches.args);
    },
  },
  {
    name: 'c-helper',
    label: 'c · via script helper',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 1,
    opsPerCall: PIPELINE_SIZE,
    needs: 'pipelineHelper',
    async setup(client) {
      const keys = keysFor('c');
      await prepareScript(client, keys);
      const batches = pipelineBatches(keys);
      const call = client.pipelineHelper();
      checkPipelineReplies(await call(batches[0], batches.args), PIPELINE_SIZE);
      return (i) => call(batches[i % batches.length], batches.args);
    },
  },
  {
    name: 'd-get',
    label: 'd · GET 64 B, 100 concurrent',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 100,
    async setup(client) {
      const keys = keysFor('d');
      await preload(client, keys, SMALL_VALUE);
      if ((await client.get(keys[0])) !== SMALL_VALUE) throw new Error('GET did not return the value SET');
      return (i) => client.get(keys[i % KEY_COUNT]);
    },
  },
  {
    name: 'd-set',
    label: 'd · SET 64 B, 100 concurrent',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 100,
    async setup(client) {
      const keys = keysFor('d');
      return (i) => client.set(keys[i % KEY_COUNT], SMALL_VALUE);
    },
  },
  {
    name: 'e',
    label: 'e · SET+GET 16 KiB, 100 concurrent',
    ops: 40_000,
    warmOps: 40_000,
    quickOps: 4_000,
    concurrency: 100,
    async setup(client) {
      const keys = keysFor('e');
      await preload(client, keys, LARGE_VALUE);
      if ((await client.get(keys[0])) !== LARGE_VALUE) throw new Error('GET did not return the 16 KiB value');
      // Even indexes SET, odd ones GET, so every lane mixes both.
      return (i) => (i & 1 ? client.get(keys[i % KEY_COUNT]) : client.set(keys[i % KEY_COUNT], LARGE_VALUE));
    },
  },
  {
    name: 'f',
    label: 'f · as b on a 3-primary cluster',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 100,
    cluster: true,
    async setup(client) {
      const keys = keysFor('f');
      const sha = await prepareScript(client, keys);
      return (i) => client.evalsha(sha, keys[i % KEY_COUNT], '1');
    },
  },
  {
    name: 'f-helper',
    label: 'f · via script helper',
    ops: 200_000,
    warmOps: 300_000,
    quickOps: 20_000,
    concurrency: 100,
    cluster: true,
    async setup(client) {
      const keys = keysFor('f');
      await prepareScript(client, keys);
      const call = client.helper();
      return (i) => call(keys[i % KEY_COUNT], '1');
    },
  },
  {
    name: 'g',
    label: `g · pub/sub: 1 publisher, ${SUBSCRIBERS} subscribers, 100 in flight (messages/s, each to all ${SUBSCRIBERS})`,
    ops: 100_000,
    warmOps: 20_000,
    quickOps: 10_000,
    concurrency: 100,
    needs: 'subscriber',
    async setup(client) {
      return pubsubOp(client, `bench:g:${process.pid}`);
    },
  },
];

/**
 * One call publishes one 64-byte message and resolves when every subscriber — each a client of
 * its own, in this process — has received it; so ops/s is messages published and delivered to
 * all, deliveries/s is SUBSCRIBERS times that, and latency runs from PUBLISH to the last delivery.
 * PUBLISH must answer SUBSCRIBERS: a message nobody received would never resolve.
 */
async function pubsubOp(client, channel) {
  const waiting = new Map();
  const onMessage = (message) => {
    const entry = waiting.get(String(message));
    if (entry === undefined) return;
    if (--entry.remaining === 0) {
      waiting.delete(String(message));
      entry.resolve();
    }
  };
  for (let i = 0; i < SUBSCRIBERS; i++) await client.subscriber(channel, onMessage);
  const padding = 'm'.repeat(64);
  return (i) =>
    new Promise((resolve, reject) => {
      const message = `${i}:${padding}`.slice(0, 64);
      waiting.set(message, { remaining: SUBSCRIBERS, resolve });
      client.publish(channel, message).then((receivers) => {
        if (Number(receivers) !== SUBSCRIBERS) {
          reject(new Error(`PUBLISH reached ${receivers} subscribers, expected ${SUBSCRIBERS}`));
        }
      }, reject);
    });
}

/** The 1,000 keys cut into pipelines of 100, plus the shared argument list. */
function pipelineBatches(keys) {
  const batches = [];
  for (let i = 0; i < keys.length; i += PIPELINE_SIZE) batches.push(keys.slice(i, i + PIPELINE_SIZE));
  batches.args = Array.from({ length: PIPELINE_SIZE }, () => '1');
  return batches;
}

export function workload(name) {
  const found = WORKLOADS.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`unknown workload ${name}`);
  return found;
}

// redmoon through its public API: default RESP3, auto-pipelined, `Script` as the helper.
import { NotAvailable } from './index.mjs';

// run.mjs points REDMOON_BENCH_ENTRY at a snapshot of dist/ taken when the run began; the
// `redmoon-base` variant loads REDMOON_BASE_ENTRY instead (an earlier build, for before/after).
const base = process.argv[2] === 'redmoon-base';
if (base && process.env.REDMOON_BASE_ENTRY === undefined) {
  throw new Error("redmoon-base needs REDMOON_BASE_ENTRY: the path of an earlier build's dist/esm/index.js");
}
const redmoon = await import(
  base ? process.env.REDMOON_BASE_ENTRY : (process.env.REDMOON_BENCH_ENTRY ?? 'redmoon')
);

/**
 * The benchmark's adapter interface, implemented by every file in this folder:
 * `connect({ urls, cluster, lua })` resolves to an object with
 *   get(key), set(key, value), scriptLoad(lua) → sha, evalsha(sha, key, arg),
 *   helper() → (key, arg) => Promise   (the client's script helper, for `lua`),
 *   pipelineEvalsha(sha, keys, args) → Promise<replies>, pipelineHelper?() → (keys, args) => Promise,
 *   publish(channel, message) → receivers, subscriber?(channel, onMessage) → a new client of its
 *   own subscribed to `channel`, calling onMessage(message) (closed by quit),
 *   quit().
 * A method left out, or NotAvailable thrown, marks the case "n/a" for this client.
 */
if (process.argv[2] === 'redmoon-otel') {
  const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
  const { instrument } = await import(
    new URL('./otel/index.js', new URL(process.env.REDMOON_BENCH_ENTRY, 'file:')).href
  );
  // Spans are made and ended; a provider without processors drops them (the SDK's own cost stays).
  instrument({ tracerProvider: new BasicTracerProvider() });
}

export async function connect({ urls, cluster, lua }) {
  let client;
  if (cluster) {
    if (typeof redmoon.Cluster !== 'function') throw new NotAvailable('redmoon has no Cluster client yet');
    client = new redmoon.Cluster({ nodes: urls });
  } else {
    client = new redmoon.Client({ url: urls[0], resp: 3 });
  }
  await client.connect();
  const script = redmoon.Script.fromLua(lua);
  const subscribers = [];

  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    scriptLoad: (source) => client.scriptLoad(source),
    evalsha: (sha, key, arg) => client.evalsha(sha, [key], [arg]),
    helper: () => (key, arg) => script.evalshaWithReload(client, [key], [arg]),
    pipelineEvalsha(sha, keys, args) {
      const pipeline = client.pipeline();
      for (let i = 0; i < keys.length; i++) pipeline.evalsha(sha, [keys[i]], [args[i]]);
      return pipeline.exec();
    },
    pipelineHelper: () => (keys, args) => {
      const pipeline = client.pipeline();
      for (let i = 0; i < keys.length; i++) script.evalshaWithReload(pipeline, [keys[i]], [args[i]]);
      return pipeline.exec();
    },
    publish: (channel, message) => client.publish(channel, message),
    async subscriber(channel, onMessage) {
      if (cluster) throw new NotAvailable('the pub/sub workload runs on one server');
      const subscriber = new redmoon.Client({ url: urls[0], resp: 3 });
      subscribers.push(subscriber);
      await subscriber.connect();
      await subscriber.subscribe(channel, onMessage);
    },
    quit: () => Promise.all([client.quit(), ...subscribers.map((subscriber) => subscriber.quit())]),
  };
}

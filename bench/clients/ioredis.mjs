// ioredis with its defaults (RESP2, no auto-pipelining) or, as `ioredis-ap`, with its opt-in
// `enableAutoPipelining`. `defineCommand` is its script helper (EVALSHA, EVAL on NOSCRIPT).
import { Cluster, Redis } from 'ioredis';
import { hostPort, NotAvailable } from './index.mjs';

export async function connect({ urls, cluster, lua, variant }) {
  const options = { lazyConnect: true, enableAutoPipelining: variant === 'ioredis-ap' };
  const client = cluster
    ? new Cluster(urls.map(hostPort), {
        lazyConnect: true,
        enableAutoPipelining: options.enableAutoPipelining,
      })
    : new Redis({ ...hostPort(urls[0]), ...options });
  client.on('error', (error) => process.stderr.write(`ioredis error: ${error.message}\n`));
  await client.connect();
  client.defineCommand('benchScript', { numberOfKeys: 1, lua });
  const subscribers = [];

  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    async scriptLoad(source) {
      if (!cluster) return client.script('LOAD', source);
      const shas = await Promise.all(client.nodes('master').map((node) => node.script('LOAD', source)));
      return shas[0];
    },
    evalsha: (sha, key, arg) => client.evalsha(sha, 1, key, arg),
    helper: () => (key, arg) => client.benchScript(key, arg),
    pipelineEvalsha(sha, keys, args) {
      const pipeline = client.pipeline();
      for (let i = 0; i < keys.length; i++) pipeline.evalsha(sha, 1, keys[i], args[i]);
      return pipeline.exec();
    },
    pipelineHelper: () => (keys, args) => {
      const pipeline = client.pipeline();
      for (let i = 0; i < keys.length; i++) pipeline.benchScript(keys[i], args[i]);
      return pipeline.exec();
    },
    publish: (channel, message) => client.publish(channel, message),
    async subscriber(channel, onMessage) {
      if (cluster) throw new NotAvailable('the pub/sub workload runs on one server');
      // A subscribed ioredis connection can do nothing else: one client per subscriber.
      const subscriber = new Redis({ ...hostPort(urls[0]), lazyConnect: true });
      subscribers.push(subscriber);
      await subscriber.connect();
      subscriber.on('message', (_channel, message) => onMessage(message));
      await subscriber.subscribe(channel);
    },
    quit: () => Promise.all([client.quit(), ...subscribers.map((subscriber) => subscriber.quit())]),
  };
}

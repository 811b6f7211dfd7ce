// node-redis (`redis` package) with its defaults: RESP2, commands of one tick written together.
// Its script helper is `defineScript` passed as `scripts` (EVALSHA, EVAL on NOSCRIPT).
import { createClient, createCluster, defineScript } from 'redis';
import { NotAvailable } from './index.mjs';

export async function connect({ urls, cluster, lua }) {
  const scripts = {
    benchScript: defineScript({
      SCRIPT: lua,
      NUMBER_OF_KEYS: 1,
      parseCommand(parser, key, arg) {
        parser.pushKey(key);
        parser.push(arg);
      },
      transformReply: (reply) => reply,
    }),
  };
  const client = cluster
    ? createCluster({ rootNodes: urls.map((url) => ({ url })), scripts })
    : createClient({ url: urls[0], scripts });
  client.on('error', (error) => process.stderr.write(`node-redis error: ${error.message}\n`));
  await client.connect();
  const subscribers = [];
  const close = (each) => (typeof each.close === 'function' ? each.close() : each.quit());

  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    async scriptLoad(source) {
      if (!cluster) return client.scriptLoad(source);
      const nodes = await Promise.all(client.masters.map((master) => client.nodeClient(master)));
      const shas = await Promise.all(nodes.map((node) => node.scriptLoad(source)));
      return shas[0];
    },
    evalsha: (sha, key, arg) => client.evalSha(sha, { keys: [key], arguments: [arg] }),
    helper: () => (key, arg) => client.benchScript(key, arg),
    pipelineEvalsha(sha, keys, args) {
      const multi = client.multi();
      for (let i = 0; i < keys.length; i++) multi.evalSha(sha, { keys: [keys[i]], arguments: [args[i]] });
      return multi.execAsPipeline();
    },
    pipelineHelper: () => (keys, args) => {
      const multi = client.multi();
      for (let i = 0; i < keys.length; i++) multi.benchScript(keys[i], args[i]);
      return multi.execAsPipeline();
    },
    publish: (channel, message) => client.publish(channel, message),
    async subscriber(channel, onMessage) {
      if (cluster) throw new NotAvailable('the pub/sub workload runs on one server');
      // node-redis subscribes on a connection of its own: `duplicate()`, as its docs show.
      const subscriber = client.duplicate();
      subscribers.push(subscriber);
      await subscriber.connect();
      await subscriber.subscribe(channel, (message) => onMessage(message));
    },
    quit: () => Promise.all([close(client), ...subscribers.map(close)]),
  };
}

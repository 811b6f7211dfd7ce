// @valkey/valkey-glide: a Rust core behind a Node binding, RESP3 by default. Raw EVALSHA goes
// through `customCommand`; its script helper is `Script` + `invokeScript`; explicit pipelines
// are a non-atomic `Batch`, which has no script helper (so c-helper is n/a).
import { Batch, GlideClient, GlideClusterClient, Script } from '@valkey/valkey-glide';
import { hostPort } from './index.mjs';

// glide's default request timeout (250 ms) is shorter than a loaded 2-core box guarantees, and no
// other client here has one; a long one keeps the comparison about throughput, not timeouts.
const REQUEST_TIMEOUT_MS = 30_000;

export async function connect({ urls, cluster, lua }) {
  const config = { addresses: urls.map(hostPort), requestTimeout: REQUEST_TIMEOUT_MS };
  const client = cluster
    ? await GlideClusterClient.createClient(config)
    : await GlideClient.createClient(config);
  const script = new Script(lua);

  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    async scriptLoad(source) {
      const reply = cluster
        ? await client.customCommand(['SCRIPT', 'LOAD', source], { route: 'allPrimaries' })
        : await client.customCommand(['SCRIPT', 'LOAD', source]);
      // A multi-node route answers with one reply per node.
      return typeof reply === 'string' ? reply : Object.values(reply)[0];
    },
    evalsha: (sha, key, arg) => client.customCommand(['EVALSHA', sha, '1', key, arg]),
    helper: () => (key, arg) => client.invokeScript(script, { keys: [key], args: [arg] }),
    pipelineEvalsha(sha, keys, args) {
      const batch = new Batch(false);
      for (let i = 0; i < keys.length; i++) batch.customCommand(['EVALSHA', sha, '1', keys[i], args[i]]);
      return client.exec(batch, false);
    },
    quit() {
      script.release();
      client.close();
    },
  };
}

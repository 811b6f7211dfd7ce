// The same scripts on a Redis Cluster: a local 3-primary cluster (started by redmoon/testing, or
// REDIS_CLUSTER_URL), where keys route by hash slot and scripts and libraries reach every primary.
//
//   node examples/cluster.mjs              (after `npm run build`)
import { pathToFileURL } from 'node:url';
import { Client, Cluster, Library, Script, slotOf } from 'redmoon';
import { startCluster } from 'redmoon/testing';

const counterLua = `#!lua name=clustercounters
redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
`;

export async function main(seedUrl) {
  console.log('\n=== The same scripts on a Redis Cluster ===');
  const cluster = new Cluster({ nodes: [seedUrl] });
  await cluster.connect();
  console.log(
    `1. Connected through ${seedUrl}; the slot map names ${cluster.primaries.length} primaries: ${cluster.primaries.join(', ')}.`,
  );

  const incrBy = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  await incrBy.load(cluster);
  console.log(
    `2. script.load() sent SCRIPT LOAD to every primary; SCRIPT EXISTS (true only if all have it): ${await cluster.scriptExists(incrBy.sha1)}.`,
  );

  for (const key of ['apples', 'pears', 'plums']) {
    const total = await incrBy.evalshaWithReload(cluster, [key], [5]);
    console.log(
      `3. ${key} hashes to slot ${slotOf(key)}; the script ran on the primary that owns it: ${key} = ${total}.`,
    );
  }

  await cluster.mget('{basket}:apples', '{basket}:pears');
  console.log('4. MGET of {basket}:apples and {basket}:pears works: the {hash tag} puts both in one slot.');
  try {
    await cluster.mget('apples', 'pears');
  } catch (error) {
    console.log(`5. MGET of apples and pears is refused before sending (${error.code}): ${error.message}`);
  }

  // Flush one primary's script cache behind the client's back: the next call heals itself there.
  const owner = await ownerOf(cluster, 'apples');
  const direct = new Client({ url: `redis://${owner}` });
  await direct.connect();
  await direct.scriptFlush();
  console.log(
    `6. Flushed the script cache of ${owner} directly. evalshaWithReload still answers: apples = ${await incrBy.evalshaWithReload(cluster, ['apples'], [1])}`,
  );
  console.log(
    `   (that primary answered NOSCRIPT, got SCRIPT LOAD and the call once more; it has the script again: ${await direct.scriptExists(incrBy.sha1)}).`,
  );
  direct.disconnect();

  const library = await Library.fromCode(cluster, counterLua);
  const bump = library.functions.get('bump');
  console.log(
    `7. Library.fromCode loaded "${library.name}" on every primary; bump(pears, 2) = ${await bump.fcall(cluster, ['pears'], [2])}.`,
  );

  const pipeline = cluster.pipeline();
  for (const key of ['apples', 'pears', 'plums']) incrBy.evalsha(pipeline, [key], [100]);
  console.log(
    `8. A pipeline over three slots is split by node and answered in order: ${JSON.stringify(await pipeline.exec())}.`,
  );

  await cluster.functionDelete(library.name);
  await cluster.call('DEL', 'apples');
  await cluster.call('DEL', 'pears');
  await cluster.call('DEL', 'plums');
  await cluster.quit();
  console.log('9. Deleted the example keys and library, and closed the cluster client.');
}

/** The `host:port` of the primary serving `key`, from CLUSTER SLOTS. */
async function ownerOf(cluster, key) {
  const slot = slotOf(key);
  const ranges = await cluster.call('CLUSTER', 'SLOTS');
  const range = ranges.find(([start, end]) => slot >= start && slot <= end);
  return `${range[2][0]}:${range[2][1]}`;
}

/** `{ url, stop }` of a cluster seed: REDIS_CLUSTER_URL, or a local cluster started here. */
export async function getCluster() {
  const url = process.env.REDIS_CLUSTER_URL;
  if (url !== undefined && url !== '') return { url, stop: async () => {} };
  console.log('\nStarting a throwaway 3-primary cluster (a few seconds)...');
  const cluster = await startCluster({ primaries: 3 });
  return {
    url: cluster.urls[0],
    stop: async () => {
      await cluster.stop();
      console.log('Stopped the throwaway cluster.');
    },
  };
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const seed = await getCluster();
  try {
    await main(seed.url);
  } finally {
    await seed.stop();
  }
}

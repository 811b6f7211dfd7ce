// Typed scripts and functions on a Redis Cluster, in TypeScript. Type-checked and compiled by
// `npm test` and `npm run examples` (examples/tsconfig.json, into .build/examples), and run by
// `npm run examples`; on its own:
//
//   npm run build && npx tsc -p examples/tsconfig.json && node .build/examples/cluster.js
import { pathToFileURL } from 'node:url';
import { Cluster, ClusterError, Library, Script, slotOf } from 'redmoon';
import { startCluster } from 'redmoon/testing';

const counterLua = `#!lua name=tsclustercounters
redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
`;

/** Moves `amount` from one counter to another, atomically: both keys must share a slot. */
const transfer = Script.fromLua<{ keys: [string, string]; args: [number]; reply: [number, number] }>(`
local from = redis.call('DECRBY', KEYS[1], ARGV[1])
local to = redis.call('INCRBY', KEYS[2], ARGV[1])
return {from, to}
`);

export async function main(seedUrl: string): Promise<void> {
  console.log('\n=== Typed scripts on a Redis Cluster, in TypeScript ===');
  const cluster = new Cluster({ nodes: [seedUrl] });
  await cluster.connect();

  // A {hash tag} puts both keys in one slot, so one primary runs the whole script.
  const [from, to] = await transfer.evalshaWithReload(cluster, ['{acct}:alice', '{acct}:bob'], [30]);
  console.log(`TS cluster 1. transfer in slot ${slotOf('{acct}:alice')}: alice ${from}, bob ${to}`);

  // Keys in different slots are refused before anything is sent.
  try {
    await transfer.evalshaWithReload(cluster, ['alice', 'bob'], [30]);
  } catch (error) {
    if (!(error instanceof ClusterError)) throw error;
    console.log(`TS cluster 2. keys in two slots: ${error.code}, may have run: ${error.mayHaveRun}`);
  }

  const library = await Library.fromCode(cluster, counterLua);
  const bump = library.functions.get('bump');
  if (bump === undefined) throw new Error('the library has no bump function');
  const bumped = await bump.fcall<number>(cluster, ['{acct}:carol'], [7]);
  console.log(
    `TS cluster 3. ${library.name} is on all ${cluster.primaries.length} primaries; bump = ${bumped}`,
  );

  await cluster.functionDelete(library.name);
  await cluster.call('DEL', '{acct}:alice', '{acct}:bob', '{acct}:carol');
  await cluster.quit();
}

// Run directly: against REDIS_CLUSTER_URL, or a throwaway 3-primary cluster started here.
if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const url = process.env.REDIS_CLUSTER_URL;
  const local = url ? undefined : await startCluster({ primaries: 3 });
  try {
    await main(url || (local?.urls[0] ?? ''));
  } finally {
    await local?.stop();
  }
}

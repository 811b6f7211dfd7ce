// Runs every example in order: the standalone ones against one Redis server (REDIS_URL if set,
// otherwise a throwaway redis-server started for the occasion), then the cluster examples against
// REDIS_CLUSTER_URL or a throwaway local cluster. The TypeScript examples (examples/typescript)
// run from their compiled form in .build/examples.
//
//   npm run examples          (builds dist/ and compiles the TypeScript examples, then runs this file)
import { main as tsCluster } from '../.build/examples/cluster.js';
import { main as tsWalkthrough } from '../.build/examples/walkthrough.js';
import { main as cluster, getCluster } from './cluster.mjs';
import { main as further } from './further.mjs';
import { main as keyspaceNotifications } from './keyspace-notifications.mjs';
import { main as patterns } from './patterns.mjs';
import { main as patternsLibrary } from './patterns-library.mjs';
import { getRedis } from './redis.mjs';
import { main as streams } from './streams.mjs';
import { main as walkthrough } from './walkthrough.mjs';

const redis = await getRedis();
try {
  for (const example of [
    walkthrough,
    patterns,
    further,
    streams,
    patternsLibrary,
    keyspaceNotifications,
    tsWalkthrough,
  ]) {
    await example(redis.url);
  }
} catch (error) {
  process.exitCode = 1;
  console.error('\nAn example failed:', error);
} finally {
  await redis.stop();
}

if (process.exitCode !== 1) {
  if (process.env.REDIS_URL && !process.env.REDIS_CLUSTER_URL) {
    console.log('\nSkipping the cluster example: REDIS_URL is set, REDIS_CLUSTER_URL is not.');
  } else {
    const seed = await getCluster();
    try {
      await cluster(seed.url);
      await tsCluster(seed.url);
      console.log('\nAll examples ran.');
    } catch (error) {
      process.exitCode = 1;
      console.error('\nThe cluster example failed:', error);
    } finally {
      await seed.stop();
    }
  }
}

// Runs every example in order against one Redis server: REDIS_URL if set, otherwise a
// throwaway redis-server started for the occasion.
//
//   npm run examples          (builds first, then runs this file)
import { main as further } from './further.mjs';
import { main as patterns } from './patterns.mjs';
import { getRedis } from './redis.mjs';
import { main as walkthrough } from './walkthrough.mjs';

const redis = await getRedis();
try {
  for (const example of [walkthrough, patterns, further]) await example(redis.url);
  console.log('\nAll examples ran.');
} catch (error) {
  process.exitCode = 1;
  console.error('\nAn example failed:', error);
} finally {
  await redis.stop();
}

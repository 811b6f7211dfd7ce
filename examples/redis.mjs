// Where the examples find a Redis server.
//
// With REDIS_URL set (e.g. REDIS_URL=redis://127.0.0.1:6379), the examples use that server and
// leave it running. Without it, they start a throwaway redis-server on a free loopback port with
// redmoon's own test harness (`redmoon/testing`) and stop it afterwards: nothing to install or
// configure beyond the redis-server binary.
import { pathToFileURL } from 'node:url';
import { startRedis } from 'redmoon/testing';

/** Resolves to `{ url, stop }`: the server to talk to, and how to let go of it. */
export async function getRedis() {
  const url = process.env.REDIS_URL;
  if (url !== undefined && url !== '') {
    console.log(`Using the Redis server at ${url} (from REDIS_URL).`);
    return { url, stop: async () => {} };
  }
  const server = await startRedis();
  console.log(`Started a throwaway redis-server at ${server.url} (set REDIS_URL to use your own).`);
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      console.log('Stopped the throwaway redis-server.');
    },
  };
}

/** Runs `main(url)` against a server when the example file is run directly with node. */
export async function runDirectly(importMetaUrl, main) {
  if (process.argv[1] === undefined || pathToFileURL(process.argv[1]).href !== importMetaUrl) return;
  const redis = await getRedis();
  try {
    await main(redis.url);
  } catch (error) {
    process.exitCode = 1;
    console.error(error);
  } finally {
    await redis.stop();
  }
}

// The walkthrough ends with "create a script that implements a distributed lock or counter with
// expiration … build a library of related operations". redmoon ships that library:
// `redmoon/patterns`. Each call is one atomic script whose keys share a hash slot, so the same
// code runs on a Cluster, and the server's clock is the only clock that decides anything.
//
//   node examples/patterns-library.mjs          (after `npm run build`)
import { Client, Script } from 'redmoon';
import {
  ExpiringCounter,
  Idempotency,
  Lock,
  Semaphore,
  SlidingLogLimiter,
  TokenBucketLimiter,
} from 'redmoon/patterns';
import { runDirectly } from './redis.mjs';

/** A protected resource that checks fencing tokens: it refuses a token lower than one it has seen. */
const fencedAppend = Script.fromLua(`
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < seen then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function main(url) {
  const client = new Client({ url });
  await client.connect();
  const run = `${process.pid}`;
  const prefix = `redmoon:example:library:${run}:`;

  console.log('\n=== Rate limiting: a sliding log, 3 requests per second ===');
  const perSecond = new SlidingLogLimiter({ limit: 3, window: 1000, prefix: `${prefix}log:` });
  for (let request = 1; request <= 4; request++) {
    const { allowed, remaining, retryAfter } = await perSecond.check(client, 'user:42');
    console.log(
      `Request ${request}: ${allowed ? 'allowed' : 'refused'}, ${remaining} left` +
        (allowed ? '.' : `, retry in about ${Math.round(retryAfter / 100) / 10} s.`),
    );
  }
  const bucket = new TokenBucketLimiter({ limit: 10, window: 1000, burst: 2, prefix: `${prefix}bucket:` });
  const pipeline = client.pipeline();
  const checks = ['alice', 'alice', 'alice', 'bob'].map((name) => bucket.check(pipeline, name));
  await pipeline.exec();
  const verdicts = (await Promise.all(checks)).map((result) => (result.allowed ? 'yes' : 'no'));
  console.log(
    `A token bucket (burst 2), four checks in one pipeline for alice×3, bob: ${verdicts.join(', ')}.`,
  );

  console.log('\n=== A lock with fencing tokens ===');
  const lock = new Lock({ lease: 200, prefix: `${prefix}lock:` });
  const resource = [`${prefix}{report}:seen`, `${prefix}{report}:log`];
  const slow = await lock.acquire(client, 'report');
  console.log(`Worker A holds the lock with token ${slow.token} and then stalls past its 200 ms lease...`);
  await sleep(250);
  console.log(`A's lease signal has fired: ${slow.signal.aborted} (${slow.signal.reason?.code}).`);
  await lock.withLock(client, 'report', async (lease) => {
    const written = await fencedAppend.evalshaWithReload(client, resource, [lease.token, 'B']);
    console.log(
      `Worker B takes the lock (token ${lease.token}, higher) and writes: accepted ${written === 1}.`,
    );
  });
  const stale = await fencedAppend.evalshaWithReload(client, resource, [slow.token, 'A']);
  console.log(`A wakes up and writes with its old token: accepted ${stale === 1} - the resource refused it.`);
  console.log(`A's release does nothing, the lock is no longer A's: released ${await slow.release()}.`);

  console.log('\n=== A semaphore of 2 permits ===');
  const pool = new Semaphore({ size: 2, lease: 5000, prefix: `${prefix}sem:` });
  const first = await pool.tryAcquire(client, 'exports');
  const second = await pool.tryAcquire(client, 'exports');
  const third = await pool.tryAcquire(client, 'exports');
  console.log(`Three callers ask: ${[first, second, third].map((p) => (p ? 'permit' : 'none')).join(', ')}.`);
  await first.release();
  await second.release();
  console.log(`Both released; permits held now: ${await pool.count(client, 'exports')}.`);

  console.log('\n=== A counter with expiry ===');
  const logins = new ExpiringCounter({ ttl: 60_000, prefix: `${prefix}counter:` });
  await logins.incr(client, 'failed-logins:42');
  const { value, ttl } = await logins.incr(client, 'failed-logins:42');
  console.log(`Two failed logins: the counter is ${value} and expires in about ${Math.round(ttl / 1000)} s.`);

  console.log('\n=== An idempotency key ===');
  const payments = new Idempotency({ ttl: 60_000, prefix: `${prefix}idem:` });
  let charges = 0;
  const charge = async () => ({ charged: 100, receipt: `r-${++charges}` });
  const once = await payments.run(client, 'payment:abc', charge);
  const again = await payments.run(client, 'payment:abc', charge);
  console.log(`First call: ${JSON.stringify(once.value)} (replayed: ${once.replayed}).`);
  console.log(
    `The retry: ${JSON.stringify(again.value)} (replayed: ${again.replayed}); charged ${charges} time.`,
  );

  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
  console.log('Deleted the example keys and closed the client.');
}

await runDirectly(import.meta.url, main);

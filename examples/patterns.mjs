// Three everyday script patterns, each shown working: a conditional set, a sum over several
// keys, and a rate limiter. Each runs atomically on the server: no other command can slip in
// between its reads and its writes.
//
//   node examples/patterns.mjs          (after `npm run build`)
import { Client, Script } from 'redmoon';
import { runDirectly } from './redis.mjs';

/** Compare-and-set: change the value only if it still is what we expect. */
const conditionalSet = Script.fromLua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2])
end
return false
`);

/** Adds up the integers stored at every key given; a missing key counts as 0. */
const multiKeySum = Script.fromLua(`
local sum = 0
for i = 1, #KEYS do
  sum = sum + (tonumber(redis.call('GET', KEYS[i])) or 0)
end
return sum
`);

/** Counts calls in a window: the first call of a window starts its expiry. */
const rateLimiter = Script.fromLua(`
local current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return current
`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function main(url) {
  const client = new Client({ url });
  await client.connect();
  const prefix = `redmoon:example:patterns:${process.pid}`;

  console.log('\n=== Pattern 1: conditional set (compare-and-set) ===');
  const mode = `${prefix}:mode`;
  await client.set(mode, 'blue');
  console.log(`The key holds "${await client.get(mode)}".`);
  let reply = await conditionalSet.evalshaWithReload(client, [mode], ['blue', 'green']);
  console.log(
    `Set it to "green" if it is "blue": the script answers ${JSON.stringify(reply)}, so it changed.`,
  );
  reply = await conditionalSet.evalshaWithReload(client, [mode], ['blue', 'red']);
  console.log(
    `Set it to "red" if it is "blue": the script answers ${JSON.stringify(reply)} (Lua false is nil), so nothing changed.`,
  );
  console.log(`The key now holds "${await client.get(mode)}".`);

  console.log('\n=== Pattern 2: sum over several keys ===');
  const counters = [`${prefix}:a`, `${prefix}:b`, `${prefix}:c`];
  await client.set(counters[0], 10);
  await client.set(counters[1], 20);
  await client.set(counters[2], 12);
  console.log('Three keys hold 10, 20 and 12.');
  console.log(`Their sum, read in one atomic step: ${await multiKeySum.evalshaWithReload(client, counters)}`);
  const withMissing = [...counters, `${prefix}:missing`];
  console.log(
    `With a fourth key that does not exist (it counts as 0): ${await multiKeySum.evalshaWithReload(client, withMissing)}`,
  );

  console.log('\n=== Pattern 3: rate limiter, 3 calls per 1-second window ===');
  const limit = 3;
  const bucket = `${prefix}:rate:user42`;
  for (let call = 1; call <= 5; call++) {
    const count = await rateLimiter.evalshaWithReload(client, [bucket], [1]);
    const verdict = count <= limit ? 'allowed' : 'refused';
    console.log(`Call ${call}: this is call number ${count} in the window, so it is ${verdict}.`);
  }
  const ttl = await client.call('PTTL', bucket);
  console.log(`The window's key expires in about ${Math.round(ttl / 100) / 10} s.`);
  await sleep(1100);
  const count = await rateLimiter.evalshaWithReload(client, [bucket], [1]);
  console.log(`After waiting for the window to pass, the next call is call number ${count}: allowed again.`);

  await client.call('DEL', mode, bucket, ...counters);
  await client.quit();
  console.log('Deleted the example keys and closed the client.');
}

await runDirectly(import.meta.url, main);

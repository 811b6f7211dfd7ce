// Going further, as the walkthrough suggests: a lock with expiry and safe release, a counter
// with expiry, and a small Redis Functions library used through Library and RedisFunction.
//
//   node examples/further.mjs          (after `npm run build`)
import { randomBytes } from 'node:crypto';
import { Client, Library, ReplyError, Script } from 'redmoon';
import { runDirectly } from './redis.mjs';

/**
 * Releases a lock only if it still holds our token. Checking and deleting in one script matters:
 * with a GET then a DEL from the client, the lock could expire and be taken by someone else in
 * between, and we would delete their lock.
 */
const releaseLock = Script.fromLua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/** Adds to a counter; the first increment of a period starts its expiry (in milliseconds). */
const countWithExpiry = Script.fromLua(`
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
`);

/** A function library: functions stay loaded (and survive restarts with persistence). */
const countersLua = `#!lua name=counters
local function incr_capped(keys, args)
  local cap = tonumber(args[1])
  local current = tonumber(redis.call('GET', keys[1]) or '0')
  if current >= cap then
    return false
  end
  return redis.call('INCR', keys[1])
end

local function peek(keys, args)
  return tonumber(redis.call('GET', keys[1]) or '0')
end

redis.register_function('incr_capped', incr_capped)
redis.register_function{
  function_name = 'peek',
  callback = peek,
  flags = { 'no-writes' },
  description = 'reads a counter without changing it',
}
`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const newToken = () => randomBytes(8).toString('hex');

export async function main(url) {
  const client = new Client({ url });
  await client.connect();
  const prefix = `redmoon:example:further:${process.pid}`;

  console.log('\n=== A lock with expiry and safe release ===');
  const lock = `${prefix}:lock:report`;
  const alice = newToken();
  const bob = newToken();
  let taken = await client.set(lock, alice, { condition: 'NX', px: 5000 });
  console.log(`Alice takes the lock (SET NX PX 5000) with her token ${alice}: ${taken}.`);
  taken = await client.set(lock, bob, { condition: 'NX', px: 5000 });
  console.log(`Bob tries to take it too: ${taken} - it is held, so he does not get it.`);
  let released = await releaseLock.evalshaWithReload(client, [lock], [bob]);
  console.log(
    `Bob tries to release it with his own token: ${released} keys deleted - a wrong token cannot release it.`,
  );
  console.log(`The lock still holds Alice's token: ${(await client.get(lock)) === alice}.`);
  released = await releaseLock.evalshaWithReload(client, [lock], [alice]);
  console.log(`Alice releases it with her token: ${released} key deleted.`);
  taken = await client.set(lock, bob, { condition: 'NX', px: 200 });
  console.log(`Bob takes the free lock for 200 ms: ${taken}. Then he stalls and never releases it...`);
  await sleep(300);
  console.log(
    `...300 ms later the lock has expired on its own (exists: ${await client.call('EXISTS', lock)}),`,
  );
  taken = await client.set(lock, alice, { condition: 'NX', px: 5000 });
  console.log(`so Alice can take it again: ${taken}.`);
  released = await releaseLock.evalshaWithReload(client, [lock], [bob]);
  console.log(`Bob, waking up late, tries to release it: ${released} keys deleted - Alice's lock is safe.`);
  await releaseLock.evalshaWithReload(client, [lock], [alice]);

  console.log('\n=== A counter with expiry ===');
  const views = `${prefix}:views`;
  for (const amount of [1, 1, 5]) {
    const value = await countWithExpiry.evalshaWithReload(client, [views], [amount, 400]);
    console.log(`Add ${amount}: the counter is ${value}.`);
  }
  const left = await client.call('PTTL', views);
  console.log(`The first increment started a 400 ms period; ${left} ms are left.`);
  await sleep(500);
  console.log(`After 500 ms the counter is gone: ${JSON.stringify(await client.get(views))}.`);
  const restarted = await countWithExpiry.evalshaWithReload(client, [views], [1, 400]);
  console.log(`The next increment starts a new period at ${restarted}.`);

  console.log('\n=== A small function library ===');
  const lib = await Library.fromCode(client, countersLua);
  console.log(
    `Loaded the library "${lib.name}" with functions ${JSON.stringify([...lib.functions.keys()].sort())}.`,
  );
  const incrCapped = lib.functions.get('incr_capped');
  const peek = lib.functions.get('peek');
  console.log(
    `"${peek.name}" has flags ${JSON.stringify(peek.flags)} (read-only: ${peek.readOnly}): "${peek.description}".`,
  );
  console.log(
    `"${incrCapped.name}" has flags ${JSON.stringify(incrCapped.flags)} (read-only: ${incrCapped.readOnly}).`,
  );
  const tickets = `${prefix}:tickets`;
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await incrCapped.fcall(client, [tickets], [3]));
  console.log(
    `incr_capped with a cap of 3, called four times: ${JSON.stringify(results)} (null: capped, no change).`,
  );
  console.log(`peek with FCALL_RO, safe on replicas: ${await peek.fcallRo(client, [tickets])}.`);
  try {
    await incrCapped.fcallRo(client, [tickets], [3]);
  } catch (error) {
    if (!(error instanceof ReplyError)) throw error;
    console.log(`incr_capped with FCALL_RO is refused by the server, as it may write: "${error.message}"`);
  }
  const pipe = client.pipeline();
  peek.fcallRo(pipe, [tickets]);
  incrCapped.fcall(pipe, [`${prefix}:other`], [1]);
  peek.fcallRo(pipe, [`${prefix}:other`]);
  console.log(`The same functions in a pipeline: ${JSON.stringify(await pipe.exec())}.`);
  const fromServer = await Library.fromName(client, 'counters');
  console.log(`Library.fromName("counters") finds ${fromServer.functions.size} functions on the server.`);

  await client.functionDelete('counters');
  await client.call('DEL', lock, views, tickets, `${prefix}:other`);
  await client.quit();
  console.log('Deleted the example library and keys, and closed the client.');
}

await runDirectly(import.meta.url, main);

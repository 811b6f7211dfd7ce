// Keyspace notifications: the server publishes an event whenever a key changes, and a client
// subscribes to the keys it cares about — here to keep a local cache fresh, and to notice keys
// that expire. Subscriptions run on a connection of their own, restored after a reconnect; each
// says when it was interrupted (events published meanwhile are lost) and when it is live again.
//
//   node examples/keyspace-notifications.mjs     (after `npm run build`)
import { Client } from 'redmoon';
import { runDirectly } from './redis.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function main(url) {
  const client = new Client({ url });
  await client.connect();
  const prefix = `redmoon:example:ks:${process.pid}`;

  // Notifications are off by default. K: keyspace channels (__keyspace@<db>__:<key>, the event
  // as message), g: generic commands (DEL, EXPIRE...), $: strings, x: expired events.
  // https://redis.io/docs/latest/develop/use/keyspace-notifications/
  const previous = await client.configGet('notify-keyspace-events');
  await client.configSet({ 'notify-keyspace-events': 'Kg$x' });

  console.log('\n=== A local cache kept fresh by keyspace events ===');
  const cache = new Map();
  const keyspace = '__keyspace@0__:';
  const events = [];
  const subscription = await client.psubscribe(`${keyspace}${prefix}:user:*`, (event, channel) => {
    const key = channel.slice(keyspace.length);
    events.push(`${event} ${key.slice(prefix.length + 1)}`);
    // Any change makes the cached copy stale: drop it; the next read fetches it again.
    cache.delete(key);
  });
  subscription.on('interrupted', (error) => {
    // Events published while it is down are lost: nothing in the cache can be trusted any more.
    console.log(`Interrupted (${error.code}): clearing the cache.`);
    cache.clear();
  });
  subscription.on('resumed', () => console.log('Live again.'));

  async function cachedGet(key) {
    if (cache.has(key)) return { value: cache.get(key), from: 'cache' };
    const value = await client.get(key);
    cache.set(key, value);
    return { value, from: 'server' };
  }

  const alice = `${prefix}:user:alice`;
  await client.set(alice, 'Alice v1');
  await sleep(20);
  console.log('Read 1:', await cachedGet(alice));
  console.log('Read 2:', await cachedGet(alice));
  await client.set(alice, 'Alice v2');
  await sleep(20);
  console.log('After SET elsewhere, read 3:', await cachedGet(alice));

  console.log('\n=== Keys that expire ===');
  const session = `${prefix}:user:session`;
  await client.set(session, 'token', { px: 100 });
  await sleep(300);
  // Expired events come when the server notices (on access or in its background sweep).
  await client.get(session);
  await sleep(20);
  await client.del(alice);
  await sleep(20);
  await client.set(alice, 'Alice v3');
  await sleep(20);
  console.log('Events seen, in order:');
  for (const event of events) console.log(`  ${event}`);

  console.log('\n=== An interruption ===');
  await cachedGet(alice);
  const resumed = new Promise((resolve) => subscription.once('resumed', resolve));
  // As if the network dropped the subscriber connection (the server kills it here).
  await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  await resumed;
  console.log(
    `Cached entries after the interruption: ${cache.size}; interruptions so far: ${subscription.interruptions}.`,
  );

  console.log('\n=== Unsubscribing ===');
  await subscription.unsubscribe();
  await client.set(alice, 'after');
  await sleep(20);
  console.log(`Events after unsubscribe(): ${events.length} in all (no new one).`);

  await client.configSet({ 'notify-keyspace-events': previous['notify-keyspace-events'] ?? '' });
  await client.del(alice);
  await client.quit();
  console.log('Restored notify-keyspace-events, deleted the example keys, and closed the client.');
}

await runDirectly(import.meta.url, main);

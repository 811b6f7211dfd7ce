import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ArgumentError, Cluster, Script } from '../../src/index.js';
import { type RedisCluster, startCluster } from '../../src/testing/index.js';
// Fails this file if it lives on after its last test instead of letting it hang (see there).
import '../linger-guard.js';

describe('a cluster that requires a password', () => {
  let harness: RedisCluster;
  before(async () => {
    harness = await startCluster({ primaries: 3, config: { requirepass: 'cluster-pw' } });
  });
  after(() => harness.stop());

  test('takes the credentials from the first seed URL and uses them on every node', async () => {
    const seed = harness.primaries[0];
    const cluster = new Cluster({ nodes: [`redis://:cluster-pw@127.0.0.1:${seed.port}`] });
    await cluster.connect();
    const script = Script.fromLua("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    for (const key of keys) assert.equal(await script.evalshaWithReload(cluster, [key], [2]), 2);
    assert.equal(await cluster.scriptExists(script.sha1), true);
    await cluster.quit();
  });

  test('fails to connect without them, saying why', async () => {
    const cluster = new Cluster({ nodes: [harness.urls[0]], reconnect: false });
    await assert.rejects(cluster.connect(), /NOAUTH|Authentication required/);
  });

  test('refuses bad options before connecting', () => {
    assert.throws(() => new Cluster({ nodes: [] }), ArgumentError);
    assert.throws(
      () => new Cluster({ nodes: [{ host: 'x' } as { host: string; port: number }] }),
      ArgumentError,
    );
  });
});

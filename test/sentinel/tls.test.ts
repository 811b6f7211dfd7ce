import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionError, SentinelError } from '../../src/index.js';
import { PROTOCOLS, uniqueKey } from '../helpers.js';
import { nextFailover, useSentinel } from './sentinel-helpers.js';

// Every server and sentinel serves TLS only (one throwaway CA), and the sentinels have a
// password of their own: the sentinels' TLS and credentials are options apart from the primary's.
const shared = useSentinel({ sentinelPassword: 'sentinel-secret' }, { tls: true });

const ca = () => shared.harness.tls!.ca;

for (const resp of PROTOCOLS) {
  test(`RESP${resp}: finds a TLS primary through TLS sentinels and reads from TLS replicas`, async () => {
    const db = await shared.newSentinel({
      resp,
      sentinelTls: { ca: ca() },
      tls: { ca: ca() },
      replicaReads: true,
    });
    assert.ok(shared.harness.sentinelUrls.every((url) => url.startsWith('rediss://')));
    assert.equal(db.primary, `127.0.0.1:${(await shared.harness.primary()).port}`);
    assert.equal(db.replicas.length, 2);
    const key = uniqueKey('tls');
    await db.set(key, 'secret');
    await db.call('WAIT', 2, 2000);
    assert.equal(await db.get(key), 'secret');
    await db.quit();
  });
}

test("without the sentinels' CA no sentinel is trusted", async () => {
  const db = await shared.newSentinel({ tls: { ca: ca() } }, false);
  await assert.rejects(db.connect(), (error: unknown) => {
    assert.ok(error instanceof SentinelError);
    assert.equal(error.code, 'NO_PRIMARY');
    assert.match(error.message, /certificate/);
    return true;
  });
});

test('sentinelTls is for the sentinels only: the primary needs its own tls option', async () => {
  const db = await shared.newSentinel({ sentinelTls: { ca: ca() }, connectTimeout: 500 }, false);
  await assert.rejects(db.connect(), (error: unknown) => error instanceof ConnectionError);
});

test('a failover is followed over TLS', async () => {
  const db = await shared.newSentinel({ sentinelTls: { ca: ca() }, tls: { ca: ca() } });
  const switched = nextFailover(db);
  const { from, to } = await shared.harness.failover();
  assert.deepEqual(await switched, { from: `127.0.0.1:${from.port}`, to: `127.0.0.1:${to.port}` });
  assert.equal(((await db.call('ROLE')) as unknown[])[0], 'master');
  await db.quit();
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cluster, slotOf } from '../../src/index.js';
import { uniqueKey } from '../helpers.js';
import { PROTOCOLS, useCluster } from './cluster-helpers.js';

/** Races and routing gaps issue 9 found in the cluster client; each test failed before its fix. */
describe('cluster promises', () => {
  const shared = useCluster({ primaries: 3, replicasPerPrimary: 0 });

  for (const resp of PROTOCOLS) {
    test(`RESP${resp}: two concurrent first kills share one side connection per node`, async () => {
      const cluster = await shared.newCluster({ resp });
      // No script runs: every node answers NOTBUSY — never NOT_CONNECTED from a half-made connection.
      const outcomes = await Promise.all([
        cluster.scriptKill().catch((error: { code?: string }) => error.code),
        cluster.scriptKill().catch((error: { code?: string }) => error.code),
      ]);
      assert.deepEqual(outcomes, ['NOTBUSY', 'NOTBUSY']);
    });

    test(`RESP${resp}: a transaction sent on a stale slot map is rerouted (MOVED, nothing ran)`, async () => {
      const cluster = await shared.newCluster({ resp, refreshInterval: 0 });
      const key = uniqueKey(`{moved${resp}}`);
      await cluster.set(key, '1');
      const slot = slotOf(key);
      const source = await shared.ownerOf(slot);
      const target = shared.cluster.primaries.find((node) => node.port !== source.port)!;
      const src = await shared.direct(source);
      const dst = await shared.direct(target);
      const targetId = (await dst.call('CLUSTER', 'MYID')) as string;
      const sourceId = (await src.call('CLUSTER', 'MYID')) as string;
      await dst.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await src.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
      await src.call('MIGRATE', '127.0.0.1', target.port, '', 0, 5000, 'KEYS', key);
      for (const node of shared.cluster.primaries) {
        await (await shared.direct(node)).call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
      }
      // The cluster client still believes `source` serves the slot.
      const tx = cluster.multi();
      tx.incr(key);
      tx.incr(key);
      assert.deepEqual(await tx.exec(), [2, 3]);
      assert.equal(await dst.get(key), '3');
    });

    test(`RESP${resp}: keyPrefix applies before routing, so prefixed keys land on their own slot's node`, async () => {
      const cluster = await shared.newCluster({ resp, keyPrefix: 'cp:' });
      const key = uniqueKey('routed');
      await cluster.set(key, 'v');
      const owner = await shared.ownerOf(slotOf(`cp:${key}`));
      assert.equal(await (await shared.direct(owner)).get(`cp:${key}`), 'v');
      assert.equal(await cluster.get(key), 'v');
    });

    test(`RESP${resp}: keyPrefix applies in isolated() too, before the session's slot is chosen`, async () => {
      const cluster = await shared.newCluster({ resp, keyPrefix: 'ci:' });
      const key = uniqueKey('isolated');
      await cluster.isolated(async (conn) => {
        await conn.watch(key);
        const tx = conn.multi();
        tx.set(key, 'v');
        return tx.exec();
      });
      const owner = await shared.ownerOf(slotOf(`ci:${key}`));
      assert.equal(await (await shared.direct(owner)).get(`ci:${key}`), 'v');
    });

    test(`RESP${resp}: a command before connect() fails as on a Client; connect() twice is one connect`, async () => {
      const cluster = new Cluster({ nodes: shared.cluster.urls, resp });
      await assert.rejects(cluster.get(uniqueKey()), { code: 'NOT_CONNECTED' });
      await Promise.all([cluster.connect(), cluster.connect()]);
      assert.equal(await cluster.set(uniqueKey(), 1), 'OK');
      await cluster.quit();
    });

    test(`RESP${resp}: QUEUE_FULL is the caller's answer, not retried behind its back`, async () => {
      const cluster = await shared.newCluster({ resp, maxQueuedCommands: 1 });
      const key = uniqueKey('{full}');
      const outcomes = await Promise.allSettled([cluster.get(key), cluster.get(key), cluster.get(key)]);
      const codes = outcomes.map((outcome) =>
        outcome.status === 'fulfilled' ? 'ok' : (outcome.reason as { code?: string }).code,
      );
      assert.deepEqual(codes, ['ok', 'QUEUE_FULL', 'QUEUE_FULL']);
    });

    test(`RESP${resp}: a failed COMMAND INFO is not remembered as "no keys"`, async () => {
      const cluster = await shared.newCluster({ resp });
      // A key that slot 0's primary (where keyless commands go) does not own.
      let key = uniqueKey('getex');
      const zeroOwner = await shared.ownerOf(0);
      while ((await shared.ownerOf(slotOf(key))).port === zeroOwner.port) key = uniqueKey('getex');
      const owner = await shared.ownerOf(slotOf(key));
      await cluster.set(key, 'v');
      const nodes = shared.cluster.primaries;
      const denyCommand = (rule: string) =>
        Promise.all(
          nodes.map(async (node) => (await shared.direct(node)).call('ACL', 'SETUSER', 'default', rule)),
        );
      await denyCommand('-command');
      try {
        // GETEX is not described by redmoon: its keys must come from COMMAND INFO, refused now.
        await cluster.call('GETEX', key).catch(() => undefined);
      } finally {
        await denyCommand('+command');
      }
      const moved = async () => (await shared.rejectedOn([zeroOwner], 'getex'))[0];
      const before = await moved();
      assert.equal(await cluster.call('GETEX', key), 'v');
      assert.equal(await moved(), before, 'GETEX went to slot 0 and was redirected: the failure was cached');
      const calls = await shared.callsOn([owner], 'getex');
      assert.ok(calls[0] >= 1);
    });

    test(`RESP${resp}: an abort before the command was written says it did not run`, async () => {
      const cluster = await shared.newCluster({ resp });
      const key = uniqueKey('abort');
      await cluster.set(key, 'v');
      const controller = new AbortController();
      // Undescribed, so it waits for COMMAND INFO before it is routed: aborted before any write.
      const call = cluster.withOptions({ signal: controller.signal }).call('GETEX', key, 'EX', 100);
      controller.abort();
      await assert.rejects(call, { code: 'ABORTED', mayHaveRun: false });
      // A second GETEX (without EX: a plain read) takes the same path after COMMAND INFO, to the
      // same node on the same connection: had the aborted one been sent, it ran before this.
      assert.equal(await cluster.call('GETEX', key), 'v');
      assert.equal(await cluster.ttl(key), -1, 'the aborted GETEX ran');
    });

    test(`RESP${resp}: a closed cluster opens no sockets and fails calls as closed`, async () => {
      const cluster = await shared.newCluster({ resp });
      await cluster.quit();
      await assert.rejects(cluster.get(uniqueKey()), { code: 'CONNECTION_CLOSED', mayHaveRun: false });
      await assert.rejects(cluster.scriptKill(), (error: { code?: string }) => error.code !== 'NOTBUSY');
    });
  }
});

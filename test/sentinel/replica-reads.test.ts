import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Library, Script } from '../../src/index.js';
import type { RedisServer } from '../../src/testing/index.js';
import { PROTOCOLS, uniqueKey } from '../helpers.js';
import { eventually, useSentinel } from './sentinel-helpers.js';

// No test here waits for the sentinels to see a primary down: a down-after of 5 s, not the
// harness's 1 s, which a loaded box's stall can reach, so that they start no failover of their own.
const shared = useSentinel({}, { downAfterMs: 5000 });

const GET_RO = Script.fromLua("#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])");

async function callsOnEach(servers: readonly RedisServer[], command: string): Promise<number[]> {
  return Promise.all(servers.map((server) => shared.callsOn(server, command)));
}

const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

for (const resp of PROTOCOLS) {
  describe(`RESP${resp}: replica reads`, () => {
    test('read-only commands with keys go to the replicas in turn; writes and keyless reads to the primary', async () => {
      const db = await shared.newSentinel({ resp, replicaReads: true });
      const primary = await shared.harness.primary();
      const replicas = await shared.harness.replicas();
      assert.deepEqual(
        [...db.replicas].sort(),
        replicas.map((replica) => `127.0.0.1:${replica.port}`).sort(),
        'a connection to each replica the sentinels list',
      );
      const key = uniqueKey('read');
      await db.set(key, 'replicated');
      assert.equal(await db.call('WAIT', replicas.length, 10_000), replicas.length);

      const before = await callsOnEach(replicas, 'get');
      const primaryBefore = await shared.callsOn(primary, 'get');
      for (let i = 0; i < 10; i++) assert.equal(await db.get(key), 'replicated');
      const after = await callsOnEach(replicas, 'get');
      assert.equal(await shared.callsOn(primary, 'get'), primaryBefore, 'no GET reached the primary');
      assert.equal(sum(after) - sum(before), 10);
      for (let i = 0; i < replicas.length; i++)
        assert.ok(after[i] > before[i], `replica ${replicas[i].port} served reads`);

      const setsBefore = await shared.callsOn(primary, 'incr');
      await db.incr(uniqueKey('write'));
      assert.equal(await shared.callsOn(primary, 'incr'), setsBefore + 1);
      const pingsBefore = await shared.callsOn(primary, 'dbsize');
      await db.dbsize();
      assert.equal(
        await shared.callsOn(primary, 'dbsize'),
        pingsBefore + 1,
        'keyless reads stay on the primary',
      );
      await db.quit();
    });

    test('read-only scripts and no-writes functions run on replicas; SCRIPT LOAD reaches them too', async () => {
      const db = await shared.newSentinel({ resp, replicaReads: true });
      const primary = await shared.harness.primary();
      const replicas = await shared.harness.replicas();
      const key = uniqueKey('script');
      await db.set(key, 'value');
      await db.call('WAIT', replicas.length, 10_000);
      await db.scriptFlush();

      await GET_RO.load(db);
      for (const replica of replicas) {
        assert.equal(
          await (await shared.direct(replica)).scriptExists(GET_RO.sha1),
          true,
          `loaded on ${replica.port}`,
        );
      }
      const before = await callsOnEach(replicas, 'evalsha_ro');
      const primaryBefore = await shared.callsOn(primary, 'evalsha_ro');
      for (let i = 0; i < 4; i++) assert.equal(await GET_RO.evalsha(db, [key]), 'value');
      assert.equal(sum(await callsOnEach(replicas, 'evalsha_ro')) - sum(before), 4);
      assert.equal(await shared.callsOn(primary, 'evalsha_ro'), primaryBefore);

      // A replica that lost its scripts loads them again on NOSCRIPT.
      for (const replica of replicas) await (await shared.direct(replica)).scriptFlush();
      const loadsBefore = await callsOnEach(replicas, 'script|load');
      const roBefore = await callsOnEach(replicas, 'evalsha_ro');
      for (let i = 0; i < 4; i++) assert.equal(await GET_RO.evalshaWithReload(db, [key]), 'value');
      const loadsAfter = await callsOnEach(replicas, 'script|load');
      assert.deepEqual(
        loadsAfter.map((count, i) => count - loadsBefore[i]),
        replicas.map(() => 1),
        'each replica loaded the script once, on NOSCRIPT',
      );
      assert.equal(sum(await callsOnEach(replicas, 'evalsha_ro')) - sum(roBefore), 6, '4 calls + 2 retries');

      const library = await Library.fromCode(
        db,
        `#!lua name=reads${resp}\nredis.register_function{function_name='peek${resp}', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`,
      );
      await db.call('WAIT', replicas.length, 10_000);
      const fcallsBefore = await callsOnEach(replicas, 'fcall_ro');
      assert.equal(await library.functions.get(`peek${resp}`)!.fcall(db, [key]), 'value');
      assert.equal(sum(await callsOnEach(replicas, 'fcall_ro')) - sum(fcallsBefore), 1);
      await db.functionDelete(`reads${resp}`);
      await db.quit();
    });

    test('a read written to a replica that dies is answered by the primary', async () => {
      const db = await shared.newSentinel({ resp, replicaReads: true });
      const primary = await shared.harness.primary();
      const replicas = await shared.harness.replicas();
      const key = uniqueKey('fallback');
      await db.set(key, 'still here');
      await db.call('WAIT', replicas.length, 10_000);
      await eventually('both replicas ready', () => db.replicas.length === replicas.length);
      // Paused replicas hold the reads unanswered; killing them loses the reads in flight.
      for (const replica of replicas)
        await (await shared.direct(replica)).call('CLIENT', 'PAUSE', 10_000, 'ALL');
      const primaryBefore = await shared.callsOn(primary, 'get');
      const reads = Array.from({ length: 6 }, () => db.get(key));
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const replica of replicas) await replica.kill('SIGKILL');
      assert.deepEqual(await Promise.all(reads), Array(6).fill('still here'));
      assert.equal(
        await shared.callsOn(primary, 'get'),
        primaryBefore + 6,
        'each read was answered by the primary',
      );
      assert.equal(await db.get(key), 'still here', 'with no replica ready, reads go to the primary');
      for (const replica of replicas) await shared.harness.revive(replica);
      await shared.harness.waitForAgreement();
      await db.quit();
    });
  });
}

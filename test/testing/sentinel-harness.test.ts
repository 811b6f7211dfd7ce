import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '../../src/index.js';
import { startSentinel } from '../../src/testing/index.js';
import { assertReaped, processGone } from './process-helpers.js';
// Fails this file if it lives on after its last test instead of letting it hang (see there).
import '../linger-guard.js';

const run = promisify(execFile);
const compiledHarness = new URL('../../src/testing/index.js', import.meta.url).href;

async function ask(url: string, ...args: string[]): Promise<unknown> {
  const client = new Client({ url, resp: 2, reconnect: false });
  await client.connect();
  try {
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

describe('startSentinel', () => {
  test('starts a primary, its replicas and sentinels that agree on it, with short failover timings', async () => {
    const deployment = await startSentinel({ name: 'custom', replicas: 1 });
    const dirs = [...deployment.nodes, ...deployment.sentinels].map((server) => server.dir);
    const pids = [...deployment.nodes, ...deployment.sentinels].map((server) => server.pid);
    try {
      assert.equal(deployment.nodes.length, 2);
      assert.equal(deployment.sentinels.length, 3);
      const [primary, replica] = deployment.nodes;
      assert.equal(await deployment.primary(), primary);
      assert.deepEqual(await deployment.replicas(), [replica]);
      assert.equal(((await ask(primary.url, 'ROLE')) as unknown[])[0], 'master');
      assert.equal(((await ask(replica.url, 'ROLE')) as unknown[])[0], 'slave');
      for (const url of deployment.sentinelUrls) {
        assert.deepEqual(await ask(url, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'custom'), [
          '127.0.0.1',
          String(primary.port),
        ]);
        const fields = (await ask(url, 'SENTINEL', 'MASTER', 'custom')) as string[];
        const field = (name: string) => fields[fields.indexOf(name) + 1];
        assert.equal(field('down-after-milliseconds'), '1000');
        assert.equal(field('failover-timeout'), '3000');
        assert.equal(field('quorum'), '2');
        assert.equal(field('num-other-sentinels'), '2');
        assert.equal(field('num-slaves'), '1');
      }
    } finally {
      await deployment.stop();
    }
    for (const pid of pids) assert.ok(processGone(pid), `process ${pid} ended`);
    for (const dir of dirs) assert.ok(!existsSync(dir), `${dir} removed`);
  });

  test('refuses shapes that cannot work', async () => {
    await assert.rejects(startSentinel({ replicas: -1 }), RangeError);
    await assert.rejects(startSentinel({ sentinels: 0 }), RangeError);
    await assert.rejects(startSentinel({ sentinels: 3, quorum: 4 }), /quorum 4 is more than the 3 sentinels/);
    await assert.rejects(startSentinel({ name: 'has space' }), TypeError);
  });

  test('a process that exits without stopping its deployment leaves no redis-server behind', async () => {
    const script = `
      const { startSentinel } = await import(${JSON.stringify(compiledHarness)});
      const deployment = await startSentinel({ replicas: 1, sentinels: 1 });
      console.log([...deployment.nodes, ...deployment.sentinels].map((server) => server.pid).join(' '));
      process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const pids = stdout.trim().split(' ').map(Number);
    assert.equal(pids.length, 3, `child printed ${stdout}`);
    await assertReaped(pids);
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, sha1 } from '../../src/index.js';
import { type RedisCluster, startCluster } from '../../src/testing/index.js';
import { commandStat } from '../cluster/cluster-helpers.js';
import { library, redmoon, tempFiles } from './cli-helpers.js';

// `redmoon functions ...` and `redmoon scripts load` on a real 3-primary cluster. What each node
// holds is asked of that node directly, never of the command under test.

describe('functions on a 3-primary cluster', () => {
  let cluster: RedisCluster;
  let nodes: Client[];
  /** host:port of each primary, in the order of `nodes`. */
  let addresses: string[];

  before(async () => {
    cluster = await startCluster({ primaries: 3, replicasPerPrimary: 0 });
    nodes = [];
    for (const node of cluster.primaries) {
      const client = new Client({ url: node.url, resp: 2 });
      await client.connect();
      nodes.push(client);
    }
    addresses = cluster.primaries.map((node) => `${node.host}:${node.port}`);
  });
  after(async () => {
    for (const client of nodes ?? []) client.disconnect();
    await cluster?.stop();
  });

  const codeOn = async (client: Client, name: string) =>
    (await client.functionList({ libraryName: name, withCode: true })).find((lib) => lib.libraryName === name)
      ?.libraryCode;
  const loadsOn = () => Promise.all(nodes.map((client) => commandStat(client, 'function|load', 'calls')));
  /** The report line of `address`, split on runs of spaces. */
  const lineOf = (stdout: string, address: string) =>
    stdout
      .split('\n')
      .find((line) => line.startsWith(`${address} `))
      ?.split(/\s{2,}/);

  test('deploy loads where absent, replaces an older version, leaves the same one; a second deploy changes nothing', async (t) => {
    const current = library('deploylib', '1.2.0', 12);
    const dir = tempFiles({ 'deploylib.lua': current });
    const file = join(dir, 'deploylib.lua');
    await nodes[0].functionFlush();
    await nodes[1].functionFlush();
    await nodes[1].functionLoad(library('deploylib', '1.1.0', 11));
    await nodes[2].functionFlush();
    await nodes[2].functionLoad(current);

    const before = await loadsOn();
    const first = await redmoon('functions', 'deploy', file, '--cluster', cluster.urls[0]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /\[3\/3\] \S+: reading FUNCTION LIST/, 'progress per node on stderr');
    t.diagnostic(`first deploy:\n${first.stdout}`);
    assert.deepEqual(lineOf(first.stdout, addresses[0]), [
      addresses[0],
      'deploylib',
      'loaded',
      'absent -> 1.2.0',
    ]);
    assert.deepEqual(lineOf(first.stdout, addresses[1]), [
      addresses[1],
      'deploylib',
      'replaced',
      '1.1.0 -> 1.2.0',
    ]);
    assert.deepEqual(lineOf(first.stdout, addresses[2]), [addresses[2], 'deploylib', 'unchanged', '1.2.0']);
    assert.equal(first.stdout.split('\n').length, 3);
    for (const client of nodes) assert.equal(await codeOn(client, 'deploylib'), current);
    assert.deepEqual(
      (await loadsOn()).map((count, i) => count - before[i]),
      [1, 1, 0],
    );
    assert.equal(await nodes[1].fcall('deploylib_fn'), 12);

    const second = await redmoon('functions', 'deploy', file, '--cluster', cluster.urls[0], '--json');
    assert.equal(second.code, 0, second.stderr);
    t.diagnostic(`second deploy:\n${second.stdout}`);
    const report = JSON.parse(second.stdout) as { nodes: { node: string; status: string }[] };
    assert.deepEqual(
      report.nodes.map(({ node, status }) => [node, status]),
      [...addresses].sort().map((address) => [address, 'unchanged']),
    );
    assert.deepEqual(
      (await loadsOn()).map((count, i) => count - before[i]),
      [1, 1, 0],
      'the second deploy loaded something',
    );
  });

  test('--dry-run reports what it would do and changes nothing', async () => {
    const dir = tempFiles({ 'drylib.lua': library('drylib', '2.0.0', 2) });
    await Promise.all(nodes.map((client) => client.functionDelete('drylib').catch(() => undefined)));
    await nodes[0].functionLoad(library('drylib', '1.0.0', 1));
    const before = await loadsOn();
    const result = await redmoon(
      'functions',
      'deploy',
      join(dir, 'drylib.lua'),
      '--cluster',
      cluster.urls[0],
      '--dry-run',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lineOf(result.stdout, addresses[0])?.slice(2), ['would replace', '1.0.0 -> 2.0.0']);
    assert.deepEqual(lineOf(result.stdout, addresses[1])?.slice(2), ['would load', 'absent -> 2.0.0']);
    assert.deepEqual(await loadsOn(), before);
    assert.equal(await codeOn(nodes[1], 'drylib'), undefined);
  });

  test('a newer version on one primary refuses the deploy everywhere (exit 1), unless --force', async () => {
    const older = library('guardlib', '1.0.0', 1);
    const dir = tempFiles({ 'guardlib.lua': older });
    await Promise.all(nodes.map((client) => client.functionDelete('guardlib').catch(() => undefined)));
    await nodes[2].functionLoad(library('guardlib', '1.5.0', 15));
    const refused = await redmoon(
      'functions',
      'deploy',
      join(dir, 'guardlib.lua'),
      '--cluster',
      cluster.urls[0],
    );
    assert.equal(refused.code, 1);
    assert.deepEqual(lineOf(refused.stdout, addresses[2])?.slice(2, 4), ['refused', '1.5.0 -> 1.0.0']);
    assert.match(refused.stdout, /the deployed 1\.5\.0 is newer/);
    assert.match(lineOf(refused.stdout, addresses[0])?.[2] ?? '', /^not done/);
    assert.equal(await codeOn(nodes[0], 'guardlib'), undefined, 'nothing may be loaded when a node refuses');
    assert.match((await codeOn(nodes[2], 'guardlib')) ?? '', /1\.5\.0/);

    const forced = await redmoon(
      'functions',
      'deploy',
      join(dir, 'guardlib.lua'),
      '--cluster',
      cluster.urls[0],
      '--force',
    );
    assert.equal(forced.code, 0, forced.stderr);
    for (const client of nodes) assert.equal(await codeOn(client, 'guardlib'), older);
  });

  test('diff says same, absent or differs per node, with the lines, and exits 1 on a difference', async () => {
    const code = library('difflib', '1.0.0', 1);
    const dir = tempFiles({ 'difflib.lua': code });
    await Promise.all(nodes.map((client) => client.functionLoad(code, { replace: true })));
    const same = await redmoon('functions', 'diff', join(dir, 'difflib.lua'), '--cluster', cluster.urls[0]);
    assert.equal(same.code, 0, same.stdout);
    assert.equal(same.stdout.split('\n').filter((line) => line.includes('same (1.0.0)')).length, 3);

    await nodes[1].functionLoad(library('difflib', '0.9.0', 9), { replace: true });
    await nodes[2].functionDelete('difflib');
    const differs = await redmoon(
      'functions',
      'diff',
      join(dir, 'difflib.lua'),
      '--cluster',
      cluster.urls[0],
    );
    assert.equal(differs.code, 1);
    assert.match(
      differs.stdout,
      new RegExp(`${addresses[1]}  difflib  differs \\(deployed 0\\.9\\.0, file 1\\.0\\.0\\)`),
    );
    assert.match(differs.stdout, /^--- @version 0\.9\.0$/m);
    assert.match(differs.stdout, /^\+-- @version 1\.0\.0$/m);
    assert.match(differs.stdout, new RegExp(`${addresses[2]}  difflib  absent`));
  });

  test('dump refuses primaries that differ; restore --policy FLUSH puts a dump on every primary', async () => {
    const dir = tempFiles({});
    const out = join(dir, 'functions.dump');
    await Promise.all(nodes.map((client) => client.functionFlush()));
    await nodes[0].functionLoad(library('dumplib', '1.0.0', 1));
    const refused = await redmoon('functions', 'dump', '--out', out, '--cluster', cluster.urls[0]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /different libraries/);
    assert.equal(existsSync(out), false);

    await Promise.all(nodes.slice(1).map((client) => client.functionLoad(library('dumplib', '1.0.0', 1))));
    const dumped = await redmoon('functions', 'dump', '--out', out, '--cluster', cluster.urls[0]);
    assert.equal(dumped.code, 0, dumped.stderr);
    assert.match(dumped.stdout, /\(1 library\)/);

    await Promise.all(nodes.map((client) => client.functionFlush()));
    await nodes[1].functionLoad(library('strayl', '1.0.0', 1));
    const restored = await redmoon(
      'functions',
      'restore',
      out,
      '--policy',
      'FLUSH',
      '--cluster',
      cluster.urls[0],
    );
    assert.equal(restored.code, 0, restored.stdout);
    assert.equal(restored.stdout.split('\n').filter((line) => line.endsWith('restored (FLUSH)')).length, 3);
    for (const client of nodes) {
      assert.deepEqual(
        (await client.functionList()).map((lib) => lib.libraryName),
        ['dumplib'],
      );
    }
    const appended = await redmoon('functions', 'restore', out, '--cluster', cluster.urls[0]);
    assert.equal(appended.code, 1, 'APPEND of libraries that exist fails on each node');
    assert.equal(appended.stdout.split('\n').filter((line) => line.includes('failed')).length, 3);
  });

  test('scripts load puts every script of a directory on every primary and prints their SHA1s', async () => {
    const scripts = {
      'get.lua': "return redis.call('GET', KEYS[1])",
      'incr.lua': "return redis.call('INCR', KEYS[1])",
    };
    const dir = tempFiles(scripts);
    await Promise.all(nodes.map((client) => client.scriptFlush()));
    const result = await redmoon('scripts', 'load', dir, '--cluster', cluster.urls[0]);
    assert.equal(result.code, 0, result.stderr);
    const hashes = Object.values(scripts).map((lua) => sha1(lua));
    assert.deepEqual(
      result.stdout.split('\n'),
      Object.keys(scripts).map((name, i) => `${hashes[i]}  ${join(dir, name)}`),
    );
    for (const client of nodes) assert.deepEqual(await client.scriptExists(hashes), [true, true]);
  });
});

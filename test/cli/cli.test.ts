import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot, useServer } from '../helpers.js';
import { library, redmoon, tempFiles } from './cli-helpers.js';

// The `redmoon` program as a user runs it: the built bin in a child process, its exit codes,
// its help, its JSON, and credentials that never show.

const bin = join(repoRoot(), 'dist', 'esm', 'cli', 'main.js');
const PASSWORD = 'pw-never-shown-4711';

/**
 * Runs the bin and waits for it, at most 30 s: spawnSync blocks this process, so a bin that never
 * exits (a client left open) would otherwise hang the file; killed, it reports `code` null.
 */
function spawnRedmoon(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 30_000,
  });
  const killed = result.signal === null ? '' : `\n(killed by ${result.signal} after 30 s)`;
  return { code: result.status, stdout: result.stdout, stderr: `${result.stderr}${killed}` };
}

test('the built bin runs: --help exits 0, a usage mistake 2, a failure 1', () => {
  const help = spawnRedmoon(['functions', 'deploy', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: redmoon functions deploy/);
  const mistake = spawnRedmoon(['frob']);
  assert.equal(mistake.code, 2);
  assert.match(mistake.stderr, /unknown command 'frob'[\s\S]*Usage: redmoon/);
  const failure = spawnRedmoon(['lint', '/nonexistent/file.lua']);
  assert.equal(failure.code, 1);
  assert.match(failure.stderr, /cannot read \/nonexistent\/file\.lua: ENOENT/);
});

test('--help works for every command and exits 0', async () => {
  for (const args of [
    ['--help'],
    ['lint', '--help'],
    ['functions', '--help'],
    ['functions', 'deploy', '--help'],
    ['functions', 'diff', '--help'],
    ['functions', 'dump', '--help'],
    ['functions', 'restore', '--help'],
    ['scripts', '--help'],
    ['scripts', 'load', '--help'],
  ]) {
    const result = await redmoon(...args);
    assert.equal(result.code, 0, args.join(' '));
    assert.match(result.stdout, /^Usage: redmoon/, args.join(' '));
  }
});

test('usage mistakes exit 2 with the usage on stderr', async () => {
  for (const args of [
    ['frob'],
    ['lint'],
    ['lint', '--kind', 'macro', 'x.lua'],
    ['functions', 'deploy', '--bogus'],
    ['functions', 'zap'],
    ['functions', 'restore', 'dump.bin', '--policy', 'MERGE', '--url', 'redis://127.0.0.1:1'],
    ['functions', 'deploy', 'lib.lua', '--url', 'redis://a', '--cluster', 'redis://b'],
  ]) {
    const result = await redmoon(...args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Usage: redmoon/);
  }
  const saved = { url: process.env.REDIS_URL, cluster: process.env.REDIS_CLUSTER_URL };
  delete process.env.REDIS_URL;
  delete process.env.REDIS_CLUSTER_URL;
  try {
    const nowhere = await redmoon('functions', 'deploy', 'lib.lua');
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /--url, --cluster, REDIS_URL or REDIS_CLUSTER_URL/);
  } finally {
    if (saved.url !== undefined) process.env.REDIS_URL = saved.url;
    if (saved.cluster !== undefined) process.env.REDIS_CLUSTER_URL = saved.cluster;
  }
});

describe('lint', () => {
  const dir = tempFiles({
    'clean.lua': 'return {KEYS[1], ARGV[1]}',
    'warns.lua': "return redis.call('GET', 'user:1')",
    'broken.lua': "return redis.call('GTE', KEYS[1])",
  });

  test('exit code by severity: 0 clean, 0 for warnings unless --fail-on warning, 1 for errors', async () => {
    assert.equal((await redmoon('lint', join(dir, 'clean.lua'))).code, 0);
    const warns = await redmoon('lint', join(dir, 'warns.lua'));
    assert.equal(warns.code, 0);
    assert.match(warns.stdout, /warns\.lua:1:26 {2}warning {2}literal-key/);
    assert.equal((await redmoon('lint', '--fail-on', 'warning', join(dir, 'warns.lua'))).code, 1);
    const broken = await redmoon('lint', join(dir, 'broken.lua'));
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /broken\.lua:1:19 {2}error {2}unknown-command/);
  });

  test('--json lists every diagnostic with its file; a directory is searched for .lua files', async () => {
    const result = await redmoon('lint', '--json', dir);
    assert.equal(result.code, 1);
    const found = JSON.parse(result.stdout) as {
      file: string;
      rule: string;
      severity: string;
      line: number;
    }[];
    assert.deepEqual(
      found.map(({ file, rule, severity, line }) => [file, rule, severity, line]),
      [
        [join(dir, 'broken.lua'), 'unknown-command', 'error', 1],
        [join(dir, 'warns.lua'), 'literal-key', 'warning', 1],
      ],
    );
  });

  test('--key-count and --command reach the linter', async () => {
    const keys = tempFiles({ 'k.lua': "return redis.call('JSON.GET', KEYS[2])" });
    const result = await redmoon('lint', '--key-count', '1', '--json', join(keys, 'k.lua'));
    assert.deepEqual((JSON.parse(result.stdout) as { rule: string }[]).map((d) => d.rule).sort(), [
      'key-index',
      'unknown-command',
    ]);
    const accepted = await redmoon('lint', '--key-count', '2', '--command', 'JSON.GET', join(keys, 'k.lua'));
    assert.equal(accepted.code, 0, accepted.stdout);
  });
});

describe('credentials', () => {
  const redis = useServer({ config: { requirepass: PASSWORD } }, { password: PASSWORD });

  test('come from the URL or REDIS_URL and are never echoed, in reports or errors', async () => {
    const dir = tempFiles({ 'credlib.lua': library('credlib', '1.0.0', 1) });
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.server.port}`;
    const byFlag = spawnRedmoon(['functions', 'deploy', join(dir, 'credlib.lua'), '--url', url]);
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assert.match(byFlag.stdout, /credlib {2}loaded/);
    const byEnv = spawnRedmoon(['functions', 'diff', join(dir, 'credlib.lua')], { REDIS_URL: url });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /same \(1\.0\.0\)/);
    const wrong = spawnRedmoon([
      'functions',
      'diff',
      join(dir, 'credlib.lua'),
      '--url',
      `redis://:${PASSWORD}x@127.0.0.1:${redis.server.port}`,
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /WRONGPASS|invalid|password/i);
    for (const result of [byFlag, byEnv, wrong]) {
      assert.equal(`${result.stdout}${result.stderr}`.includes(PASSWORD), false, 'the password was printed');
    }
    assert.equal((await redis.client.functionList({ libraryName: 'credlib' })).length, 1);
  });
});

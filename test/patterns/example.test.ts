import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers.js';

// examples/patterns-library.mjs imports `redmoon/patterns` by its package name, i.e. dist/.
const root = repoRoot();
const built = existsSync(join(root, 'dist', 'esm', 'patterns', 'index.js'));

test('the patterns example runs against a throwaway server and shows each pattern at work', {
  skip: built ? false : 'dist/ is not built (npm run build)',
}, async () => {
  const env = { ...process.env };
  delete env.REDIS_URL;
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [join(root, 'examples', 'patterns-library.mjs')],
    { cwd: root, env, timeout: 30_000 },
  );
  assert.equal(stderr, '');
  for (const line of [
    /^Request 3: allowed, 0 left\.$/m,
    // Within the 1 s window, less the time the three allowed requests took (0.9 s on a slow box).
    /^Request 4: refused, 0 left, retry in about (?:1|0\.[1-9]) s\.$/m,
    /^A token bucket \(burst 2\), four checks in one pipeline for alice×3, bob: yes, yes, no, yes\.$/m,
    /^A's lease signal has fired: true \(LEASE_LOST\)\.$/m,
    /^Worker B takes the lock \(token \d+, higher\) and writes: accepted true\.$/m,
    /^A wakes up and writes with its old token: accepted false - the resource refused it\.$/m,
    /^Three callers ask: permit, permit, none\.$/m,
    /^Two failed logins: the counter is 2 and expires in about 60 s\.$/m,
    /^The retry: \{"charged":100,"receipt":"r-1"\} \(replayed: true\); charged 1 time\.$/m,
    /^Stopped the throwaway redis-server\.$/m,
  ]) {
    assert.match(stdout, line);
  }
});

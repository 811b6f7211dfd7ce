import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../helpers.js';

// The runnable examples (examples/*.mjs, and examples/typescript compiled into .build/examples)
// import `redmoon` by its package name, i.e. the built dist/. `npm test` builds and compiles them
// first; a bare `node --test` over .build/ skips this when either is absent.

const run = promisify(execFile);

const root = repoRoot();
const built =
  existsSync(join(root, 'dist', 'esm', 'index.js')) &&
  existsSync(join(root, '.build', 'examples', 'walkthrough.js'));

test('the examples run in order against a throwaway server and print every step', {
  timeout: 120_000,
  skip: built
    ? false
    : 'dist/ or .build/examples is not built (npm run build, tsc -p examples/tsconfig.json)',
}, async () => {
  const env = { ...process.env };
  delete env.REDIS_URL;
  delete env.REDIS_CLUSTER_URL;
  const { stdout, stderr } = await run(process.execPath, [join(root, 'examples', 'run-all.mjs')], {
    cwd: root,
    env,
    timeout: 90_000,
  });
  assert.equal(stderr, '');
  for (const line of [
    /^Started a throwaway redis-server at redis:\/\/127\.0\.0\.1:\d+/m,
    /^4\. EVALSHA sends only the hash.*Reply: \["foo","bar","1","2"\]$/m,
    /^ {3}echo\.fcall\(\): \["foo\{1\}","bar\{1\}","3","4"\]$/m,
    /^Call 3: this is call number 3 in the window, so it is allowed\.$/m,
    /^Call 4: this is call number 4 in the window, so it is refused\.$/m,
    /^Their sum, read in one atomic step: 42$/m,
    /^The key now holds "green"\.$/m,
    /wrong token cannot release it/,
    /^incr_capped with a cap of 3, called four times: \[1,2,3,null\]/m,
    /^TS 2\. a typed Script gives a typed reply: \["foo","bar","1","2"\]$/m,
    /^TS 4\. a script error is a ReplyError: code ERR, command EVALSHA$/m,
    /^TS 6\. withOptions\(\{ buffers: true \}\)\.get\(\) gives a Buffer of 12 bytes$/m,
    /^Stopped the throwaway redis-server\.$/m,
    /^2\. script\.load\(\) sent SCRIPT LOAD to every primary; SCRIPT EXISTS \(true only if all have it\): true\.$/m,
    /^5\. MGET of apples and pears is refused before sending \(CROSSSLOT\)/m,
    /^ {3}\(that primary answered NOSCRIPT, got SCRIPT LOAD and the call once more; it has the script again: true\)\.$/m,
    /^8\. A pipeline over three slots is split by node and answered in order: \[106,107,105\]\.$/m,
    /^TS cluster 2\. keys in two slots: CROSSSLOT, may have run: false$/m,
    /^TS cluster 3\. tsclustercounters is on all 3 primaries; bump = 7$/m,
    /^All examples ran\.$/m,
    /^Stopped the throwaway cluster\.$/m,
  ]) {
    assert.match(stdout, line);
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers.js';

// `redmoon/patterns` is a package entry of its own, like `redmoon/testing`: ESM, CommonJS, types.
const root = repoRoot();
const built = existsSync(join(root, 'dist', 'esm', 'patterns', 'index.js'));
const skip = built ? false : 'dist/ is not built (npm run build)';
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
const NAMES =
  'Lock, Semaphore, ExpiringCounter, Idempotency, FixedWindowLimiter, SlidingLogLimiter, SlidingWindowLimiter, TokenBucketLimiter, LeaseLostError';

test('redmoon/patterns loads with require() (CommonJS)', { skip }, () => {
  const out = run([
    '-e',
    `const { ${NAMES} } = require('redmoon/patterns'); console.log([${NAMES}].map((f) => typeof f).join(' '))`,
  ]);
  assert.equal(out, Array(9).fill('function').join(' '));
});

test('redmoon/patterns loads with import (ES modules), and its errors are redmoon errors', { skip }, () => {
  const out = run([
    '--input-type=module',
    '-e',
    `import { RedisError } from 'redmoon'; import { ${NAMES} } from 'redmoon/patterns'; console.log([${NAMES}].map((f) => typeof f).join(' '), new LeaseLostError('r', 'expired') instanceof RedisError)`,
  ]);
  assert.equal(out, `${Array(9).fill('function').join(' ')} true`);
});

test('both builds ship the declarations of redmoon/patterns', { skip }, () => {
  for (const file of ['dist/esm/patterns/index.d.ts', 'dist/cjs/patterns/index.d.ts']) {
    assert.ok(existsSync(join(root, file)), `${file} is missing`);
  }
});

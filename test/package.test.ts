import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers.js';

const root = repoRoot();
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

test('the package loads with require() (CommonJS)', () => {
  const out = run([
    '-e',
    "const m = require('redmoon'); const t = require('redmoon/testing'); console.log(typeof m.Client, typeof m.Script, typeof m.Library, typeof m.sha1, typeof t.startRedis, m.sha1('x'))",
  ]);
  assert.equal(out, 'function function function function function 11f6ad8ec52a2984abaafd7c3b516503785c2072');
});

test('the package loads with import (ES modules)', () => {
  const out = run([
    '--input-type=module',
    '-e',
    "import { Client, Script, Library, sha1, ReplyError } from 'redmoon'; import { startRedis } from 'redmoon/testing'; console.log(typeof Client, typeof Script, typeof Library, typeof ReplyError, typeof startRedis, sha1('x'))",
  ]);
  assert.equal(out, 'function function function function function 11f6ad8ec52a2984abaafd7c3b516503785c2072');
});

test('both builds ship their type declarations', () => {
  for (const file of [
    'dist/esm/index.d.ts',
    'dist/cjs/index.d.ts',
    'dist/esm/testing/index.d.ts',
    'dist/cjs/testing/index.d.ts',
  ]) {
    assert.ok(existsSync(join(root, file)), `${file} is missing`);
  }
});

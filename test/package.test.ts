import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

test('the package root exports the public API only, and its types hide the internals', () => {
  const out = run([
    '--input-type=module',
    '-e',
    "import * as m from 'redmoon'; console.log(Object.keys(m).sort().join(','))",
  ]);
  const names = out.split(',');
  for (const internal of [
    'Batch',
    'Pipeline',
    'Multi',
    'ClientView',
    'CommandRouter',
    'Connection',
    'Command',
  ])
    assert.ok(!names.includes(internal), `${internal} is exported from the package root`);
  for (const name of ['Client', 'Cluster', 'Script', 'Library', 'RedisFunction', 'ReplyError', 'sha1'])
    assert.ok(names.includes(name), `${name} is missing from the package root`);
  const declarations = readFileSync(join(root, 'dist/esm/client/base-client.d.ts'), 'utf8');
  for (const internal of ['_command', '_dispatch', '_connectionFor', '_sendBatch', '_executeWith'])
    assert.ok(!declarations.includes(internal), `${internal} appears in the published types`);
});

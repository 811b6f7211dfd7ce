import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers.js';

const root = repoRoot();
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

test('redmoon/lua loads with require() and import, with its types, and the bin is declared', () => {
  const lint = "lint(\"return redis.call('GET', 'k')\")[0].rule";
  assert.equal(node(['-e', `const { lint } = require('redmoon/lua'); console.log(${lint})`]), 'literal-key');
  assert.equal(
    node(['--input-type=module', '-e', `import { lint } from 'redmoon/lua'; console.log(${lint})`]),
    'literal-key',
  );
  for (const file of ['dist/esm/lua/index.d.ts', 'dist/cjs/lua/index.d.ts'])
    assert.ok(existsSync(join(root, file)), file);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.ok(existsSync(join(root, pkg.bin.redmoon)));
  assert.ok(readFileSync(join(root, pkg.bin.redmoon), 'utf8').startsWith('#!/usr/bin/env node\n'));
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
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

let packed: Set<string> | undefined;

/**
 * The files `npm pack` would put in the tarball, as package-relative paths. Asked once per run:
 * a dry-run pack takes seconds, and nothing the tests here do changes what it lists.
 */
function packedFiles(): Set<string> {
  if (packed === undefined) {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
    packed = new Set(pack.files.map((file) => file.path));
  }
  return packed;
}

test('every source map in the package points at sources the package ships', {
  skip: existsSync(join(root, 'dist', 'esm', 'index.js')) ? false : 'dist/ is not built (npm run build)',
}, () => {
  const files = packedFiles();
  const maps = [...files].filter((file) => file.endsWith('.map'));
  assert.ok(maps.length > 100, `only ${maps.length} maps packed`);
  const missing: string[] = [];
  for (const map of maps) {
    const { sources, sourceRoot } = JSON.parse(readFileSync(join(root, map), 'utf8')) as {
      sources: string[];
      sourceRoot?: string;
    };
    for (const source of sources) {
      const target = posix.normalize(posix.join(dirname(map), sourceRoot ?? '', source));
      if (!files.has(target)) missing.push(`${map} -> ${target}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("the README shipped to the registry links every document and image by an absolute URL into the package's own files", () => {
  const files = packedFiles();
  const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const shipped = run(['scripts/registry-readme.mjs', 'print']);
  const targets = [...shipped.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]);
  const base = `https://cdn.jsdelivr.net/npm/${name}@${version}/`;
  const inPackage = targets.filter((target) => target.startsWith(base));
  assert.ok(inPackage.length >= 8, `only ${inPackage.length} links into the package`);
  const relative = targets.filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'));
  assert.deepEqual(relative, [], 'relative links left in the registry README');
  const dead = inPackage
    .map((target) => target.slice(base.length).split('#')[0])
    .filter((path) =>
      path.endsWith('/') ? ![...files].some((file) => file.startsWith(path)) : !files.has(path),
    );
  assert.deepEqual(dead, [], 'links to files the package does not ship');
  // The README in the repository keeps its relative links.
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /\]\(docs\/semantics\.md\)/);
});

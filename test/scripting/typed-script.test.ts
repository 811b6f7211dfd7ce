import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type ts from 'typescript';
import { repoRoot } from '../helpers.js';
import { assertCompiles, assertFailsOnMarkedLines, compileFixtures } from '../typecheck.js';

// The types of typed scripts, checked with the TypeScript compiler itself: test/fixtures holds one
// file that must compile cleanly and one whose marked lines must each fail.

const root = repoRoot();
const OK = 'typed-script-ok.ts';
const FAIL = 'typed-script-fail.ts';

let program: ts.Program;

before(() => {
  program = compileFixtures([OK, FAIL]);
});

test('the typed-script fixtures are checked against the real sources', () => {
  const files = program.getSourceFiles().map((file) => file.fileName);
  assert.ok(files.includes(join(root, 'src', 'scripting', 'script.ts').replaceAll('\\', '/')));
  assert.ok(files.includes(join(root, 'src', 'index.ts').replaceAll('\\', '/')));
});

test('typed scripts, functions and scripting commands compile without a diagnostic', () => {
  assertCompiles(program, OK);
});

test('every wrong call marked expect-error fails to compile, and nothing else does', () => {
  const marked = assertFailsOnMarkedLines(program, FAIL);
  assert.ok(marked >= 10, `only ${marked} marked lines`);
});

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type ts from 'typescript';
import { assertCompiles, assertFailsOnMarkedLines, compileFixtures } from '../typecheck.js';

// The types of `withOptions({ buffers: true })`, checked with the TypeScript compiler itself
// (test/fixtures/buffer-types-*.ts); test/client/buffers.test.ts checks the values at run time.

const OK = 'buffer-types-ok.ts';
const FAIL = 'buffer-types-fail.ts';

let program: ts.Program;

before(() => {
  program = compileFixtures([OK, FAIL]);
});

test('a buffers view, its pipelines and transactions are typed with Buffer replies', () => {
  assertCompiles(program, OK);
});

test('reading a buffers reply as a string, or a string reply as a Buffer, fails to compile', () => {
  const marked = assertFailsOnMarkedLines(program, FAIL);
  assert.ok(marked >= 10, `only ${marked} marked lines`);
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type ts from 'typescript';
import { repoRoot } from './helpers.js';
import { assertCompiles, assertFailsOnMarkedLines, compileFixtures } from './typecheck.js';

// The public types, checked with the TypeScript compiler itself: each pair of fixtures in
// test/fixtures holds a file that must compile cleanly and one whose marked lines must each fail.
// One program serves them all (building it is most of the cost).

const root = repoRoot();
const FIXTURES = {
  typedScriptOk: 'typed-script-ok.ts',
  typedScriptFail: 'typed-script-fail.ts',
  bufferTypesOk: 'buffer-types-ok.ts',
  bufferTypesFail: 'buffer-types-fail.ts',
  typedFunctionsOk: 'typed-functions-ok.ts',
  typedFunctionsFail: 'typed-functions-fail.ts',
  pubsubTypesOk: 'pubsub-types-ok.ts',
  pubsubTypesFail: 'pubsub-types-fail.ts',
} as const;

let program: ts.Program;

before(() => {
  program = compileFixtures(Object.values(FIXTURES));
});

test('the fixtures are checked against the real sources', () => {
  const files = program.getSourceFiles().map((file) => file.fileName);
  assert.ok(files.includes(join(root, 'src', 'scripting', 'script.ts').replaceAll('\\', '/')));
  assert.ok(files.includes(join(root, 'src', 'index.ts').replaceAll('\\', '/')));
});

describe('typed scripts', () => {
  test('typed scripts, functions and scripting commands compile without a diagnostic', () => {
    assertCompiles(program, FIXTURES.typedScriptOk);
  });

  test('every wrong call marked expect-error fails to compile, and nothing else does', () => {
    const marked = assertFailsOnMarkedLines(program, FIXTURES.typedScriptFail);
    assert.ok(marked >= 10, `only ${marked} marked lines`);
  });
});

describe('buffers views (test/client/buffers.test.ts checks the same values at run time)', () => {
  test('a buffers view, its pipelines and transactions are typed with Buffer replies', () => {
    assertCompiles(program, FIXTURES.bufferTypesOk);
  });

  test('reading a buffers reply as a string, or a string reply as a Buffer, fails to compile', () => {
    const marked = assertFailsOnMarkedLines(program, FIXTURES.bufferTypesFail);
    assert.ok(marked >= 10, `only ${marked} marked lines`);
  });
});

describe('pub/sub and isolated() types', () => {
  test('subscriptions on string and Buffer views and isolated() compile without a diagnostic', () => {
    assertCompiles(program, FIXTURES.pubsubTypesOk);
  });

  test('every wrong use marked expect-error fails to compile, and nothing else does', () => {
    const marked = assertFailsOnMarkedLines(program, FIXTURES.pubsubTypesFail);
    assert.ok(marked >= 2, `only ${marked} marked lines`);
  });
});

describe('typed function libraries', () => {
  test('calls of typed library functions compile without a diagnostic', () => {
    assertCompiles(program, FIXTURES.typedFunctionsOk);
  });

  test('every wrong call marked expect-error fails to compile, and nothing else does', () => {
    const marked = assertFailsOnMarkedLines(program, FIXTURES.typedFunctionsFail);
    assert.ok(marked >= 8, `only ${marked} marked lines`);
  });
});

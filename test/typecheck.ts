import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type ts from 'typescript';
import { repoRoot } from './helpers.js';

// Compile-time checks with the TypeScript compiler itself: a fixture under test/fixtures either
// compiles without a diagnostic, or fails on exactly the lines it marks. Fixtures import the real
// sources, so a change to the public types that loosens or breaks a call shows up in a test.

const root = repoRoot();
const MARKER = '// expect-error';

// Loaded on first use: the test runner also runs this helper file on its own (every .js under
// .build/test is a test file to it), and loading the compiler costs about a second.
let compiler: typeof ts | undefined;
function typescript(): typeof ts {
  compiler ??= createRequire(import.meta.url)('typescript') as typeof ts;
  return compiler;
}

export interface Found {
  line: number;
  text: string;
}

/** Builds one program over `fixtures` (paths under test/fixtures) with strict NodeNext options. */
export function compileFixtures(fixtures: readonly string[]): ts.Program {
  const ts = typescript();
  const program = ts.createProgram(
    fixtures.map((name) => fixturePath(name)),
    {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    },
  );
  assert.deepEqual(program.getOptionsDiagnostics(), []);
  assert.deepEqual(program.getGlobalDiagnostics(), []);
  return program;
}

export function fixturePath(name: string): string {
  return join(root, 'test', 'fixtures', name);
}

/** The diagnostics of one fixture, each with its 1-based line. */
export function diagnosticsOf(program: ts.Program, name: string): Found[] {
  const ts = typescript();
  const source = program.getSourceFile(fixturePath(name));
  assert.ok(source !== undefined, `${name} is not part of the program`);
  return ts.getPreEmitDiagnostics(program, source).map((diagnostic) => {
    assert.equal(diagnostic.file?.fileName, source.fileName, 'a diagnostic outside the fixture');
    const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    return { line: line + 1, text: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') };
  });
}

export function show(found: readonly Found[]): string {
  return found.map(({ line, text }) => `  line ${line}: ${text.split('\n')[0]}`).join('\n');
}

/** Asserts that `name` compiles cleanly. */
export function assertCompiles(program: ts.Program, name: string): void {
  const found = diagnosticsOf(program, name);
  assert.equal(found.length, 0, `unexpected diagnostics in ${name}:\n${show(found)}`);
}

/**
 * Asserts that every line of `name` ending with the expect-error marker fails to compile and no
 * other line does; returns how many lines are marked.
 */
export function assertFailsOnMarkedLines(program: ts.Program, name: string): number {
  const lines = readFileSync(fixturePath(name), 'utf8').split('\n');
  const marked = lines.flatMap((text, index) => (text.trimEnd().endsWith(MARKER) ? [index + 1] : []));
  const found = diagnosticsOf(program, name);
  const failing = [...new Set(found.map(({ line }) => line))].sort((a, b) => a - b);
  const missing = marked.filter((line) => !failing.includes(line));
  const unexpected = found.filter(({ line }) => !marked.includes(line));
  assert.deepEqual(
    { missing, unexpected: unexpected.map(({ line }) => line) },
    { missing: [], unexpected: [] },
    `compiled although marked: ${missing.map((line) => `line ${line}: ${lines[line - 1].trim()}`).join('; ')}\n` +
      `failed although not marked:\n${show(unexpected)}`,
  );
  return marked.length;
}

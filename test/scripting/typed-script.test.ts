import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import ts from 'typescript';
import { repoRoot } from '../helpers.js';

// The types of typed scripts, checked with the TypeScript compiler itself: test/fixtures holds one
// file that must compile cleanly and one whose marked lines must each fail. Both import the real
// sources, so a change to the public types that loosens or breaks a call shows up here.

const root = repoRoot();
const okFixture = join(root, 'test', 'fixtures', 'typed-script-ok.ts');
const failFixture = join(root, 'test', 'fixtures', 'typed-script-fail.ts');
// The pub/sub and isolated() surfaces share this program: one compile for every type fixture.
const pubsubOkFixture = join(root, 'test', 'fixtures', 'pubsub-types-ok.ts');
const pubsubFailFixture = join(root, 'test', 'fixtures', 'pubsub-types-fail.ts');
const MARKER = '// expect-error';

interface Found {
  line: number;
  text: string;
}

let program: ts.Program;

function diagnosticsOf(file: string): Found[] {
  const source = program.getSourceFile(file);
  assert.ok(source !== undefined, `${file} is not part of the program`);
  return ts.getPreEmitDiagnostics(program, source).map((diagnostic) => {
    assert.equal(diagnostic.file?.fileName, source.fileName, 'a diagnostic outside the fixture');
    const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    return { line: line + 1, text: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') };
  });
}

function show(found: Found[]): string {
  return found.map(({ line, text }) => `  line ${line}: ${text.split('\n')[0]}`).join('\n');
}

before(() => {
  program = ts.createProgram([okFixture, failFixture, pubsubOkFixture, pubsubFailFixture], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
  });
  assert.deepEqual(program.getOptionsDiagnostics(), []);
  assert.deepEqual(program.getGlobalDiagnostics(), []);
});

test('the typed-script fixtures are checked against the real sources', () => {
  const files = program.getSourceFiles().map((file) => file.fileName);
  assert.ok(files.includes(join(root, 'src', 'scripting', 'script.ts').replaceAll('\\', '/')));
  assert.ok(files.includes(join(root, 'src', 'index.ts').replaceAll('\\', '/')));
});

test('typed scripts, functions and scripting commands compile without a diagnostic', () => {
  const found = diagnosticsOf(okFixture);
  assert.equal(found.length, 0, `unexpected diagnostics:\n${show(found)}`);
});

test('every wrong call marked expect-error fails to compile, and nothing else does', () => {
  const lines = readFileSync(failFixture, 'utf8').split('\n');
  const marked = lines.flatMap((text, index) => (text.trimEnd().endsWith(MARKER) ? [index + 1] : []));
  assert.ok(marked.length >= 10, `only ${marked.length} marked lines`);
  const found = diagnosticsOf(failFixture);
  const failing = [...new Set(found.map(({ line }) => line))].sort((a, b) => a - b);
  const missing = marked.filter((line) => !failing.includes(line));
  const unexpected = found.filter(({ line }) => !marked.includes(line));
  assert.deepEqual(
    { missing, unexpected: unexpected.map(({ line }) => line) },
    { missing: [], unexpected: [] },
    `compiled although marked: ${missing.map((line) => `line ${line}: ${lines[line - 1].trim()}`).join('; ')}\n` +
      `failed although not marked:\n${show(unexpected)}`,
  );
});

test('subscribe, psubscribe, ssubscribe, a Buffer view and isolated() compile as documented', () => {
  assert.deepEqual(diagnosticsOf(pubsubOkFixture), []);
});

test('a listener of the wrong message type, a bad channel and subscribe on conn are compile errors', () => {
  const marked = readFileSync(pubsubFailFixture, 'utf8')
    .split('\n')
    .flatMap((line, index) => (line.trimEnd().endsWith(MARKER) ? [index + 1] : []));
  assert.equal(marked.length, 5);
  const lines = [...new Set(diagnosticsOf(pubsubFailFixture).map(({ line }) => line))].sort((a, b) => a - b);
  assert.deepEqual(lines, marked);
});

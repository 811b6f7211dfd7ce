import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { type Diagnostic, lint } from '../../src/lua/index.js';

// A corpus nobody here wrote: the Lua scripts bullmq ships, as source files with include
// comments (commands/*.lua, whose names end in their key count) and as the scripts bullmq
// actually sends, includes inlined (scripts/*.js, each with its key count). They alias
// redis.call, build keys from a prefix taken from ARGV and lean on includes. Warnings are
// expected (those ARGV-built keys are real cluster hazards); an error would be a false one.

const bullmqRoot = dirname(createRequire(import.meta.url).resolve('bullmq/package.json'));
const commandsDir = join(bullmqRoot, 'dist', 'esm', 'commands');
const scriptsDir = join(bullmqRoot, 'dist', 'esm', 'scripts');

const errorsOf = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error');
const show = (file: string, diagnostics: Diagnostic[]) =>
  diagnostics.map((d) => `${file}:${d.line}:${d.column} ${d.rule}: ${d.message}`).join('\n');

test('no false error on bullmq source scripts, includes resolved relative to their file', () => {
  const files = readdirSync(commandsDir).filter((file) => file.endsWith('.lua'));
  assert.ok(files.length >= 40, `only ${files.length} scripts found`);
  let warnings = 0;
  for (const file of files) {
    const keyCount = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    assert.ok(Number.isInteger(keyCount), file);
    const diagnostics = lint(readFileSync(join(commandsDir, file), 'utf8'), {
      keyCount,
      resolveInclude: (path, from) => {
        const id = join(from === undefined ? commandsDir : dirname(from), `${path}.lua`);
        return existsSync(id) ? { id, source: readFileSync(id, 'utf8') } : undefined;
      },
    });
    assert.deepEqual(errorsOf(diagnostics), [], show(file, errorsOf(diagnostics)));
    // With every include found, no name is left undefined.
    assert.deepEqual(
      diagnostics.filter((d) => d.rule === 'undefined-global'),
      [],
      file,
    );
    warnings += diagnostics.length;
  }
  assert.ok(warnings > 0, 'the ARGV-built keys should at least be warned about');
});

test('without an include resolver, what includes define is a warning, never an error', () => {
  for (const file of readdirSync(commandsDir).filter((name) => name.endsWith('.lua'))) {
    const diagnostics = lint(readFileSync(join(commandsDir, file), 'utf8'));
    assert.deepEqual(errorsOf(diagnostics), [], show(file, errorsOf(diagnostics)));
  }
});

test('no false error on the scripts bullmq sends (includes inlined), with their key counts', async () => {
  const files = readdirSync(scriptsDir).filter((file) => file.endsWith('.js') && file !== 'index.js');
  let linted = 0;
  for (const file of files) {
    const module = (await import(pathToFileURL(join(scriptsDir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const script = value as { content?: unknown; keys?: unknown };
      if (typeof script?.content !== 'string' || typeof script.keys !== 'number') continue;
      const diagnostics = lint(script.content, { keyCount: script.keys });
      assert.deepEqual(errorsOf(diagnostics), [], show(file, errorsOf(diagnostics)));
      linted++;
    }
  }
  assert.ok(linted >= 40, `only ${linted} scripts linted`);
});

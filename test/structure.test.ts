import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from './helpers.js';

/** Every .ts file under src/, with the src/ files it imports (types included). */
function importGraph(): Map<string, string[]> {
  const src = join(repoRoot(), 'src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) files.push(path);
    }
  };
  walk(src);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const imports: string[] = [];
    for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
      imports.push(relative(src, resolve(dirname(file), match[1].replace(/\.js$/, '.ts'))));
    }
    graph.set(relative(src, file), imports);
  }
  return graph;
}

describe('the layers of src/', () => {
  const graph = importGraph();

  test('the graph was read (a broken reader would make every check below pass)', () => {
    assert.ok(graph.size > 40);
    assert.ok(graph.get('client/client.ts')?.includes('connection/connection.ts'));
  });

  for (const [layer, forbidden] of [
    ['resp/', ['connection/', 'pubsub/', 'client/', 'cluster/', 'scripting/']],
    ['connection/', ['pubsub/', 'client/', 'cluster/', 'scripting/']],
    ['pubsub/', ['client/', 'cluster/', 'scripting/']],
    ['client/', ['cluster/', 'scripting/']],
  ] as const) {
    test(`${layer} imports nothing from ${forbidden.join(', ')}`, () => {
      const violations: string[] = [];
      for (const [file, imports] of graph) {
        if (!file.startsWith(layer)) continue;
        for (const imported of imports)
          if (forbidden.some((high) => imported.startsWith(high))) violations.push(`${file} -> ${imported}`);
      }
      assert.deepEqual(violations, []);
    });
  }

  test('no file imports itself through others (no import cycles, types included)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      stack.push(file);
      for (const imported of graph.get(file) ?? []) if (graph.has(imported)) visit(imported);
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file);
    assert.deepEqual(cycles, []);
  });

  test('behaviour is not keyed by command name outside the command descriptions', () => {
    // A name compared with a literal (`name === 'SCRIPT FLUSH'`, a Map of names to policies)
    // belongs in the command's description in client/commands/.
    const offenders: string[] = [];
    const src = join(repoRoot(), 'src');
    for (const file of graph.keys()) {
      if (file.startsWith('client/commands/') || file.startsWith('testing/') || file.startsWith('lua/'))
        continue;
      const text = readFileSync(join(src, file), 'utf8');
      for (const pattern of [
        /\.name\s*===?\s*'[A-Z]/,
        /new Map[^;]*\['(SCRIPT|FUNCTION|FLUSHALL|SUBSCRIBE)/,
      ]) {
        if (pattern.test(text)) offenders.push(`${file}: ${pattern}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});

// What the heap holds, by kind of object, from a V8 heap snapshot: used by `memory.mjs
// --breakdown` to say which objects the bytes per command are made of. A snapshot costs seconds
// and memory of its own, so it is for runs of some 10,000 commands, not a million.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

/**
 * Map of "type name" → { count, bytes } over every reachable object (the snapshot collects
 * garbage first). Objects are named by constructor, closures by function; strings, numbers and
 * code are each one group, whatever their content. Synchronous, so that nothing else runs (no
 * reply is read) while it is taken.
 */
export function heapByKind() {
  const file = join(tmpdir(), `redmoon-bench-${process.pid}-${Date.now()}.heapsnapshot`);
  let snapshot;
  try {
    writeHeapSnapshot(file);
    snapshot = JSON.parse(readFileSync(file, 'utf8'));
  } finally {
    rmSync(file, { force: true });
  }
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const { nodes, strings } = snapshot;
  const kinds = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name =
      type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'array'
        ? strings[nodes[i + nameAt]]
        : '';
    const key = name === '' ? `(${type})` : `${type} ${name}`;
    const kind = kinds.get(key) ?? { count: 0, bytes: 0 };
    kind.count++;
    kind.bytes += nodes[i + sizeAt];
    kinds.set(key, kind);
  }
  return kinds;
}

/** The kinds that grew from `before` to `after`, most bytes first, per `per` commands. */
export function growth(before, after, per, limit = 20) {
  const rows = [];
  for (const [key, kind] of after) {
    const old = before.get(key) ?? { count: 0, bytes: 0 };
    const bytes = kind.bytes - old.bytes;
    if (bytes <= 0) continue;
    rows.push({ key, count: (kind.count - old.count) / per, bytes: bytes / per });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  return { rows: rows.slice(0, limit), total };
}

// redis-benchmark against the same servers: what the machine and redis-server do with a C client.
// Issue 14 measures redmoon as a ratio to these runs (see comparisons.mjs for which run stands
// next to which workload); run.mjs runs each one in every round, next to the first workload
// that needs it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * One redis-benchmark run. `id` names its row, or with `tests` (-t get,set) the prefix of one
 * row per test: `get-64b-p16`, `set-64b-p16`. `for` lists the workloads (base names, without
 * -helper) it is run next to. `ops` is -n for a full run (a tenth with --quick).
 */
const RUNS = [
  {
    id: 'evalsha-c1',
    label: 'EVALSHA -c 1',
    for: ['a'],
    args: ['-c', '1', '-P', '1'],
    ops: 30_000,
    evalsha: true,
  },
  {
    id: 'evalsha-c100-p16',
    label: 'EVALSHA -c 100 -P 16',
    for: ['b', 'c'],
    args: ['-c', '100', '-P', '16'],
    ops: 1_000_000,
    evalsha: true,
  },
  {
    id: 'evalsha-c100-p1',
    label: 'EVALSHA -c 100 -P 1',
    for: ['b'],
    args: ['-c', '100', '-P', '1'],
    ops: 300_000,
    evalsha: true,
  },
  {
    id: 'evalsha-c1-p100',
    label: 'EVALSHA -c 1 -P 100',
    for: ['c'],
    args: ['-c', '1', '-P', '100'],
    ops: 1_000_000,
    evalsha: true,
  },
  {
    id: '64b-p16',
    label: '64 B -c 100 -P 16',
    for: ['d-get', 'd-set'],
    tests: ['get', 'set'],
    args: ['-c', '100', '-P', '16', '-d', '64'],
    ops: 1_000_000,
  },
  {
    id: '64b-p1',
    label: '64 B -c 100 -P 1',
    for: ['d-get', 'd-set'],
    tests: ['get', 'set'],
    args: ['-c', '100', '-P', '1', '-d', '64'],
    ops: 300_000,
  },
  {
    id: '16k-p1',
    label: '16 KiB -c 100 -P 1',
    for: ['e'],
    tests: ['get', 'set'],
    args: ['-c', '100', '-P', '1', '-d', '16384'],
    ops: 100_000,
  },
  {
    id: 'cluster-evalsha-c100-p16',
    label: 'EVALSHA cluster -c 100 -P 16',
    for: ['f'],
    cluster: true,
    args: ['--cluster', '-c', '100', '-P', '16'],
    ops: 1_000_000,
    evalsha: true,
  },
  {
    id: 'cluster-evalsha-c100-p1',
    label: 'EVALSHA cluster -c 100 -P 1',
    for: ['f'],
    cluster: true,
    args: ['--cluster', '-c', '100', '-P', '1'],
    ops: 300_000,
    evalsha: true,
  },
];

/** The workload a name belongs to, for references: `a-helper` runs next to what `a` does. */
export function baseWorkload(name) {
  return name.replace(/-helper$/, '');
}

/** The runs that stand next to `workload` (any name; helper variants share their base's). */
export function referenceRunsFor(workload) {
  const base = baseWorkload(workload);
  return RUNS.filter((reference) => reference.for.includes(base));
}

/** The ids of the rows a run produces. */
export function rowIds(reference) {
  return reference.tests ? reference.tests.map((test) => `${test}-${reference.id}`) : [reference.id];
}

/** The label of a row id: `GET 64 B -c 100 -P 16`. */
export function rowLabel(id) {
  for (const reference of RUNS) {
    if (reference.id === id) return reference.label;
    const test = reference.tests?.find((name) => `${name}-${reference.id}` === id);
    if (test !== undefined) return `${test.toUpperCase()} ${reference.label}`;
  }
  return id;
}

function commandArgs(reference, sha) {
  if (!reference.evalsha) return ['-t', reference.tests.join(',')];
  // In --cluster mode redis-benchmark replaces {tag} with a tag of the node a connection serves.
  const key = reference.cluster ? 'bench:rb:{tag}:__rand_int__' : 'bench:rb:__rand_int__';
  return ['EVALSHA', sha, '1', key, '1'];
}

/** `"a","b"` CSV lines → arrays of strings (redis-benchmark quotes every field). */
function parseCsv(text) {
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith('"'))
    .map((line) => line.slice(1, -1).split('","'));
}

/**
 * Runs one reference against `port` (its cluster runs against `clusterPort`). Resolves to one
 * row per id: { id, label, for, rps, p50Us, p99Us } or { id, label, for, error }; never rejects.
 */
export async function runReference(reference, { port, clusterPort, sha, quick }) {
  const ids = rowIds(reference);
  const next = reference.for.join(', ');
  const failed = (error) => ids.map((id) => ({ id, label: rowLabel(id), for: next, error }));
  const target = reference.cluster ? clusterPort : port;
  if (target === undefined) return failed('no cluster');
  const ops = String(Math.round(reference.ops * (quick ? 0.1 : 1)));
  try {
    const { stdout } = await run(
      'redis-benchmark',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(target),
        '-r',
        '1000',
        '--csv',
        '-n',
        ops,
        ...reference.args,
        ...commandArgs(reference, sha),
      ],
      { timeout: 120_000, maxBuffer: 16 * 2 ** 20 },
    );
    const [header, ...lines] = parseCsv(stdout);
    if (header === undefined || lines.length === 0) throw new Error('redis-benchmark printed no results');
    const column = (name) => header.indexOf(name);
    const rows = lines.map((fields) => {
      const test = fields[column('test')].split(' ')[0].toLowerCase();
      const id = reference.tests ? `${test}-${reference.id}` : reference.id;
      return {
        id,
        label: rowLabel(id),
        for: next,
        rps: Number(fields[column('rps')]),
        p50Us: Number(fields[column('p50_latency_ms')]) * 1e3,
        p99Us: Number(fields[column('p99_latency_ms')]) * 1e3,
      };
    });
    const missing = ids.filter((id) => !rows.some((row) => row.id === id));
    if (missing.length > 0) throw new Error(`redis-benchmark printed no ${missing.join(', ')}`);
    return rows;
  } catch (error) {
    return failed(`${error.stderr ?? ''}${error.message ?? error}`.trim().split('\n')[0].slice(0, 160));
  }
}

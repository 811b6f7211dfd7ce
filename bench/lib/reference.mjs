// redis-benchmark against the same servers: what the machine and redis-server can do with a
// C client, so the Node clients' figures have a ceiling to be read against.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The reference runs, one per comparison the issue draws. `for` names the workloads a row
 * stands next to; `tests` maps redis-benchmark's test names to those workloads when one run
 * covers several (GET and SET).
 */
function referenceRuns({ sha, quick }) {
  const scale = quick ? 0.1 : 1;
  const n = (count) => String(Math.round(count * scale));
  const evalsha = ['EVALSHA', sha, '1', 'bench:rb:__rand_int__', '1'];
  return [
    {
      label: 'EVALSHA, 1 conn, -P 1',
      short: '1 conn',
      for: 'a',
      likeForLike: true,
      args: ['-c', '1', '-P', '1', '-n', n(30_000), ...evalsha],
    },
    {
      label: 'EVALSHA, 100 conns, -P 1',
      short: '-P 1',
      for: 'b',
      likeForLike: true,
      args: ['-c', '100', '-P', '1', '-n', n(300_000), ...evalsha],
    },
    {
      label: 'EVALSHA, 100 conns, -P 16',
      short: '-P 16',
      for: 'c',
      args: ['-c', '100', '-P', '16', '-n', n(1_000_000), ...evalsha],
    },
    {
      label: 'EVALSHA, 1 conn, -P 100',
      short: '1 conn, -P 100',
      for: 'c',
      likeForLike: true,
      args: ['-c', '1', '-P', '100', '-n', n(1_000_000), ...evalsha],
    },
    {
      label: '64 B, 100 conns, -P 1',
      short: '-P 1',
      likeForLike: true,
      tests: { GET: 'd-get', SET: 'd-set' },
      args: ['-c', '100', '-P', '1', '-n', n(300_000), '-d', '64', '-t', 'get,set'],
    },
    {
      label: '64 B, 100 conns, -P 16',
      short: '-P 16',
      tests: { GET: 'd-get', SET: 'd-set' },
      args: ['-c', '100', '-P', '16', '-n', n(1_000_000), '-d', '64', '-t', 'get,set'],
    },
    {
      label: '16 KiB, 100 conns, -P 1',
      short: '-P 1',
      likeForLike: true,
      tests: { GET: 'e', SET: 'e' },
      args: ['-c', '100', '-P', '1', '-n', n(100_000), '-d', '16384', '-t', 'get,set'],
    },
    {
      label: 'EVALSHA, cluster, 100 conns, -P 1',
      short: '-P 1',
      for: 'f',
      likeForLike: true,
      cluster: true,
      // In --cluster mode redis-benchmark replaces {tag} with a tag of the node a connection serves.
      args: [
        '--cluster',
        '-c',
        '100',
        '-P',
        '1',
        '-n',
        n(300_000),
        'EVALSHA',
        sha,
        '1',
        'bench:rb:{tag}:__rand_int__',
        '1',
      ],
    },
  ];
}

/** `"a","b"` CSV lines → arrays of strings (redis-benchmark quotes every field). */
function parseCsv(text) {
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith('"'))
    .map((line) => line.slice(1, -1).split('","'));
}

/**
 * Runs every reference against `port` (and `clusterPort` for the cluster row, when given).
 * Resolves to rows of { label, short, for, likeForLike, rps, p50Us, p99Us } or { label, short, for, error };
 * likeForLike marks the run that matches its workload's shape most closely (the chart draws it).
 */
export async function runReference({ port, clusterPort, sha, quick, log }) {
  const rows = [];
  for (const reference of referenceRuns({ sha, quick })) {
    if (reference.cluster && clusterPort === undefined) continue;
    const target = reference.cluster ? clusterPort : port;
    log(`redis-benchmark ${reference.label}`);
    try {
      const { stdout } = await run(
        'redis-benchmark',
        ['-h', '127.0.0.1', '-p', String(target), '-r', '1000', '--csv', ...reference.args],
        { timeout: 120_000, maxBuffer: 16 * 2 ** 20 },
      );
      const [header, ...lines] = parseCsv(stdout);
      if (header === undefined || lines.length === 0) throw new Error('redis-benchmark printed no results');
      const column = (name) => header.indexOf(name);
      for (const fields of lines) {
        const test = fields[column('test')];
        const name = test.split(' ')[0];
        rows.push({
          label: reference.tests ? `${name} ${reference.label}` : reference.label,
          short:
            reference.tests && reference.tests.GET === reference.tests.SET
              ? `${name} ${reference.short}`
              : reference.short,
          for: reference.tests ? reference.tests[name] : reference.for,
          rps: Number(fields[column('rps')]),
          likeForLike: reference.likeForLike === true,
          p50Us: Number(fields[column('p50_latency_ms')]) * 1e3,
          p99Us: Number(fields[column('p99_latency_ms')]) * 1e3,
        });
      }
    } catch (error) {
      const detail = `${error.stderr ?? ''}${error.message ?? error}`.trim().split('\n')[0].slice(0, 160);
      rows.push({
        label: reference.label,
        short: reference.short,
        for: reference.for ?? Object.values(reference.tests)[0],
        error: detail,
      });
    }
  }
  return rows;
}

// The one line a worker prints for run.mjs; a prefix keeps it apart from anything a client logs.

const PREFIX = 'BENCH_RESULT ';

export function formatResultLine(result) {
  return `${PREFIX}${JSON.stringify(result)}\n`;
}

/** The last result line in a worker's stdout, parsed; undefined when there is none. */
export function parseResultLine(stdout) {
  const line = stdout
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith(PREFIX));
  return line === undefined ? undefined : JSON.parse(line.slice(PREFIX.length));
}

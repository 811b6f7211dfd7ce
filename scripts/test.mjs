// Runs the compiled tests with Node's test runner: `npm test`, once pretest has built them.
//
//   node scripts/test.mjs [file or folder ...] [node flags, e.g. --test-name-pattern=x]
//
// Two things a bare `node --test .build/test/` gets wrong for this suite:
// - Given a folder, Node takes every .js file below a directory named `test` for a test file, so
//   each helper module (helpers.js, targets.js, cluster-helpers.js, ...) ran in a process of its
//   own that tested nothing. Node 20 has no globs, so the *.test.js files are listed here.
// - On a 2-core machine Node runs one file at a time (availableParallelism() - 1), yet most files
//   spend their seconds waiting: for a cluster to agree on its slots, a replica to be promoted, a
//   timeout to fire. A few files at once fill that wait. Each file starts its own servers on free
//   ports, so files share nothing but the CPU. REDMOON_TEST_CONCURRENCY=1 runs them one by one.
//
// And one thing it does not do at all: bound the time. A test that awaits what never comes makes
// Node's runner wait for ever, and CI then ends with no word of which test it was. So a test file
// that runs longer than REDMOON_TEST_TIMEOUT_MS (default 300 s; the slowest takes ~30 s here) is
// stopped and fails under its name (Node 20 applies --test-timeout to each file as a whole), and
// the whole run is stopped after REDMOON_TEST_DEADLINE_S (default 1200 s), naming the files still
// running, should anything outlive that.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = join(ROOT, '.build', 'test');
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_TIMEOUT_MS = 300_000;
const DEFAULT_DEADLINE_S = 1200;

function testFilesUnder(path) {
  if (!existsSync(path)) {
    console.error(
      `${relative(ROOT, path)} does not exist (npm run pretest builds the tests into .build/test)`,
    );
    process.exit(1);
  }
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => {
    const child = join(path, name);
    if (statSync(child).isDirectory()) return testFilesUnder(child);
    return name.endsWith('.test.js') ? [child] : [];
  });
}

const given = process.argv.slice(2);
const flags = given.filter((arg) => arg.startsWith('-'));
const paths = given.filter((arg) => !arg.startsWith('-'));
const files = (paths.length === 0 ? [BUILT] : paths.map((path) => resolve(path)))
  .flatMap(testFilesUnder)
  .map((file) => relative(ROOT, file))
  .sort();
if (files.length === 0) {
  console.error(
    `no *.test.js file under ${paths.join(', ') || relative(ROOT, BUILT)} (npm run pretest builds them)`,
  );
  process.exit(1);
}

/** A positive integer from the environment variable `name`, or `fallback` when it is unset. */
function positiveIntegerSetting(name, fallback) {
  const setting = process.env[name];
  const value = setting === undefined || setting === '' ? fallback : Number(setting);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(setting)}`);
    process.exit(1);
  }
  return value;
}

const concurrency = positiveIntegerSetting('REDMOON_TEST_CONCURRENCY', DEFAULT_CONCURRENCY);
const timeoutMs = positiveIntegerSetting('REDMOON_TEST_TIMEOUT_MS', DEFAULT_TIMEOUT_MS);
const deadlineS = positiveIntegerSetting('REDMOON_TEST_DEADLINE_S', DEFAULT_DEADLINE_S);

const args = ['--expose-gc', '--test'];
if (!flags.some((flag) => flag.startsWith('--test-reporter'))) args.push('--test-reporter=spec');
if (!flags.some((flag) => flag.startsWith('--test-timeout'))) args.push(`--test-timeout=${timeoutMs}`);
// --test-concurrency came with Node 20.10; before it, the files run one by one.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 20 || minor >= 10) args.push(`--test-concurrency=${concurrency}`);

/** The test files the runner `pid` still has a process for (Linux: read from /proc). */
function filesStillRunning(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
  return children.flatMap((child) => {
    try {
      const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
      return argv
        .filter((arg) => arg.endsWith('.test.js'))
        .map((file) => relative(ROOT, resolve(ROOT, file)));
    } catch {
      return [];
    }
  });
}

// Its own process group, so that a stop takes the files' processes (and their servers) with it.
const runner = spawn(process.execPath, [...args, ...flags, ...files], {
  cwd: ROOT,
  stdio: 'inherit',
  detached: true,
});
const deadline = setTimeout(() => {
  const running = filesStillRunning(runner.pid);
  console.error(
    `\nthe test run did not finish within REDMOON_TEST_DEADLINE_S=${deadlineS} s; stopping it.` +
      `\nstill running: ${running.length > 0 ? running.join(', ') : '(no test file process found)'}`,
  );
  process.exitCode = 1;
  try {
    process.kill(-runner.pid, 'SIGKILL');
  } catch {
    runner.kill('SIGKILL');
  }
}, deadlineS * 1000);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    try {
      process.kill(-runner.pid, signal);
    } catch {}
  });
}
runner.on('exit', (code, signal) => {
  clearTimeout(deadline);
  process.exit(process.exitCode ?? code ?? (signal ? 1 : 0));
});

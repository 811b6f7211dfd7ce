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
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = join(ROOT, '.build', 'test');
const DEFAULT_CONCURRENCY = 4;

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

const setting = process.env.REDMOON_TEST_CONCURRENCY;
const concurrency = setting === undefined || setting === '' ? DEFAULT_CONCURRENCY : Number(setting);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`REDMOON_TEST_CONCURRENCY must be a positive integer, got ${JSON.stringify(setting)}`);
  process.exit(1);
}

const args = ['--expose-gc', '--test'];
if (!flags.some((flag) => flag.startsWith('--test-reporter'))) args.push('--test-reporter=spec');
// --test-concurrency came with Node 20.10; before it, the files run one by one.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 20 || minor >= 10) args.push(`--test-concurrency=${concurrency}`);

const { status } = spawnSync(process.execPath, [...args, ...flags, ...files], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exit(status ?? 1);

// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its own declarations.
// Two plain `tsc` runs keep the toolchain to TypeScript alone; dist/cjs gets a package.json
// that marks its .js files as CommonJS, because the root package.json says "type": "module".
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');

// The dual-package hazard: an application whose dependencies both import and require redmoon
// loads both builds, and two copies of `ReplyError` would make `instanceof` fail across them.
// So the error classes exist once: the ES build's errors module re-exports the CommonJS one
// (Node's ES loader reads CommonJS named exports), and every module of either build throws and
// checks the same classes — with the engine's own `instanceof`, nothing added to the hot path.
// The names are read from the CommonJS module itself, so a new error class needs no edit here.
const errorNames = Object.keys(require(resolve('dist/cjs/errors.js'))).filter(
  (name) => name !== '__esModule',
);
rmSync('dist/esm/errors.js.map', { force: true });
writeFileSync(
  'dist/esm/errors.js',
  '// The CommonJS classes, so both builds share one copy of each error class (see scripts/build.mjs).\n' +
    `export { ${errorNames.sort().join(', ')} } from '../cjs/errors.js';\n`,
);

// The README's relative links (docs/, examples/, the benchmark chart) work in the repository and
// in an installed copy, but the registry renders a package's README with no repository to
// resolve them against: this package names no repository URL, because none is published. So
// `npm pack` (and `npm publish`) ship a README whose relative links point at the same files
// inside the published package, on a package CDN that serves any file of any published version:
//
//   prepack:  node scripts/registry-readme.mjs rewrite   (keeps the original in .tmp/)
//   postpack: node scripts/registry-readme.mjs restore
//   node scripts/registry-readme.mjs print              (the rewritten README, for a look or a test)
//
// A link to a file the package does not ship fails the rewrite, so the registry page cannot
// gain a dead link.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { posix } from 'node:path';

const README = 'README.md';
const KEPT = '.tmp/README.source.md';
const { name, version, files } = JSON.parse(readFileSync('package.json', 'utf8'));
const base = `https://cdn.jsdelivr.net/npm/${name}@${version}/`;

/** Whether `path` (relative to the package root) is inside one of package.json's `files`. */
function shipped(path) {
  const clean = posix.normalize(path).replace(/\/$/, '');
  // A folder is shipped when some entry lies inside it (`examples/*.mjs` ships `examples/`).
  if (statSync(clean).isDirectory() && files.some((entry) => entry.startsWith(`${clean}/`))) return true;
  return files.some((entry) => {
    if (entry.includes('*')) {
      const [dir, pattern] = [posix.dirname(entry), posix.basename(entry)];
      const suffix = pattern.replace(/^\*/, '');
      return posix.dirname(clean) === dir && clean.endsWith(suffix);
    }
    return clean === entry || clean.startsWith(`${entry}/`);
  });
}

/** The README with every relative link and image made absolute. */
export function rewrite(text) {
  const missing = [];
  const out = text.replace(/(!?\[[^\]]*\]\()([^)\s]+)(\))/g, (whole, open, target, close) => {
    if (/^[a-z]+:/i.test(target) || target.startsWith('#')) return whole;
    const [path, anchor = ''] = target.split('#');
    if (!existsSync(path) || !shipped(path)) {
      missing.push(target);
      return whole;
    }
    const slash = statSync(path).isDirectory() && !path.endsWith('/') ? '/' : '';
    return `${open}${base}${path}${slash}${anchor === '' ? '' : `#${anchor}`}${close}`;
  });
  if (missing.length > 0) {
    throw new Error(`README links to files the package does not ship: ${missing.join(', ')}`);
  }
  return out;
}

const mode = process.argv[2];
if (mode === 'print') {
  process.stdout.write(rewrite(readFileSync(README, 'utf8')));
} else if (mode === 'rewrite') {
  // A pack interrupted before postpack left the rewritten README in place: start from the original.
  if (existsSync(KEPT)) copyFileSync(KEPT, README);
  mkdirSync('.tmp', { recursive: true });
  const source = readFileSync(README, 'utf8');
  const rewritten = rewrite(source);
  copyFileSync(README, KEPT);
  writeFileSync(README, rewritten);
} else if (mode === 'restore') {
  if (existsSync(KEPT)) renameSync(KEPT, README);
} else if (mode !== undefined) {
  throw new Error(`usage: node scripts/registry-readme.mjs rewrite | restore | print (got ${mode})`);
}

import { libraryVersion } from '../lua/version.js';
import { CONNECTION_OPTIONS, parse, UsageError } from './args.js';
import { connectTarget, resolveTarget } from './connect.js';
import { deployedLibrary, readLibraryFile, showVersion } from './library-file.js';
import { lineDiff } from './line-diff.js';
import type { Output } from './output.js';

export const DIFF_USAGE = `Usage: redmoon functions diff <lib.lua>... (--url URL | --cluster URL)

Compares each library file with the code every primary holds (FUNCTION LIST WITHCODE) and
prints, per node, whether it is the same, absent or different — with the differing lines.

Options:
  --url URL       one server (default: REDIS_URL)
  --cluster URL   any node of a cluster; every primary is compared (default: REDIS_CLUSTER_URL)
  -q, --quiet     no progress on stderr
  -h, --help      this help
Exit code: 0 the same everywhere, 1 some node differs, 2 usage error.`;

export async function diff(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse(argv, CONNECTION_OPTIONS, DIFF_USAGE);
  if (values.help) return out.help(DIFF_USAGE);
  resolveTarget(values, DIFF_USAGE);
  if (positionals.length === 0) throw new UsageError('name at least one library file', DIFF_USAGE);
  const files = await Promise.all(positionals.map(readLibraryFile));
  const target = await connectTarget(values, DIFF_USAGE);
  let differs = false;
  try {
    for (const [index, node] of target.primaries.entries()) {
      out.progress(`[${index + 1}/${target.primaries.length}] ${node.address}: reading FUNCTION LIST`);
      for (const file of files) {
        const deployed = await deployedLibrary(node, file.name);
        if (deployed === undefined) {
          differs = true;
          out.print(`${node.address}  ${file.name}  absent (file: ${showVersion(file.version)})`);
        } else if (deployed.libraryCode === file.code) {
          out.print(`${node.address}  ${file.name}  same (${showVersion(file.version)})`);
        } else {
          differs = true;
          const theirs = showVersion(libraryVersion(deployed.libraryCode ?? ''));
          out.print(
            `${node.address}  ${file.name}  differs (deployed ${theirs}, file ${showVersion(file.version)})`,
          );
          out.print(
            lineDiff(deployed.libraryCode ?? '', file.code, `${node.address} ${file.name}`, file.path),
          );
        }
      }
    }
  } finally {
    await target.close();
  }
  return differs ? 1 : 0;
}

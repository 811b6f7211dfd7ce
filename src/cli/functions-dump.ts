import { readFile, writeFile } from 'node:fs/promises';
import type { FunctionRestorePolicy } from '../client/commands/scripting.js';
import { CONNECTION_OPTIONS, parse, UsageError } from './args.js';
import { connectTarget, resolveTarget } from './connect.js';
import { CliError } from './library-file.js';
import type { Output } from './output.js';

export const DUMP_USAGE = `Usage: redmoon functions dump --out FILE (--url URL | --cluster URL)

Writes FUNCTION DUMP (every library, in the server's own format) to FILE. On a cluster the
primaries must hold the same libraries (see functions diff); the dump is taken from one.

Options:
  --out FILE      where to write the dump (required)
  --url URL       one server (default: REDIS_URL)
  --cluster URL   any node of a cluster (default: REDIS_CLUSTER_URL)
  -q, --quiet     no progress on stderr
  -h, --help      this help`;

export const RESTORE_USAGE = `Usage: redmoon functions restore FILE [--policy APPEND|REPLACE|FLUSH] (--url URL | --cluster URL)

Loads a FUNCTION DUMP file on every primary. Policies, as FUNCTION RESTORE has them:
APPEND (default) fails where a library already exists, REPLACE replaces libraries of the same
name, FLUSH deletes every library first.

Options:
  --policy P      APPEND, REPLACE or FLUSH (default APPEND)
  --url URL       one server (default: REDIS_URL)
  --cluster URL   any node of a cluster; every primary is restored (default: REDIS_CLUSTER_URL)
  -q, --quiet     no progress on stderr
  -h, --help      this help
Exit code: 0 restored everywhere, 1 failed somewhere, 2 usage error.`;

export async function dump(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse(argv, { ...CONNECTION_OPTIONS, out: { type: 'string' } }, DUMP_USAGE);
  if (values.help) return out.help(DUMP_USAGE);
  resolveTarget(values, DUMP_USAGE);
  if (values.out === undefined) throw new UsageError('--out FILE is required', DUMP_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`, DUMP_USAGE);
  const target = await connectTarget(values, DUMP_USAGE);
  try {
    const listings = await Promise.all(
      target.primaries.map(async (node) => {
        out.progress(`${node.address}: FUNCTION LIST`);
        const libraries = await node.client.functionList({ withCode: true });
        return libraries
          .map((library) => `${library.libraryName}\n${library.libraryCode}`)
          .sort()
          .join('\n\0');
      }),
    );
    const differing = target.primaries.filter((_, index) => listings[index] !== listings[0]);
    if (differing.length > 0) {
      throw new CliError(
        `the primaries hold different libraries (${differing.map((node) => node.address).join(', ')} differ from ${target.primaries[0].address}); deploy first`,
      );
    }
    const source = target.primaries[0];
    out.progress(`${source.address}: FUNCTION DUMP`);
    const payload = await source.client.functionDump();
    await writeFile(values.out, payload);
    const count = listings[0] === '' ? 0 : listings[0].split('\n\0').length;
    out.print(
      `wrote ${payload.length} bytes (${count} librar${count === 1 ? 'y' : 'ies'}) from ${source.address} to ${values.out}`,
    );
    return 0;
  } finally {
    await target.close();
  }
}

const POLICIES: readonly FunctionRestorePolicy[] = ['APPEND', 'REPLACE', 'FLUSH'];

export async function restore(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...CONNECTION_OPTIONS, policy: { type: 'string' } },
    RESTORE_USAGE,
  );
  if (values.help) return out.help(RESTORE_USAGE);
  resolveTarget(values, RESTORE_USAGE);
  if (positionals.length !== 1) throw new UsageError('name one dump file', RESTORE_USAGE);
  const policy = (values.policy ?? 'APPEND').toUpperCase() as FunctionRestorePolicy;
  if (!POLICIES.includes(policy))
    throw new UsageError(`--policy must be APPEND, REPLACE or FLUSH, not ${values.policy}`, RESTORE_USAGE);
  let payload: Buffer;
  try {
    payload = await readFile(positionals[0]);
  } catch (error) {
    throw new CliError(
      `cannot read ${positionals[0]}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  const target = await connectTarget(values, RESTORE_USAGE);
  let failed = false;
  try {
    for (const [index, node] of target.primaries.entries()) {
      out.progress(`[${index + 1}/${target.primaries.length}] ${node.address}: FUNCTION RESTORE ${policy}`);
      try {
        await node.client.functionRestore(payload, policy);
        out.print(`${node.address}  restored (${policy})`);
      } catch (error) {
        failed = true;
        out.print(`${node.address}  failed  (${(error as Error).message})`);
      }
    }
  } finally {
    await target.close();
  }
  return failed ? 1 : 0;
}

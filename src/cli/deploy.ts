import { CONNECTION_OPTIONS, parse, UsageError } from './args.js';
import { connectTarget, resolveTarget } from './connect.js';
import {
  type Action,
  CliError,
  deployedLibrary,
  type LibraryFile,
  lintErrors,
  plan,
  readLibraryFile,
  showVersion,
} from './library-file.js';
import type { Output } from './output.js';

export const DEPLOY_USAGE = `Usage: redmoon functions deploy <lib.lua>... (--url URL | --cluster URL) [options]

Loads each library on every primary whose code differs (FUNCTION LIST WITHCODE on each),
and reports per node what it did. A library declares its version with a '-- @version 1.2.3'
comment; a node holding a newer version, the same version with other code, or a version when
the file declares none, is refused — and then nothing is loaded anywhere. Libraries with lint
errors are refused too.

Options:
  --url URL         one server (default: REDIS_URL)
  --cluster URL     any node of a cluster; every primary is deployed (default: REDIS_CLUSTER_URL)
  --dry-run         say what would be done, change nothing
  --force           replace even where the version check refuses
  --no-lint         deploy even with lint errors
  --json            the report as JSON
  -q, --quiet       no progress on stderr
  -h, --help        this help
Exit code: 0 deployed (or nothing to do), 1 refused or failed, 2 usage error.`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
  'no-lint': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface NodeReport {
  node: string;
  library: string;
  /** loaded, replaced, unchanged, refused, failed; `would load`, `would replace` on a dry run. */
  status: string;
  from: string | null;
  to: string;
  reason?: string;
}

const DONE: Record<Action, string> = {
  load: 'loaded',
  replace: 'replaced',
  unchanged: 'unchanged',
  refuse: 'refused',
};
const WOULD = { load: 'would load', replace: 'would replace' } as Record<Action, string>;

export async function deploy(argv: string[], out: Output): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS, DEPLOY_USAGE);
  if (values.help) return out.help(DEPLOY_USAGE);
  resolveTarget(values, DEPLOY_USAGE);
  if (positionals.length === 0) throw new UsageError('name at least one library file', DEPLOY_USAGE);
  const files: LibraryFile[] = [];
  for (const path of positionals) files.push(await readLibraryFile(path));
  const names = new Set<string>();
  for (const file of files) {
    if (names.has(file.name)) throw new CliError(`two files define the library ${file.name}`);
    names.add(file.name);
    const errors = values['no-lint'] ? [] : lintErrors(file);
    if (errors.length > 0)
      throw new CliError(`${file.path} has lint errors (--no-lint to deploy anyway):\n${errors.join('\n')}`);
  }

  const target = await connectTarget(values, DEPLOY_USAGE);
  try {
    out.progress(
      `deploying ${files.map((f) => `${f.name} ${showVersion(f.version)}`).join(', ')} to ${target.description}`,
    );
    // Plan every node first: a refusal anywhere means nothing is loaded anywhere.
    const planned: { report: NodeReport; action: Action; file: LibraryFile; nodeIndex: number }[] = [];
    for (const [nodeIndex, node] of target.primaries.entries()) {
      out.progress(`[${nodeIndex + 1}/${target.primaries.length}] ${node.address}: reading FUNCTION LIST`);
      for (const file of files) {
        const deployed = await deployedLibrary(node, file.name);
        const decision = plan(file, deployed);
        const action = decision.action === 'refuse' && values.force ? 'replace' : decision.action;
        planned.push({
          action,
          file,
          nodeIndex,
          report: {
            node: node.address,
            library: file.name,
            status: '',
            from: deployed === undefined ? null : showVersion(decision.deployedVersion),
            to: showVersion(file.version),
            ...(decision.reason !== undefined && action === 'refuse' ? { reason: decision.reason } : {}),
          },
        });
      }
    }
    const refused = planned.some((entry) => entry.action === 'refuse');
    const dryRun = values['dry-run'] === true;
    let failed = false;
    for (const entry of planned) {
      const changes = entry.action === 'load' || entry.action === 'replace';
      if (!changes) {
        entry.report.status = DONE[entry.action];
        continue;
      }
      if (dryRun || refused) {
        // A refusal anywhere holds back every change, and the report says what was held back.
        entry.report.status = dryRun ? WOULD[entry.action] : `not done (${WOULD[entry.action]})`;
        continue;
      }
      const node = target.primaries[entry.nodeIndex];
      out.progress(
        `${node.address}: FUNCTION LOAD${entry.action === 'replace' ? ' REPLACE' : ''} ${entry.file.name}`,
      );
      try {
        await node.client.functionLoad(entry.file.code, { replace: entry.action === 'replace' });
        entry.report.status = DONE[entry.action];
      } catch (error) {
        failed = true;
        entry.report.status = 'failed';
        entry.report.reason = (error as Error).message;
      }
    }
    const reports = planned.map((entry) => entry.report);
    if (values.json)
      out.print(
        JSON.stringify(
          { target: target.description, dryRun: values['dry-run'] === true, nodes: reports },
          null,
          2,
        ),
      );
    else out.print(formatReport(reports));
    if (refused) out.error('refused: nothing was loaded (see the report; --force to override)');
    return refused || failed ? 1 : 0;
  } finally {
    await target.close();
  }
}

/** One line per node and library: address, library, status, versions, reason. */
export function formatReport(reports: readonly NodeReport[]): string {
  const width = (pick: (r: NodeReport) => string) => Math.max(...reports.map((r) => pick(r).length));
  const nodeWidth = width((r) => r.node);
  const libraryWidth = width((r) => r.library);
  const statusWidth = width((r) => r.status);
  return reports
    .map((r) => {
      const versions = r.status === 'unchanged' ? r.to : `${r.from ?? 'absent'} -> ${r.to}`;
      const reason = r.reason === undefined ? '' : `  (${r.reason})`;
      return `${r.node.padEnd(nodeWidth)}  ${r.library.padEnd(libraryWidth)}  ${r.status.padEnd(statusWidth)}  ${versions}${reason}`;
    })
    .join('\n');
}

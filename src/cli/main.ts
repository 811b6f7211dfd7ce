#!/usr/bin/env node
// The `redmoon` command line: lint Lua, deploy function libraries, load scripts.
import { UsageError } from './args.js';
import { DEPLOY_USAGE, deploy } from './deploy.js';
import { DIFF_USAGE, diff } from './functions-diff.js';
import { DUMP_USAGE, dump, RESTORE_USAGE, restore } from './functions-dump.js';
import { lintFiles } from './lint-command.js';
import { consoleOutput, type Output } from './output.js';
import { SCRIPTS_LOAD_USAGE, scriptsLoad } from './scripts-load.js';

export const USAGE = `Usage: redmoon <command> [options]

Commands:
  lint <files>...               read Lua scripts and libraries before they are sent
  functions deploy <lib.lua>... load libraries where their code differs, per primary
  functions diff <lib.lua>...   compare library files with what each primary holds
  functions dump --out FILE     save every library (FUNCTION DUMP)
  functions restore FILE        load a dump on every primary (--policy APPEND|REPLACE|FLUSH)
  scripts load <dir>            SCRIPT LOAD every .lua file on every primary

Where Redis is: --url redis://[user:password@]host:port, or --cluster with any node of a
cluster, or REDIS_URL / REDIS_CLUSTER_URL. Credentials are taken from the URL and never printed.
'redmoon <command> --help' tells more.`;

const FUNCTIONS_USAGE = `Usage: redmoon functions <deploy|diff|dump|restore> ...\n\n${[DEPLOY_USAGE, DIFF_USAGE, DUMP_USAGE, RESTORE_USAGE].map((usage) => usage.split('\n')[0]).join('\n')}`;
const SCRIPTS_USAGE = `Usage: redmoon scripts load <dir>...\n\n${SCRIPTS_LOAD_USAGE.split('\n')[0]}`;

type Command = (argv: string[], out: Output) => Promise<number>;

const FUNCTIONS: Record<string, Command> = { deploy, diff, dump, restore };

/** Runs the command line; resolves the exit code. */
export async function run(
  argv: string[],
  out: Output = consoleOutput(argv.includes('-q') || argv.includes('--quiet')),
): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help')
      return out.help(USAGE);
    if (command === 'lint') return await lintFiles(argv.slice(1), out);
    if (command === 'functions') {
      if (sub === undefined || sub === '--help' || sub === '-h') return out.help(FUNCTIONS_USAGE);
      const handler = FUNCTIONS[sub];
      if (handler === undefined) throw new UsageError(`unknown functions command '${sub}'`, FUNCTIONS_USAGE);
      return await handler(rest, out);
    }
    if (command === 'scripts') {
      if (sub === undefined || sub === '--help' || sub === '-h') return out.help(SCRIPTS_USAGE);
      if (sub !== 'load') throw new UsageError(`unknown scripts command '${sub}'`, SCRIPTS_USAGE);
      return await scriptsLoad(rest, out);
    }
    throw new UsageError(`unknown command '${command}'`, USAGE);
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(`redmoon: ${error.message}\n\n${error.usage}`);
      return 2;
    }
    // Messages of redmoon's own errors never hold credentials (DESIGN §3).
    out.error(`redmoon: ${(error as Error).message}`);
    return 1;
  }
}

// Run only as the program itself, not when imported (tests call run()).
const invoked = process.argv[1];
if (invoked !== undefined && /[\\/](main\.js|redmoon)$/.test(invoked)) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`redmoon: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

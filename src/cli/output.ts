/** Where the command line writes: the report to stdout, progress and errors to stderr. */
export interface Output {
  print(text: string): void;
  /** Progress on long work (stderr); silent with --quiet. */
  progress(text: string): void;
  error(text: string): void;
  /** Prints a usage text and returns exit code 0. */
  help(usage: string): number;
}

export function consoleOutput(quiet: boolean): Output {
  return {
    print: (text) => process.stdout.write(`${text}\n`),
    progress: (text) => {
      if (!quiet) process.stderr.write(`${text}\n`);
    },
    error: (text) => process.stderr.write(`${text}\n`),
    help: (usage) => {
      process.stdout.write(`${usage}\n`);
      return 0;
    },
  };
}

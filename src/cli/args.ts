import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * Arguments with Node's own `util.parseArgs`: the commands are few and flat, so a CLI package
 * would add a dependency for nothing parseArgs lacks. Unknown options are refused (strict).
 */

/** A mistake in how the command was called: exit code 2, and the usage is shown. */
export class UsageError extends Error {
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to Redis takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  cluster: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface Parsed<T extends Options> {
  values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
}

export function parse<T extends Options>(argv: string[], options: T, usage: string): Parsed<T> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed<T>['values'], positionals };
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

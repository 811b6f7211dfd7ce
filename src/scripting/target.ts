import type { CommandTarget } from '../client/target.js';
import { ArgumentError } from '../errors.js';
import { describe } from '../resp/encoder.js';

/**
 * Why `target` cannot run a script or function call, or undefined when it can: it must be a
 * Client, a Cluster, a view of one (`withOptions`), a pipeline or a transaction.
 */
export function targetRefusal(where: string, target: unknown): ArgumentError | undefined {
  let runs = false;
  try {
    runs =
      target !== null &&
      typeof target === 'object' &&
      typeof (target as CommandTarget)._execute === 'function';
  } catch {
    // A hostile object that throws when looked at is no target either.
  }
  if (runs) return undefined;
  return new ArgumentError(
    `${where}: expected a Client, Cluster, view, pipeline or transaction to run on, got ${describe(target)}`,
  );
}

/**
 * Error codes after which the slot map is reloaded and the command (or a scan's page) asked
 * again: the server refused it without running it while the cluster changes under it (a
 * failover, a node still loading, a replica answering for a primary, a slot mid-migration).
 */
export const RETRY_AFTER_REFRESH: ReadonlySet<string> = new Set([
  'TRYAGAIN',
  'CLUSTERDOWN',
  'LOADING',
  'MASTERDOWN',
  'READONLY',
]);

/**
 * The cluster client's backoff while the cluster recovers, in ms: step 0 waits nothing, then
 * 25, 50, 100 ... up to 1 s, so a failover (seconds) is waited out in a dozen tries rather than
 * hundreds. Routing and SCAN both follow it, each saying which step a retry is.
 */
export function failoverDelay(step: number): number {
  return step <= 0 ? 0 : Math.min(1000, 25 * 2 ** (step - 1));
}

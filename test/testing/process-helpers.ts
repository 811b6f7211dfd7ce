import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { eventually } from '../helpers.js';

export { eventually };

// Whether the harness's redis-server processes are really gone, asked of the operating system
// (signal 0, /proc) rather than of the harness: shared by the tests of startRedis, startCluster
// and startSentinel, which each check that nothing they start outlives them.

/** Whether `pid` is gone; a zombie counts as gone, because a container's PID 1 may never reap it. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Each of `pids` ends within 2 s once its parent is gone; whatever is left is killed, so that a
 * failing test leaks no server.
 */
export async function assertReaped(pids: readonly number[]): Promise<void> {
  try {
    for (const pid of pids) {
      assert.ok(await eventually(() => processGone(pid), 2000), `redis-server ${pid} outlived its parent`);
    }
  } finally {
    for (const pid of pids) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
  }
}

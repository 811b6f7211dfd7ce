// CPU time of other processes (the redis-servers) from /proc/<pid>/stat, Linux only.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond;

function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * utime + stime of every pid, summed, in µs; undefined when /proc is not there. The process
 * name (field 2) may hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function cpuMicros(pids) {
  if (pids.length === 0) return undefined;
  let ticks = 0;
  try {
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return undefined;
  }
  return (ticks * 1e6) / clockTicks();
}

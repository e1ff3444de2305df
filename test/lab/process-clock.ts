// When a process started, on the wall clock, from the kernel's own record: so that a test can time a
// daemon's behaviour from its start, not from when the test got around to noticing it.
import { readFileSync } from 'node:fs';

/** The kernel's unit for /proc times (USER_HZ): 100 on Linux, whatever the kernel's tick rate. */
export const TICKS_PER_SECOND = 100;

/**
 * The process's start time in milliseconds since the epoch, to 10 ms. /proc/PID/stat gives it in
 * ticks since boot and /proc/uptime gives now on the same clock; the difference is its age.
 */
export function processStartedAt(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 22, counting from the pid; the command name (field 2) is in parentheses and may hold spaces.
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const now = Date.now();
  if (!Number.isFinite(startTicks) || !Number.isFinite(uptimeSeconds)) throw new Error(`cannot read the start time of ${pid}`);
  return now - (uptimeSeconds * 1000 - (startTicks * 1000) / TICKS_PER_SECOND);
}

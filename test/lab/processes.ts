// Processes the lab started: found by the run id in their environment, stopped by PID only.
import { readdirSync, readFileSync } from 'node:fs';
import { sleep, sleepSync } from './exec.ts';
import { TICKS_PER_SECOND } from './process-clock.ts';

/** Every process the lab starts carries this variable, set to its lab's id, and so do their children. */
export const LAB_ENV = 'KEEPALIVE_LAB_RUN';

/** True once the process has exited (a zombie counts as exited: it only waits to be reaped). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses and may contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Live members of a process group. */
export function processGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
    // After "pid (comm) " come: state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** CPU time (utime + stime) the processes have used so far, in seconds; a process gone meanwhile counts 0. */
export function cpuSeconds(pids: Iterable<number>): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // After "pid (comm) " come: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* exited meanwhile */ }
  }
  return ticks / TICKS_PER_SECOND;
}

/** A process's resident memory, RSS and PSS in KiB, from the kernel's per-process summary, and its command. */
export function processMemory(pid: number): { rss: number; pss: number; name: string } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
  const name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).map((a) => a.split('/').at(-1)).slice(0, 4).join(' ');
  return { rss: field('Rss'), pss: field('Pss'), name };
}

/** The PIDs of the processes below `root`: its children, theirs, and so on. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch { /* gone meanwhile */ }
  }
  const found: number[] = [];
  const visit = (pid: number): void => { for (const c of children.get(pid) ?? []) { found.push(c); visit(c); } };
  visit(root);
  return found;
}

/** PIDs of live processes whose environment names this lab id (or any lab id, with '*'). */
export function labProcesses(id: string | '*'): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try { environ = readFileSync(`/proc/${pid}/environ`, 'latin1'); } catch { continue; }
    const value = environ.split('\0').find((kv) => kv.startsWith(`${LAB_ENV}=`))?.slice(LAB_ENV.length + 1);
    if (value !== undefined && (id === '*' || value === id) && !processGone(pid)) found.set(pid, value);
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}

/** TERM, a bounded wait for the process to exit, then KILL. Resolves true if TERM sufficed. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<boolean> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (!processGone(pid)) {
    if (Date.now() >= deadline) {
      signal(pid, 'SIGKILL');
      while (!processGone(pid)) await sleep(10);
      return false;
    }
    await sleep(10);
  }
  return true;
}

/** The blocking form of stopProcess() for many processes at once, for teardown from an 'exit' handler. */
export function stopProcessesSync(pids: Iterable<number>, graceMs = 3_000): void {
  const live = [...pids].filter((pid) => !processGone(pid));
  for (const pid of live) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some((pid) => !processGone(pid)) && Date.now() < deadline) sleepSync(10);
  for (const pid of live) if (!processGone(pid)) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (live.some((pid) => !processGone(pid)) && Date.now() < killDeadline) sleepSync(10);
}

// Processes the lab started: found by the run id in their environment, stopped by PID only.
import { readdirSync, readFileSync } from 'node:fs';
import { sleep, sleepSync } from './exec.ts';

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

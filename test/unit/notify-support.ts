// What the notify tests observe of the code under test: the scripts it has running (its child
// processes) and what it logs.
//
// The live child processes of the test process, with their argv, read from /proc. Node's spawn()
// returns only once the child has exec'd (libuv waits for the exec on a close-on-exec pipe), so a
// script the code under test spawned is visible here from the moment spawn() returns, before the
// script has run a single line: a check right after the call is exact, not a race.
import { readdirSync, readFileSync } from 'node:fs';

export function childCommands(): Map<number, string[]> {
  const found = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch { continue; }
    // After "pid (comm) " come: state ppid ...
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid && state !== 'Z' && state !== 'X') found.set(Number(entry), cmdline.split('\0').slice(0, -1));
  }
  return found;
}

/** The argv of this process's live children that include `word` among their arguments. */
export function childrenWith(word: string): string[][] {
  return [...childCommands().values()].filter((argv) => argv.includes(word));
}

/**
 * Records what the runtime logs (runtime/src/log.ts writes each line to standard error) until
 * `stop()`; the lines still reach standard error, so a failing test shows them.
 */
export function captureLog(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = function (this: typeof process.stderr, chunk: unknown, ...rest: unknown[]): boolean {
    lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stderr.write;
  return { lines, stop: () => { process.stderr.write = write; } };
}

// vrrp_track_process: whether enough processes matching a command run, as keepalived tracks them
// (track_process.c), with one difference in how it learns of processes. keepalived subscribes to the
// kernel's process events connector (NETLINK_CONNECTOR, cn_proc), which serves only the initial
// network namespace: in any other (a container, our lab hosts) the subscription fails with
// ECONNREFUSED and keepalived puts every instance that tracks a process into FAULT for good. This
// scans /proc instead, in every namespace alike: all of it at start, then every SCAN_INTERVAL_MS, so
// a process's start or end is seen within that bound (plus fork_delay or terminate_delay). `status`
// says so.
//
// The matching and the quorum with its delays are pure (tested with a fake clock); ProcessScanner
// is the thin reader of /proc.
import { readdir, readFile } from 'node:fs/promises';

export const SCAN_INTERVAL_MS = 500;
export const PROCESS_TRACKING = `a /proc scan every ${SCAN_INTERVAL_MS} ms (the kernel's process connector serves only the initial network namespace)`;

export interface ProcessMatch {
  process: string;
  params: readonly string[];
  paramMatch?: 'partial' | 'initial';
  fullCommand: boolean;
}

/** One process as /proc shows it: its name (/proc/PID/comm, as the Name: line) and its arguments. */
export interface ProcessInfo {
  name: string;
  argv: readonly string[];
}

/** The kernel keeps 15 characters of a process's name. */
const COMM_LENGTH = 15;

/** Whether a process matches: by name unless parameters, param_match or full_command ask for the command line. */
export function processMatches(m: ProcessMatch, p: ProcessInfo): boolean {
  if (m.params.length === 0 && m.paramMatch === undefined && !m.fullCommand) return p.name === m.process.slice(0, COMM_LENGTH);
  const [command, ...args] = p.argv;
  if (command === undefined) return false;
  const commandMatches = command === m.process || (!m.process.includes('/') && command.slice(command.lastIndexOf('/') + 1) === m.process);
  if (!commandMatches) return false;
  // param_match with no parameters: the command must have none (keepalived.conf(5)).
  if (m.params.length === 0) return m.paramMatch === undefined || args.length === 0;
  if (m.paramMatch === undefined) return args.length === m.params.length && m.params.every((p, i) => args[i] === p);
  if (args.length < m.params.length) return false;
  const last = m.params.length - 1;
  return m.params.every((p, i) => (m.paramMatch === 'initial' && i === last ? args[i]!.startsWith(p) : args[i] === p));
}

/** A tracked process's quorum over time: a change counts once it has held for its delay. */
export class ProcessQuorum {
  ok: boolean | undefined;
  private since: number | undefined;
  private readonly spec: { quorum: number; quorumMax?: number; forkDelayMs: number; terminateDelayMs: number };

  constructor(spec: { quorum: number; quorumMax?: number; forkDelayMs: number; terminateDelayMs: number }) {
    this.spec = spec;
  }

  /** Takes a scan's count at `now`; true when `ok` changed. The first scan sets it at once, as keepalived's start-up scan does. */
  update(count: number, now: number): boolean {
    // quorum_max below quorum lowers it: quorum_max 0 means ok while none runs.
    const max = this.spec.quorumMax ?? Infinity;
    const want = count >= Math.min(this.spec.quorum, max) && count <= max;
    if (this.ok === undefined) {
      this.ok = want;
      return true;
    }
    if (want === this.ok) {
      this.since = undefined;
      return false;
    }
    this.since ??= now;
    if (now - this.since < (want ? this.spec.forkDelayMs : this.spec.terminateDelayMs)) return false;
    this.ok = want;
    this.since = undefined;
    return true;
  }
}

/** Every process of /proc now; ones that end while being read are left out. */
export async function scanProcesses(withArgv: boolean): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const read = async (pid: string): Promise<ProcessInfo | undefined> => {
    try {
      const name = (await readFile(`/proc/${pid}/comm`, 'utf8')).replace(/\n$/, '');
      if (!withArgv) return { name, argv: [] };
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      return { name, argv: cmdline.split('\0').slice(0, -1) };
    } catch {
      return undefined;
    }
  };
  return (await Promise.all(pids.map(read))).filter((p): p is ProcessInfo => p !== undefined);
}

/** The scanner of the VRRP child: one scan serves every tracked process; stopped when none is left. */
export class ProcessScanner {
  private readonly trackers = new Map<string, { key: string; match: ProcessMatch; quorum: ProcessQuorum; count: number }>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private readonly onChange: () => void;

  constructor(onChange: () => void) {
    this.onChange = onChange;
  }

  /** Replaces what is tracked; a tracker whose definition is unchanged keeps its state. */
  set(specs: ReadonlyMap<string, { match: ProcessMatch; quorum: number; quorumMax?: number; forkDelayMs: number; terminateDelayMs: number }>): void {
    for (const [name, t] of this.trackers) {
      const next = specs.get(name);
      if (!next || JSON.stringify(next) !== t.key) this.trackers.delete(name);
    }
    for (const [name, spec] of specs) {
      if (!this.trackers.has(name)) this.trackers.set(name, { key: JSON.stringify(spec), match: spec.match, quorum: new ProcessQuorum(spec), count: 0 });
    }
    if (this.trackers.size === 0) this.stop();
    else if (!this.timer) {
      void this.scan();
      this.timer = setInterval(() => void this.scan(), SCAN_INTERVAL_MS);
    }
  }

  /** Whether the process's quorum holds; undefined before the first scan. */
  ok(name: string): boolean | undefined { return this.trackers.get(name)?.quorum.ok; }

  status(): { tracking: string; processes: { name: string; count: number; ok: boolean | undefined }[] } {
    return { tracking: PROCESS_TRACKING, processes: [...this.trackers].map(([name, t]) => ({ name, count: t.count, ok: t.quorum.ok })) };
  }

  private async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const all = [...this.trackers.values()];
      const processes = await scanProcesses(all.some((t) => t.match.params.length > 0 || t.match.paramMatch !== undefined || t.match.fullCommand));
      const now = Date.now();
      let changed = false;
      for (const t of this.trackers.values()) {
        t.count = processes.filter((p) => processMatches(t.match, p)).length;
        changed = t.quorum.update(t.count, now) || changed;
      }
      if (changed) this.onChange();
    } finally {
      this.scanning = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

// vrrp_track_process: whether enough processes matching a command run, as keepalived tracks them
// (track_process.c). Like keepalived, it reads all of /proc at start and then follows the kernel's
// process events connector (cn_proc: fork, exec, comm change, exit), reading only the process an
// event names. The connector serves only the initial network namespace: in any other (a container,
// our lab hosts) subscribing fails with ECONNREFUSED, and where keepalived then puts every instance
// that tracks a process into FAULT for good, this falls back to scanning all of /proc every
// SCAN_INTERVAL_MS, so that a process's start or end is seen within that bound (plus fork_delay or
// terminate_delay). `status` says which is in use.
//
// The matching and the quorum with its delays are pure (tested with a fake clock); ProcessScanner
// is the thin reader of /proc and of the connector.
import { readdir, readFile } from 'node:fs/promises';
import { ProcessEvents, type ProcessEvent } from '../net/proc-connector.ts';

export const SCAN_INTERVAL_MS = 500;
export const CONNECTOR_TRACKING = 'the kernel\'s process events connector (cn_proc), after a /proc scan at start';
export const SCAN_TRACKING = `a /proc scan every ${SCAN_INTERVAL_MS} ms (the kernel's process connector serves only the initial network namespace)`;

export interface ProcessMatch {
  process: string;
  params: readonly string[];
  paramMatch?: 'partial' | 'initial';
  fullCommand: boolean;
}

/** One process as /proc shows it: its name (/proc/PID/comm, as the Name: line) and its arguments. */
export interface ProcessInfo {
  pid: number;
  name: string;
  argv: readonly string[];
}

/** The kernel keeps 15 characters of a process's name. */
const COMM_LENGTH = 15;

/** Whether a process matches: by name unless parameters, param_match or full_command ask for the command line. */
export function processMatches(m: ProcessMatch, p: Pick<ProcessInfo, 'name' | 'argv'>): boolean {
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
    if (now - this.since < this.delay(want)) return false;
    this.ok = want;
    this.since = undefined;
    return true;
  }

  /** When a change waiting out its delay takes effect, if the count stays; undefined when none waits. */
  get pendingUntil(): number | undefined {
    return this.since === undefined ? undefined : this.since + this.delay(!this.ok);
  }

  private delay(want: boolean): number { return want ? this.spec.forkDelayMs : this.spec.terminateDelayMs; }
}

/** One process by its PID; undefined when it has ended (or is being reaped). */
export async function readProcess(pid: number, withArgv: boolean): Promise<ProcessInfo | undefined> {
  try {
    const name = (await readFile(`/proc/${pid}/comm`, 'utf8')).replace(/\n$/, '');
    if (!withArgv) return { pid, name, argv: [] };
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return { pid, name, argv: cmdline.split('\0').slice(0, -1) };
  } catch {
    return undefined;
  }
}

/** Every process of /proc now; ones that end while being read are left out. */
export async function scanProcesses(withArgv: boolean): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  return (await Promise.all(pids.map((pid) => readProcess(pid, withArgv)))).filter((p): p is ProcessInfo => p !== undefined);
}

interface Tracker {
  key: string;
  match: ProcessMatch;
  quorum: ProcessQuorum;
  /** The PIDs that match now. */
  pids: Set<number>;
}

/**
 * The process tracker of the VRRP child: one scan (or one event) serves every tracked process;
 * stopped when none is left.
 */
export class ProcessScanner {
  private readonly trackers = new Map<string, Tracker>();
  private events: ProcessEvents | undefined;
  /** Why the connector is not in use, once it was tried and refused. */
  private connectorRefused: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Wakes when a change that waits out fork_delay or terminate_delay is due. */
  private delayTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
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
    let added = false;
    for (const [name, spec] of specs) {
      if (this.trackers.has(name)) continue;
      this.trackers.set(name, { key: JSON.stringify(spec), match: spec.match, quorum: new ProcessQuorum(spec), pids: new Set() });
      added = true;
    }
    if (this.trackers.size === 0) {
      this.stop();
      return;
    }
    if (!this.events && !this.timer) this.follow();
    else if (added) void this.scan();
  }

  /** Subscribes to the connector, or else scans on a timer; either way, a whole scan first. */
  private follow(): void {
    if (this.connectorRefused === undefined) {
      try {
        this.events = new ProcessEvents((e) => this.event(e), () => void this.scan());
      } catch (error) {
        this.connectorRefused = (error as { code?: string }).code ?? (error as Error).message;
      }
    }
    if (!this.events) this.timer = setInterval(() => void this.scan(), SCAN_INTERVAL_MS);
    void this.scan();
  }

  /** Whether the process's quorum holds; undefined before the first scan. */
  ok(name: string): boolean | undefined { return this.trackers.get(name)?.quorum.ok; }

  status(): { tracking: string; processes: { name: string; count: number; ok: boolean | undefined; delaying?: 'fork' | 'terminate' }[] } {
    const tracking = this.events ? CONNECTOR_TRACKING : this.connectorRefused ? `${SCAN_TRACKING}: ${this.connectorRefused}` : SCAN_TRACKING;
    // A change waiting out its delay: fork_delay for quorum gained, terminate_delay for quorum lost.
    const delaying = (q: ProcessQuorum) => (q.pendingUntil === undefined ? {} : { delaying: q.ok ? 'terminate' as const : 'fork' as const });
    return { tracking, processes: [...this.trackers].map(([name, t]) => ({ name, count: t.pids.size, ok: t.quorum.ok, ...delaying(t.quorum) })) };
  }

  private needsArgv(): boolean {
    return [...this.trackers.values()].some((t) => t.match.params.length > 0 || t.match.paramMatch !== undefined || t.match.fullCommand);
  }

  /** Reads all of /proc and recounts; one at a time, and once more if asked while one ran. */
  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.rescan = false;
          const processes = await scanProcesses(this.needsArgv());
          for (const t of this.trackers.values()) t.pids = new Set(processes.filter((p) => processMatches(t.match, p)).map((p) => p.pid));
          this.recount();
        } while (this.rescan);
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  /** One process changed: only it is read again. */
  private event(e: ProcessEvent): void {
    if (e.kind === 'exit') {
      let changed = false;
      for (const t of this.trackers.values()) changed = t.pids.delete(e.pid) || changed;
      if (changed) this.recount();
      return;
    }
    if (e.kind === 'fork') {
      // The child runs its parent's command until it execs (fork_delay is for this).
      let changed = false;
      for (const t of this.trackers.values()) {
        if (t.pids.has(e.parent)) { t.pids.add(e.child); changed = true; }
      }
      if (changed) this.recount();
      return;
    }
    void readProcess(e.pid, this.needsArgv()).then((p) => {
      let changed = false;
      for (const t of this.trackers.values()) {
        const matches = p !== undefined && processMatches(t.match, p);
        changed = (matches ? !t.pids.has(e.pid) && !!t.pids.add(e.pid) : t.pids.delete(e.pid)) || changed;
      }
      if (changed) this.recount();
    });
  }

  /** Feeds each tracker's count to its quorum, and wakes again when a delayed change is due. */
  private recount(): void {
    const now = Date.now();
    let changed = false;
    for (const t of this.trackers.values()) changed = t.quorum.update(t.pids.size, now) || changed;
    clearTimeout(this.delayTimer);
    const due = Math.min(...[...this.trackers.values()].map((t) => t.quorum.pendingUntil ?? Infinity));
    this.delayTimer = due === Infinity ? undefined : setTimeout(() => this.recount(), Math.max(0, due - Date.now()));
    if (changed) this.onChange();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.delayTimer);
    this.timer = undefined;
    this.delayTimer = undefined;
    this.events?.close();
    this.events = undefined;
  }
}

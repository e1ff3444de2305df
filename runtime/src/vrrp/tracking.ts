// Tracking: interfaces, scripts and files that raise or lower an instance's priority, or put it into
// Fault. The arithmetic is pure (effectivePriority); the trackers that watch scripts and files are
// thin loops around it.
import { writeFile } from 'node:fs/promises';
import { readTrackFileValue } from '../track-file.ts';
import { insecureScriptPath, runScript, type ScriptUser } from '../notify/script.ts';
import { log } from '../log.ts';
import type { TrackedFile } from './spec.ts';

export interface TrackerReading {
  /** "interface eth1", "script chk_nginx", "file maint" */
  label: string;
  weight: number;
  reverse: boolean;
  /** Interfaces and scripts: up / succeeding. */
  ok?: boolean;
  /** Files: the number the file holds. */
  value?: number;
}

/**
 * keepalived's rules: weight 0 makes a failing tracker a fault. A positive weight is added while the
 * tracker is ok, a negative one while it fails; `reverse` swaps ok and failing. A file's number is
 * multiplied by its weight (reverse: by minus its weight); with weight 0, a non-zero number is a fault.
 */
export function effectivePriority(configured: number, readings: readonly TrackerReading[]): { priority: number; faults: string[] } {
  let priority = configured;
  const faults: string[] = [];
  for (const r of readings) {
    if (r.value !== undefined) {
      if (r.weight === 0) {
        if (r.value !== 0) faults.push(`${r.label} holds ${r.value}`);
      } else {
        priority += r.value * (r.reverse ? -r.weight : r.weight);
      }
      continue;
    }
    const ok = r.reverse ? !r.ok : Boolean(r.ok);
    if (r.weight === 0) {
      if (!ok) faults.push(`${r.label} ${r.label.startsWith('interface') ? 'down' : 'failing'}`);
    } else if (r.weight > 0 ? ok : !ok) {
      priority += r.weight;
    }
  }
  return { priority, faults };
}

export interface ScriptCheck {
  name: string;
  script: string;
  /** The vrrp_script's own `user`, else the global script user. */
  user?: ScriptUser;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  initFail: boolean;
}

/** Runs a vrrp_script every interval; its state flips after `rise` successes or `fall` failures in a row. */
export class ScriptTracker {
  readonly check: ScriptCheck;
  ok: boolean;
  /** Runs in a row whose result disagrees with `ok` (it flips at rise or fall). */
  streak = 0;
  /** Whether a run has ended (keepalived's script init state is over). */
  initialized = false;
  /** Whether enable_script_security found the script unsafe at its last run. */
  insecure = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  /** Whether a run of the script is under way (keepalived's script state: running, else idle). */
  get busy(): boolean { return this.running; }
  readonly user: ScriptUser;
  private readonly secure: boolean;
  private readonly onChange: () => void;

  constructor(check: ScriptCheck, defaultUser: ScriptUser, scriptSecurity: boolean, onChange: () => void) {
    this.check = check;
    this.user = check.user ?? defaultUser;
    this.secure = scriptSecurity;
    this.onChange = onChange;
    this.ok = !check.initFail;
  }

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.check.intervalMs);
    void this.runOnce();
  }

  private async runOnce(): Promise<void> {
    if (this.running || this.stopped) return; // never two runs of one script at once
    this.running = true;
    // Under enable_script_security, a script that is not safe to run as root counts as failing.
    const insecure = this.secure ? insecureScriptPath(this.check.script, this.user) : undefined;
    if (insecure) log('error', `vrrp_script ${this.check.name}: not run, enable_script_security: ${insecure}`);
    const result = insecure ? undefined : await runScript(this.check.script, [], this.user, this.check.timeoutMs);
    this.running = false;
    if (this.stopped) return;
    this.initialized = true;
    this.insecure = insecure !== undefined;
    const success = result?.code === 0;
    if (result?.timedOut) log('warn', `vrrp_script ${this.check.name} timed out after ${this.check.timeoutMs} ms`);
    if (success === this.ok) { this.streak = 0; return; }
    this.streak++;
    if (this.streak >= (success ? this.check.rise : this.check.fall)) {
      this.ok = success;
      this.streak = 0;
      // keepalived's words: "VRRP_Script(chk) succeeded", "VRRP_Script(chk) failed (exited with status 1)".
      const why = success ? '' : result === undefined ? ' (not run: enable_script_security)' : result.timedOut ? ' (timed out)'
        : result.signal ? ` (due to signal ${result.signal})` : ` (exited with status ${result.code})`;
      log('info', `VRRP_Script(${this.check.name}) ${success ? 'succeeded' : 'failed'}${why}`);
      this.onChange();
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}

/** Watches a track_file: the integer it holds (an empty or missing file reads as 0). */
export class FileTracker {
  readonly path: string;
  value = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onChange: () => void;

  private readonly init: TrackedFile['init'];

  constructor(path: string, onChange: () => void, init?: TrackedFile['init']) {
    this.path = path;
    this.onChange = onChange;
    this.init = init;
  }

  async start(pollMs = 500): Promise<void> {
    if (this.init) {
      try {
        await writeFile(this.path, `${this.init.value}\n`, { flag: this.init.overwrite ? 'w' : 'wx' });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') log('warn', `track_file ${this.path}: cannot initialise it: ${code ?? (error as Error).message}`);
      }
    }
    await this.read();
    this.timer = setInterval(() => void this.read(), pollMs);
  }

  private async read(): Promise<void> {
    const value = await readTrackFileValue(this.path);
    if (value !== this.value) {
      this.value = value;
      this.onChange();
    }
  }

  stop(): void { clearInterval(this.timer); }
}

// keepalived's notify FIFOs (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo): every event as one line
// in a named pipe, for a reader that must see them all and in order, such as
//   INSTANCE "VI_1" MASTER 100      GROUP "G" BACKUP 0
//   VS [198.18.0.100]:tcp:80 UP     RS [198.18.1.2]:tcp:80 [198.18.0.100]:tcp:80 DOWN
// A FIFO that does not exist is created (mode 0600, then given to its owner). It is opened read-write
// and non-blocking, so writing never waits for a reader and never fails for want of one; a line that
// finds the pipe full is dropped and counted. With a script (notify_fifo_script) keepalive starts the
// reader itself, with the FIFO's path as its argument, and stops it with the daemon.
import { chownSync, closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { insecureScriptPath, runScript, type ScriptUser } from './script.ts';
import { log } from '../log.ts';

export interface FifoSpec {
  path: string;
  owner?: ScriptUser;
  /** The reader; with `security` (enable_script_security) it must pass insecureScriptPath to run. */
  script?: { command: string; user: ScriptUser; security: boolean };
}

class Fifo {
  readonly spec: FifoSpec;
  private readonly fd: number;
  private readonly stopReader = new AbortController();
  private dropped = 0;

  constructor(spec: FifoSpec) {
    this.spec = spec;
    let st;
    try {
      st = lstatSync(spec.path);
    } catch {
      // Node has no mkfifo(3).
      execFileSync('mkfifo', ['-m', '0600', spec.path], { stdio: ['ignore', 'ignore', 'pipe'] });
      st = lstatSync(spec.path);
    }
    if (!st.isFIFO()) throw new Error(`${spec.path} exists and is not a FIFO`);
    if (spec.owner) chownSync(spec.path, spec.owner.uid, spec.owner.gid);
    this.fd = openSync(spec.path, constants.O_RDWR | constants.O_NONBLOCK);
    const insecure = spec.script?.security ? insecureScriptPath(spec.script.command, spec.script.user) : undefined;
    if (insecure) log('error', `notify FIFO ${spec.path}: its script is not run, enable_script_security: ${insecure}`);
    else if (spec.script) {
      const { command, user } = spec.script;
      void runScript(command, [spec.path], user, Infinity, {}, this.stopReader.signal).then((r) => {
        if (this.stopReader.signal.aborted) return;
        log('warn', `notify FIFO ${spec.path}: its script ${command} ended (${r.error ?? r.code ?? r.signal})${r.output ? `: ${r.output.trim()}` : ''}`);
      });
    }
  }

  write(line: string): void {
    try {
      writeSync(this.fd, `${line}\n`);
    } catch (error) {
      if (this.dropped++ === 0) log('warn', `notify FIFO ${this.spec.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; lines are dropped until there is room`);
      return;
    }
    if (this.dropped > 0) {
      log('warn', `notify FIFO ${this.spec.path}: ${this.dropped} line(s) were dropped`);
      this.dropped = 0;
    }
  }

  close(): void {
    this.stopReader.abort();
    closeSync(this.fd);
  }
}

/** The FIFOs of one child, kept across reloads while their settings stay the same. */
export class NotifyFifos {
  private open = new Map<string, Fifo>();

  /** Opens the FIFOs now configured, keeps unchanged ones (and their readers), closes the rest. */
  sync(specs: readonly FifoSpec[]): void {
    const next = new Map<string, Fifo>();
    for (const spec of specs) {
      const key = JSON.stringify(spec);
      const kept = this.open.get(key);
      if (kept) {
        next.set(key, kept);
        this.open.delete(key);
        continue;
      }
      try {
        next.set(key, new Fifo(spec));
      } catch (error) {
        log('error', `notify FIFO ${spec.path}: ${(error as Error).message}`);
      }
    }
    for (const fifo of this.open.values()) fifo.close();
    this.open = next;
  }

  write(line: string): void {
    for (const fifo of this.open.values()) fifo.write(line);
  }

  close(): void {
    this.sync([]);
  }
}

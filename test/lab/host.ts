// One lab host: a network namespace plus a mount and UTS namespace held open by a small holder
// process, so the host has its own /etc (an overlay), /opt (an overlay), /run (a tmpfs) and hostname.
// Commands enter all three namespaces with nsenter; files are reached through /proc/HOLDER/root.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { run, waitFor, type CommandResult, type RunOptions } from './exec.ts';
import { AddressWatch } from './capture.ts';
import { processGone, processGroup, stopProcess } from './processes.ts';

export interface HostInterface {
  /** The name inside the host: eth0, eth1, … in the order of the host's segments. */
  name: string;
  segment: string;
  mac: string;
  ipv4: string;
  ipv6: string;
  prefixV4: number;
  prefixV6: number;
}

/** Where and how to reach a host's sshd from the test process. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: Buffer;
  /** The host's public key as in known_hosts, "ssh-ed25519 AAAA…": the only key the client accepts. */
  hostKey: string;
}

/** What a host needs from its lab: identity for the processes it starts, and bookkeeping. */
export interface HostContext {
  env: NodeJS.ProcessEnv;
  track(pid: number): void;
}

export class Host {
  readonly name: string;
  readonly netns: string;
  /** Lab-side private directory (not visible as a path inside the host, except through /tmp). */
  readonly dir: string;
  readonly interfaces: HostInterface[];
  private readonly context: HostContext;
  private holder: ChildProcess | undefined;
  ssh: SshTarget | undefined;

  constructor(name: string, netns: string, dir: string, interfaces: HostInterface[], context: HostContext) {
    this.name = name;
    this.netns = netns;
    this.dir = dir;
    this.interfaces = interfaces;
    this.context = context;
  }

  /** The holder's PID: the process whose namespaces are the host. */
  get pid(): number {
    const pid = this.holder?.pid;
    if (pid === undefined) throw new Error(`host ${this.name} is not started`);
    return pid;
  }

  /** The host's first IPv4 address (on its first segment, or on the named one). */
  ipv4(segment?: string): string { return this.iface(segment).ipv4; }
  ipv6(segment?: string): string { return this.iface(segment).ipv6; }

  iface(segment?: string): HostInterface {
    const i = segment === undefined ? this.interfaces[0] : this.interfaces.find((x) => x.segment === segment);
    if (!i) throw new Error(`host ${this.name} has no interface${segment ? ` on segment ${segment}` : ''}`);
    return i;
  }

  /** Starts the holder. Its shell sets up the private mounts, prints "ready", then becomes `sleep`. */
  async start(): Promise<void> {
    const upper = (d: string): string => {
      mkdirSync(`${this.dir}/${d}.upper`, { recursive: true });
      mkdirSync(`${this.dir}/${d}.work`, { recursive: true });
      return `mount -t overlay overlay -o lowerdir=/${d},upperdir=${this.dir}/${d}.upper,workdir=${this.dir}/${d}.work /${d}`;
    };
    const script = [
      'set -e',
      upper('etc'),
      upper('opt'),
      'mount -t tmpfs -o mode=0755,size=64m tmpfs /run',
      'mkdir -p /run/sshd /etc/keepalive',
      `hostname ${this.name}`,
      'echo ready',
      'exec sleep infinity',
    ].join('\n');
    const holder = spawn('ip', ['netns', 'exec', this.netns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.context.env,
    });
    this.holder = holder;
    if (holder.pid !== undefined) this.context.track(holder.pid);
    let output = '';
    holder.stdout!.on('data', (b: Buffer) => { output += b.toString(); });
    holder.stderr!.on('data', (b: Buffer) => { output += b.toString(); });
    await waitFor(`host ${this.name} to start`, () => {
      if (output.includes('ready')) return true;
      if (holder.exitCode !== null) throw new Error(`host ${this.name} failed to start: ${output.trim()}`);
      return undefined;
    });
  }

  /** The prefix that runs a command inside this host. */
  get nsExec(): string[] {
    return ['nsenter', `--target=${this.pid}`, '--net', '--mount', '--uts', '--'];
  }

  /** Runs a command in the host: an argv array, or a string for `sh -c`. Throws on a non-zero exit. */
  exec(command: string | readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
    return run([...this.nsExec, ...argv], { ...options, env: { ...this.context.env, ...options.env } });
  }

  /** A path inside the host, as the lab process can reach it. */
  path(inside: string): string {
    if (!inside.startsWith('/')) throw new Error(`host paths are absolute: ${inside}`);
    return `/proc/${this.pid}/root${inside}`;
  }

  /** Writes a file inside the host atomically (temporary file, then rename), creating its directory. */
  writeFile(inside: string, data: string | Buffer, mode = 0o644): void {
    const target = this.path(inside);
    mkdirSync(target.slice(0, target.lastIndexOf('/')), { recursive: true });
    const temp = `${target}.tmp-${process.pid}`;
    writeFileSync(temp, data, { mode });
    renameSync(temp, target);
  }

  readFile(inside: string): string {
    return readFileSync(this.path(inside), 'utf8');
  }

  /**
   * Starts a long-running process in the host, in its own session, with output to a log file.
   * `pidFile` names the pid file the daemon writes itself (inside the host); without it, the lab
   * writes /run/NAME.pid for it. Either way the daemon is stopped through its pid file.
   */
  async startDaemon(name: string, argv: readonly string[], { pidFile }: { pidFile?: string } = {}): Promise<Daemon> {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad daemon name ${JSON.stringify(name)}`);
    const logPath = `${this.dir}/${name}.log`;
    const log = openSync(logPath, 'a');
    const child = spawn(this.nsExec[0] as string, [...this.nsExec.slice(1), ...argv], {
      detached: true,
      stdio: ['ignore', log, log],
      env: this.context.env,
    });
    closeSync(log);
    if (child.pid === undefined) {
      const [error] = await once(child, 'error');
      throw new Error(`cannot start ${name} on ${this.name}: ${(error as Error).message}`);
    }
    this.context.track(child.pid);
    const path = pidFile ?? `/run/${name}.pid`;
    if (pidFile === undefined) {
      this.writeFile(path, `${child.pid}\n`);
    } else {
      await waitFor(`${name} on ${this.name} to write ${pidFile}`, () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${name} on ${this.name} exited (${child.signalCode ?? child.exitCode}) before writing ${pidFile}:\n${tail(logPath)}`);
        }
        try {
          const pid = Number(this.readFile(path).trim());
          return pid > 0 && !processGone(pid) ? pid : undefined;
        } catch { return undefined; }
      });
    }
    return new Daemon(this, name, child, path, logPath);
  }

  /** Sets one of the host's links up or down, as a cable pull would. */
  async setLink(ifname: string, state: 'up' | 'down'): Promise<number> {
    await run(['ip', '-n', this.netns, 'link', 'set', 'dev', ifname, state]);
    return Date.now();
  }

  /** The host's addresses right now, as "ADDR/LEN" strings per interface. */
  async addresses(): Promise<Map<string, string[]>> {
    const { stdout } = await run(['ip', '-n', this.netns, '-j', 'address', 'show']);
    const links = JSON.parse(stdout) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[];
    return new Map(links.map((l) => [l.ifname, l.addr_info.map((a) => `${a.local}/${a.prefixlen}`)]));
  }

  async hasAddress(address: string): Promise<boolean> {
    for (const list of (await this.addresses()).values()) {
      if (list.some((a) => a.split('/')[0] === address)) return true;
    }
    return false;
  }

  /** Streams the host's address changes with kernel-side timestamps. */
  watchAddresses(): Promise<AddressWatch> {
    return AddressWatch.start(this.nsExec, this.context.env);
  }
}

function tail(path: string, lines = 20): string {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return ''; }
}

export class Daemon {
  readonly host: Host;
  readonly name: string;
  readonly pidFile: string;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private readonly closed: Promise<unknown>;

  constructor(host: Host, name: string, child: ChildProcess, pidFile: string, logPath: string) {
    this.host = host;
    this.name = name;
    this.child = child;
    this.pidFile = pidFile;
    this.logPath = logPath;
    this.closed = child.exitCode === null && child.signalCode === null ? once(child, 'close') : Promise.resolve();
  }

  /** The PID from the pid file; it stays readable after the daemon deletes the file on exit. */
  get pid(): number {
    try {
      return Number(this.host.readFile(this.pidFile).trim());
    } catch {
      return this.child.pid as number;
    }
  }

  get running(): boolean { return !processGone(this.child.pid as number); }

  /** Sends a signal and returns the time it was sent, in ms since the epoch. */
  signal(sig: NodeJS.Signals): number {
    process.kill(this.pid, sig);
    return Date.now();
  }

  /**
   * Sends a signal to the daemon's whole process group (it was started in a session of its own), so
   * that a KILL takes its children down in the same instant, as a crash of the host would.
   */
  signalGroup(sig: NodeJS.Signals): number {
    process.kill(-(this.child.pid as number), sig);
    return Date.now();
  }

  /** TERM, a bounded wait, then KILL. Resolves true if TERM sufficed. */
  async stop(graceMs = 5_000): Promise<boolean> {
    const pid = this.pid;
    const clean = processGone(pid) || (await stopProcess(pid, graceMs));
    await this.closed;
    return clean;
  }

  /** Waits for the daemon and every process of its group to exit, e.g. after a KILL. */
  async exited(timeoutMs = 10_000): Promise<void> {
    await this.closed;
    const group = this.child.pid as number;
    await waitFor(`the processes of ${this.name} on ${this.host.name} to exit`, () => (processGroup(group).length === 0 ? true : undefined), { timeoutMs });
  }

  log(): string { return tail(this.logPath, 200); }
}

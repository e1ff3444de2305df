// The watchdog: the parent process of `keepalive run`. It owns the configuration and the state
// directory (pid file, control socket), starts one child per role (the VRRP stack, the checkers),
// respawns a child that dies with a growing delay, and forwards reloads and stops to them. It answers
// keepalived's dump signals (DATA, STATS, STATS_CLEAR, JSON) with the files keepalived writes
// (../dumps/dumper.ts).
//
// Children are forked with an IPC channel (a unix domain socket pair). When the watchdog dies, even
// by KILL, the channel closes and each child stops on its own (see child.ts): never an orphan.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { log } from '../log.ts';
import { releaseFreedMemory } from '../net/native.ts';
import { nextRespawnDelay } from './backoff.ts';
import type { ChildRoleName, FromChild, StatusOptions, ToChild } from './messages.ts';
import { ControlServer, type ControlRequest } from '../control/server.ts';
import type { Server } from 'node:http';
import type { DaemonStatus } from '../control/status.ts';
import type { KeepaliveConfig } from '../config/model.ts';
import type { DumpSource } from '../dumps/dumper.ts';

/** How long a child may take to stop (a VRRP master resigns first) before it is killed. */
const STOP_GRACE_MS = 5_000;
/** How long a status request waits for a child (a checker with 10,000 real servers answers in about 1.5 s). */
const STATUS_TIMEOUT_MS = 5_000;
/**
 * How long start and reload wait for a child to apply a configuration. A child still busy after that
 * (a checker programming tens of thousands of destinations into a slow kernel) has not refused it:
 * the wait ends, and a refusal that comes later is logged.
 */
const APPLY_WAIT_MS = 60_000;

export interface WatchdogOptions {
  configPath: string;
  stateDir: string;
  roles: readonly ChildRoleName[];
  /** Loads and validates the configuration; throws with file:line:col messages when it is bad. */
  load: (path: string) => { config: unknown; warnings: readonly string[] };
  /** `--metrics-listen ADDR:PORT`: serve GET /metrics there; wins over the configuration's `metrics_listen`. */
  metricsListen?: string;
}

/**
 * V8 flags for each child, after the watchdog's own. The VRRP child does little computing per advert
 * (sockets and timers do the work), yet within a minute V8's top compiler, TurboFan, optimizes a few
 * of its functions: 5 MiB more of Node's code in memory and a megabyte of compiler scratch memory, for
 * no measurable CPU (8.3 to 8.8% of a core at 10 ms adverts either way). Maglev still optimizes
 * what is hot. The checker keeps TurboFan: its checks are its CPU.
 */
const CHILD_V8_FLAGS: Readonly<Record<ChildRoleName, readonly string[]>> = { vrrp: ['--no-turbofan'], checker: [] };

/** Where the configuration asks for the metrics endpoint (global_defs metrics_listen), if anywhere. */
function configuredMetricsListen(config: unknown): string | undefined {
  return (config as { globalDefs?: { metricsListen?: string } } | undefined)?.globalDefs?.metricsListen;
}

/** The network namespace the configuration runs in (net_namespace), if one. */
function configuredNetNamespace(config: unknown): string | undefined {
  return (config as { globalDefs?: { netNamespace?: string } } | undefined)?.globalDefs?.netNamespace;
}

/** How long a scrape waits for a child's status before it answers without it (under a 1 s scrape_timeout). */
const METRICS_STATUS_TIMEOUT_MS = 800;

interface Supervised {
  role: ChildRoleName;
  process: ChildProcess | undefined;
  startedAt: number;
  delayMs: number | undefined;
  restarts: number;
  lastExit: { at: string; code: number | null; signal: string | null; livedMs: number } | undefined;
  respawnTimer: NodeJS.Timeout | undefined;
}

export class Watchdog {
  private readonly options: WatchdogOptions;
  private config: unknown;
  private generation = 0;
  private readonly children = new Map<ChildRoleName, Supervised>();
  private control: ControlServer | undefined;
  private stopping = false;
  private readonly startedAt = Date.now();
  private requestId = 0;
  private lastReload: { at: string; ok: boolean; errors?: string[] } | undefined;
  private readonly reloads = { accepted: 0, refused: 0 };
  private metrics: { listen: string; server: Server } | undefined;

  constructor(options: WatchdogOptions) {
    this.options = options;
  }

  get pidFile(): string { return `${this.options.stateDir}/keepalive.pid`; }
  get socketPath(): string { return `${this.options.stateDir}/control.sock`; }

  /** Loads the configuration, then gives the C heap memory that parsing it freed back to the system. */
  private loadConfig(): ReturnType<WatchdogOptions['load']> {
    try {
      return this.options.load(this.options.configPath);
    } finally {
      releaseFreedMemory();
    }
  }

  /** Loads the configuration, claims the state directory and starts the children. */
  async start(): Promise<void> {
    const { config, warnings } = this.loadConfig();
    for (const w of warnings) log('warn', w);
    this.config = config;
    const netNamespace = configuredNetNamespace(config);
    if (netNamespace !== undefined) {
      const { enterNetNamespace } = await import('../net/netns.ts');
      enterNetNamespace(netNamespace);
      log('info', `running in network namespace ${netNamespace}`);
    }
    // Before the pid file names this process: a tool that signals it from then on gets its dump
    // (a real-time signal without a handler would kill it).
    const { answerDumpSignals } = await import('../dumps/dumper.ts');
    answerDumpSignals({
      vrrpStatus: (options) => {
        const vrrp = this.children.get('vrrp');
        return (vrrp ? this.childStatus(vrrp, STATUS_TIMEOUT_MS, options) : Promise.resolve(undefined)) as ReturnType<DumpSource['vrrpStatus']>;
      },
      config: () => this.config as KeepaliveConfig,
    });
    this.claimStateDir();
    const metricsListen = this.options.metricsListen ?? configuredMetricsListen(config);
    if (metricsListen !== undefined) {
      try {
        this.metrics = { listen: metricsListen, server: await this.listenMetrics(metricsListen) };
      } catch (error) {
        rmSync(this.pidFile, { force: true });
        throw error;
      }
    }
    this.control = await ControlServer.listen(this.socketPath, (request) => this.handle(request));
    for (const role of this.options.roles) {
      const s: Supervised = { role, process: undefined, startedAt: 0, delayMs: undefined, restarts: 0, lastExit: undefined, respawnTimer: undefined };
      this.children.set(role, s);
      this.spawn(s);
    }
    process.on('SIGHUP', () => { void this.reload(); });
    process.on('SIGTERM', () => { void this.stop('SIGTERM'); });
    process.on('SIGINT', () => { void this.stop('SIGINT'); });
    // A configuration a child cannot carry out (a scheduler the kernel lacks, say) stops the start.
    const refusals = await this.appliedBy([...this.children.values()], this.generation);
    if (refusals.length > 0) {
      log('error', `configuration refused:\n${refusals.join('\n')}`);
      await this.stop('the configuration was refused', 1);
    }
    log('info', `started with ${this.options.configPath}; state in ${this.options.stateDir}`);
  }

  /**
   * Waits until each of these children applied configuration `generation` (or APPLY_WAIT_MS), and
   * returns their refusals ("checker: ..."). A child that dies first is not a refusal: it gets the
   * configuration again when it respawns.
   */
  private appliedBy(children: readonly Supervised[], generation: number): Promise<string[]> {
    return Promise.all(children.map((s) => {
      const child = s.process;
      if (!child?.connected) return undefined;
      return new Promise<string | undefined>((resolve) => {
        const done = (error: string | undefined): void => {
          clearTimeout(timer);
          child.off('message', listener);
          child.off('exit', onExit);
          resolve(error === undefined ? undefined : `${s.role}: ${error}`);
        };
        const listener = (m: FromChild): void => { if (m.type === 'applied' && m.generation === generation) done(m.error); };
        const onExit = (): void => done(undefined);
        const timer = setTimeout(() => {
          log('warn', `${s.role} child is still applying configuration ${generation} after ${APPLY_WAIT_MS / 1000} s`);
          done(undefined);
        }, APPLY_WAIT_MS);
        child.on('message', listener);
        child.on('exit', onExit);
      });
    })).then((errors) => errors.filter((e) => e !== undefined));
  }

  /** Refuses to start when another live instance holds the state directory. */
  private claimStateDir(): void {
    mkdirSync(this.options.stateDir, { recursive: true, mode: 0o755 });
    if (existsSync(this.pidFile)) {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`another keepalive (pid ${pid}) runs with state directory ${this.options.stateDir}`);
      }
    }
    writeFileSync(this.pidFile, `${process.pid}\n`);
  }

  private spawn(s: Supervised): void {
    s.respawnTimer = undefined;
    // Children run the same program as the watchdog (`keepalive child ROLE`), whether that is the
    // TypeScript source or the bundled runtime.
    const child = fork(process.argv[1]!, ['child', s.role, this.options.stateDir], { execArgv: [...process.execArgv, ...CHILD_V8_FLAGS[s.role]], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    s.process = child;
    s.startedAt = Date.now();
    child.on('message', (m: FromChild) => this.onMessage(s, m));
    child.on('exit', (code, signal) => this.onExit(s, child, code, signal));
    this.send(s, { type: 'config', generation: this.generation, config: this.config });
  }

  private onMessage(s: Supervised, m: FromChild): void {
    if (m.type === 'applied' && m.error) log('error', `${s.role} child could not apply configuration ${m.generation}: ${m.error}`);
  }

  private onExit(s: Supervised, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.process !== child) return;
    s.process = undefined;
    const livedMs = Date.now() - s.startedAt;
    s.lastExit = { at: new Date().toISOString(), code, signal, livedMs };
    if (this.stopping) return;
    s.delayMs = nextRespawnDelay(s.delayMs, livedMs);
    s.restarts++;
    const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    log('warn', `${s.role} child (pid ${child.pid}) ${why} after ${(livedMs / 1000).toFixed(1)} s; respawning in ${s.delayMs} ms (restart ${s.restarts})`);
    s.respawnTimer = setTimeout(() => this.spawn(s), s.delayMs);
  }

  private send(s: Supervised, message: ToChild): void {
    if (s.process?.connected) s.process.send(message);
  }

  /**
   * Re-reads the configuration. A bad one is refused with its errors and the running one stays in
   * force; a good one goes to every child, which applies the difference. When a child refuses it
   * (its dataplane cannot carry it out), the children that took it get the running one back.
   */
  async reload(): Promise<{ ok: boolean; errors?: string[] }> {
    let errors: string[];
    try {
      const { config, warnings } = this.loadConfig();
      for (const w of warnings) log('warn', w);
      const [running, asked] = [configuredNetNamespace(this.config), configuredNetNamespace(config)];
      if (running !== asked) throw new Error(`net_namespace cannot change on a reload (running in ${running ?? 'the namespace it started in'}, the configuration says ${asked ?? 'none'}): restart keepalive to move it`);
      await this.moveMetrics(config);
      const generation = ++this.generation;
      const children = [...this.children.values()];
      for (const s of children) this.send(s, { type: 'config', generation, config });
      errors = await this.appliedBy(children, generation);
      if (errors.length === 0) {
        this.config = config;
        log('info', `reloaded ${this.options.configPath} (configuration ${generation})`);
        this.lastReload = { at: new Date().toISOString(), ok: true };
        this.reloads.accepted++;
        return { ok: true };
      }
      const restore = ++this.generation;
      for (const s of children) this.send(s, { type: 'config', generation: restore, config: this.config });
      await this.appliedBy(children, restore);
      // The endpoint goes back to the running configuration's address too (it was free a moment ago).
      await this.moveMetrics(this.config).catch((error: Error) => log('error', error.message));
    } catch (error) {
      errors = String((error as Error).message).split('\n');
    }
    log('error', `reload refused; the running configuration stays in force:\n${errors.join('\n')}`);
    this.lastReload = { at: new Date().toISOString(), ok: false, errors };
    this.reloads.refused++;
    return { ok: false, errors };
  }

  private async listenMetrics(listen: string): Promise<Server> {
    const { listenMetrics } = await import('../metrics/metrics.ts');
    const server = await listenMetrics(listen, async () => ({ status: await this.status(METRICS_STATUS_TIMEOUT_MS, true) as DaemonStatus, reloads: { ...this.reloads } }));
    log('info', `metrics on http://${listen}/metrics`);
    return server;
  }

  /**
   * A reload that moves metrics_listen binds the new address before anything else changes (an address
   * that is taken refuses the reload, and the old endpoint keeps serving), then closes the old one.
   * --metrics-listen on the command line wins over the file.
   */
  private async moveMetrics(config: unknown): Promise<void> {
    if (this.options.metricsListen !== undefined) return;
    const next = configuredMetricsListen(config);
    if (next === this.metrics?.listen) return;
    const old = this.metrics;
    this.metrics = next === undefined ? undefined : { listen: next, server: await this.listenMetrics(next) };
    old?.server.close();
    old?.server.closeAllConnections();
  }

  private async handle(request: ControlRequest): Promise<unknown> {
    switch (request.command) {
      case 'status':
        return this.status();
      case 'reload':
        return this.reload();
      default:
        return { error: `unknown command ${JSON.stringify((request as { command: unknown }).command)}` };
    }
  }

  /** The daemon's status and its children's; `traffic` asks them for the dataplane's traffic counters too. */
  private async status(timeoutMs = STATUS_TIMEOUT_MS, traffic = false): Promise<unknown> {
    const children: Record<string, unknown> = {};
    await Promise.all([...this.children.values()].map(async (s) => {
      children[s.role] = {
        pid: s.process?.pid,
        running: s.process !== undefined,
        restarts: s.restarts,
        lastExit: s.lastExit,
        status: await this.childStatus(s, timeoutMs, { traffic }),
      };
    }));
    return {
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      config: this.options.configPath,
      configGeneration: this.generation,
      lastReload: this.lastReload,
      children,
    };
  }

  private childStatus(s: Supervised, timeoutMs: number, options: StatusOptions = {}): Promise<unknown> {
    const child = s.process;
    if (!child?.connected) return Promise.resolve(undefined);
    const id = ++this.requestId;
    return new Promise((resolve) => {
      // A child that dies before it answers (KILLed, say) answers nothing: no wait for the timeout.
      const done = (status: unknown): void => {
        clearTimeout(timer);
        child.off('message', listener);
        child.off('exit', onExit);
        resolve(status);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const listener = (m: FromChild): void => { if (m.type === 'status' && m.id === id) done(m.status); };
      const onExit = (): void => done(undefined);
      child.on('message', listener);
      child.on('exit', onExit);
      this.send(s, { type: 'status', id, ...options });
    });
  }

  /**
   * Stops the children (each gets STOP_GRACE_MS, then KILL), cleans the state directory and exits. The
   * VRRP child goes first, the checker once it has gone: the director gives its VIPs up (a master's
   * priority-0 advert) before its virtual services go, and the VRRP child's last notify_fifo lines
   * (STOP) still find the FIFO's reader, which the checker child runs and stops with itself.
   */
  async stop(reason: string, exitCode = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    log('info', `stopping (${reason})`);
    for (const s of this.children.values()) clearTimeout(s.respawnTimer);
    const order = [...this.children.values()].sort((a, b) => Number(b.role === 'vrrp') - Number(a.role === 'vrrp'));
    for (const s of order) {
      const child = s.process;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      this.send(s, { type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    }
    await this.control?.close();
    this.metrics?.server.close();
    this.metrics?.server.closeAllConnections();
    rmSync(this.pidFile, { force: true });
    log('info', 'stopped');
    process.exit(exitCode);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

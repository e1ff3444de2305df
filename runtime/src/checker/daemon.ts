// The checker child: runs every real server's health checks (scheduler.ts), turns their results into
// each virtual server's destinations (pool.ts) and keeps the dataplane (IPVS or nftables) in step,
// running notify_up/notify_down and quorum_up/quorum_down and sending alerts on the way.
//
// The kernel forwards on its own: while this process is dead (killed, respawning) the table it left
// keeps forwarding. A respawned child picks up the health it saved in the state directory, so its
// first apply reproduces that table instead of starting every server afresh; a graceful stop removes
// the services, as keepalived does.
//
// A reload applies the new configuration to the dataplane before anything else changes: a
// configuration the dataplane refuses (a scheduler the kernel lacks, DR under nftables) is refused
// whole and the running one stays. Checks whose definition did not change keep their state.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ChildRole } from '../watchdog/child.ts';
import type { Dataplane, ServiceTraffic, VirtualService } from '../lb/model.ts';
import { openDataplane } from '../lb/open.ts';
import { Notifier, NotifyTally } from '../notify/notifier.ts';
import { CHECK_DURATION_BUCKETS, emptyHistogram, observe, type HistogramCounts } from '../metrics/histogram.ts';
import type { CheckResult } from './check.ts';
import { NotifyFifos } from '../notify/fifo.ts';
import { log } from '../log.ts';
import type { LocalAddresses } from './local-addresses.ts';
import { raiseFileLimit } from '../net/native.ts';
import { checkerPlan, type CheckerPlan, type PlannedRealServer, type PlannedVirtualServer } from './from-config.ts';
import { nextQuorum, poolDestinations, poolServices, poolWeight } from './pool.ts';
import { CheckScheduler, checkKey, type ScheduleEvent, type ServerChecks, type ServerHealth } from './scheduler.ts';

/** How often the kernel's table is read back and drift repaired. */
const REPAIR_INTERVAL_MS = 10_000;
/**
 * First runs are staggered this far apart (10,000 a second): thousands of checks started in the same
 * instant would overflow the real servers' SYN backlogs (a dropped SYN costs a 1 s retransmit) and
 * would stay bunched in every later round, since each round follows the end of the one before.
 */
const FIRST_RUN_SPACING_MS = 0.1;
/** Descriptors beyond one per check: netlink and nft pipes, notify scripts, the IPC channel. */
const SPARE_DESCRIPTORS = 256;
/** Transitions kept for `keepalive status`. */
const RECENT_EVENTS = 50;
/**
 * How long a status waits for the dataplane's traffic counters (behind an apply under way, say)
 * before it answers with the last ones read, well within the watchdog's wait for a scrape.
 */
const TRAFFIC_WAIT_MS = 300;

/** A check's runs, for the metrics: outcomes, and how long they took. */
interface CheckRuns {
  passed: number;
  failed: number;
  /** In seconds, in CHECK_DURATION_BUCKETS. */
  durations: HistogramCounts;
}

/** What a respawned child needs to resume: each check's state, by check key (scheduler.ts checkKey). */
interface SavedHealth {
  /** The watchdog the state belongs to: state saved under another one is stale. */
  watchdogPid: number;
  checks: Record<string, { definition: string; up: boolean }>;
  quorum: Record<string, boolean>;
}

interface Running {
  plan: CheckerPlan;
  scheduler: CheckScheduler;
  /** Real servers by id, with their virtual server. */
  servers: Map<string, { vs: PlannedVirtualServer; rs: PlannedRealServer }>;
  /** Each check's definition (spec and timing), by check key: what decides whether a reload keeps its state. */
  definitions: Map<string, string>;
  /** Whether each virtual server has quorum, by pool key. */
  quorum: Map<string, boolean>;
  /** Each virtual server's pool weight (pool.ts poolWeight), kept up to date by transitions, by pool key. */
  weight: Map<string, number>;
  /** Each real server's last health, for telling transitions. */
  health: Map<string, ServerHealth>;
}

export interface CheckerDaemonOptions {
  /** Where the health a respawned child resumes from is kept; unset: nowhere (every start is fresh). */
  stateDir?: string;
}

export class CheckerDaemon implements ChildRole {
  private readonly healthFile: string | undefined;
  private running: Running | undefined;
  private dataplane: Dataplane | undefined;
  private dataplaneChoice: string | undefined;
  private notifier: Notifier | undefined;
  private readonly fifos = new NotifyFifos();
  private appliedAt: string | undefined;
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private lastSync: { at: string; ok: boolean; ms: number; error?: string } | undefined;
  private repairs = { runs: 0, drifted: 0, last: [] as string[] };
  private repairTimer: NodeJS.Timeout | undefined;
  private readonly events: { at: string; message: string }[] = [];
  /** Opened only when a virtual server has ha_suspend. */
  private localAddresses: LocalAddresses | undefined;
  /** Each check's runs since the child started, by check key: a reload keeps those of checks that stay. */
  private readonly checkRuns = new Map<string, CheckRuns>();
  private readonly notifyTally = new NotifyTally();
  /** The dataplane's traffic counters as last read, and the read under way. */
  private traffic: ServiceTraffic[] | undefined;
  private trafficRead: Promise<void> | undefined;
  private trafficError: string | undefined;

  constructor({ stateDir }: CheckerDaemonOptions = {}) {
    this.healthFile = stateDir === undefined ? undefined : `${stateDir}/checker-health.json`;
  }

  async apply(config: unknown): Promise<void> {
    const plan = checkerPlan(config);
    this.ensureDescriptors(plan);
    const previous = this.running;
    const saved = previous ? undefined : this.readSavedHealth();
    const next = this.prepare(plan, previous, saved);
    await this.switchDataplane(plan);
    await this.watchAddresses(plan);
    // The new table first: if the dataplane refuses it, nothing else changed.
    if (this.dataplane) {
      try {
        await this.serialized(() => this.dataplane!.apply(this.desiredServices(next)));
      } catch (error) {
        // Put the running table back; if even that fails, the refusal below is still what the caller
        // must hear (the next sync or drift repair tries again).
        if (previous) await this.serialized(() => this.dataplane!.apply(this.desiredServices(previous))).catch(() => {});
        next.scheduler.stop().catch(() => {});
        throw error;
      }
    }
    this.running = next;
    for (const key of this.checkRuns.keys()) if (!next.definitions.has(key)) this.checkRuns.delete(key);
    this.fifos.sync(plan.notifier.fifos);
    this.notifier = new Notifier(plan.notifier, this.fifos, this.notifyTally);
    // A reload can move quorum by itself (real servers added or removed): that is a transition too.
    for (const vs of plan.virtualServers) {
      const had = previous?.quorum.get(vs.pool.key);
      const has = next.quorum.get(vs.pool.key)!;
      if (had !== undefined && had !== has) this.quorumChanged(vs, has, next.weight.get(vs.pool.key)!);
    }
    // The old checks' runs under way end within their own timeouts; their results are dropped.
    void previous?.scheduler.stop();
    next.scheduler.start();
    this.appliedAt = new Date().toISOString();
    this.requestSync();
    clearInterval(this.repairTimer);
    this.repairTimer = this.dataplane ? setInterval(() => void this.repair(), REPAIR_INTERVAL_MS) : undefined;
  }

  /**
   * Every check may be in flight at once, each holding a socket (or a script's pipes): the default
   * limit of 1,024 open files would fail checks with EMFILE from about a thousand real servers on.
   */
  private ensureDescriptors(plan: CheckerPlan): void {
    const checks = plan.virtualServers.reduce((n, vs) => n + vs.realServers.reduce((m, rs) => m + rs.checks.length, 0), 0);
    const wanted = checks + SPARE_DESCRIPTORS;
    const limit = raiseFileLimit(wanted);
    if (limit < wanted) {
      log('warn', `${checks} checks may run at once, but the open-file limit is ${limit}: checks beyond it fail with EMFILE until the limit is raised (LimitNOFILE= in a systemd unit, ulimit -n)`);
    }
  }

  /** The scheduler and state for a plan, carrying over what the previous one (or the saved file) knew. */
  private prepare(plan: CheckerPlan, previous: Running | undefined, saved: SavedHealth | undefined): Running {
    const servers = new Map<string, { vs: PlannedVirtualServer; rs: PlannedRealServer }>();
    const definitions = new Map<string, string>();
    const scheduled: ServerChecks[] = [];
    let order = 0;
    for (const vs of plan.virtualServers) {
      for (const rs of vs.realServers) {
        servers.set(rs.id, { vs, rs });
        scheduled.push({
          id: rs.id,
          weight: rs.weight,
          checks: rs.checks.map((c) => {
            const key = checkKey(rs.id, c.id);
            const definition = JSON.stringify([c.spec, c.timing]);
            definitions.set(key, definition);
            const kept = previous?.definitions.get(key) === definition ? previous.scheduler.check(rs.id, c.id).up
              : saved?.checks[key]?.definition === definition ? saved.checks[key].up : undefined;
            return {
              id: c.id, timing: c.timing, spec: c.spec,
              startUp: kept ?? !vs.alpha,
              firstRunInMs: kept === undefined && c.warmupMs > 0 ? Math.random() * c.warmupMs : FIRST_RUN_SPACING_MS * order++,
            };
          }),
        });
      }
    }
    const scheduler = new CheckScheduler(scheduled, {
      onEvent: (event) => this.onEvent(event),
      onRun: (server, check, result) => this.countRun(checkKey(server, check), result),
    });
    const health = new Map([...servers.keys()].map((id) => [id, scheduler.server(id)]));
    const quorum = new Map<string, boolean>();
    const weight = new Map<string, number>();
    for (const vs of plan.virtualServers) {
      const had = previous?.quorum.get(vs.pool.key) ?? saved?.quorum[vs.pool.key] ?? true;
      const w = poolWeight(vs.pool, (id) => health.get(id)!);
      weight.set(vs.pool.key, w);
      quorum.set(vs.pool.key, nextQuorum(had, w, vs.pool.quorum, vs.pool.hysteresis));
    }
    return { plan, scheduler, servers, definitions, quorum, weight, health };
  }

  /** Opens the dataplane the plan asks for, when it has virtual servers; a changed choice replaces the old one. */
  private async switchDataplane(plan: CheckerPlan): Promise<void> {
    const wanted = plan.virtualServers.length > 0 ? plan.dataplane : undefined;
    if (wanted === this.dataplaneChoice) return;
    if (this.dataplane) {
      await this.serialized(() => this.dataplane!.close());
      this.dataplane = undefined;
    }
    this.dataplaneChoice = undefined;
    if (wanted === undefined) return;
    this.traffic = undefined;
    this.dataplane = await openDataplane(wanted);
    this.dataplaneChoice = wanted;
    const { kind, reason } = this.dataplane.describe();
    log('info', `dataplane ${kind}: ${reason}`);
  }

  /** Follows the host's addresses while some virtual server has ha_suspend; a change is a sync. */
  private async watchAddresses(plan: CheckerPlan): Promise<void> {
    const wanted = plan.virtualServers.some((vs) => vs.haSuspend);
    if (wanted && !this.localAddresses) {
      const { LocalAddresses } = await import('./local-addresses.ts');
      this.localAddresses = await LocalAddresses.open(() => this.requestSync());
    } else if (!wanted && this.localAddresses) {
      this.localAddresses.close();
      this.localAddresses = undefined;
    }
  }

  /** Whether a service is suspended (ha_suspend, and the host does not hold its address); fwmark services never are. */
  private suspended(vs: PlannedVirtualServer, service: VirtualService): boolean {
    return vs.haSuspend && service.fwmark === undefined && this.localAddresses?.has(service.address) === false;
  }

  private desiredServices(r: Running): VirtualService[] {
    const health = (id: string) => r.scheduler.server(id);
    return r.plan.virtualServers.flatMap((vs) => poolServices(vs.pool, poolDestinations(vs.pool, health, r.quorum.get(vs.pool.key)!))
      .filter((service) => !this.suspended(vs, service)));
  }

  private countRun(key: string, result: CheckResult): void {
    let runs = this.checkRuns.get(key);
    if (!runs) this.checkRuns.set(key, runs = { passed: 0, failed: 0, durations: emptyHistogram(CHECK_DURATION_BUCKETS) });
    if (result.ok) runs.passed++;
    else runs.failed++;
    observe(runs.durations, CHECK_DURATION_BUCKETS, result.ms / 1000);
  }

  /**
   * The dataplane's traffic counters, read now, or the last ones read when the read takes longer than
   * TRAFFIC_WAIT_MS. Reads queue behind applies: a read between an apply's read-back of the counters
   * and its new table (nftables carries them over) could see more than the new table starts from.
   */
  private async readTraffic(): Promise<ServiceTraffic[] | undefined> {
    const dataplane = this.dataplane;
    if (!dataplane) return undefined;
    this.trafficRead ??= this.serialized(() => dataplane.traffic()).then(
      (traffic) => {
        if (this.dataplane === dataplane) this.traffic = traffic;
        this.trafficError = undefined;
      },
      (error: Error) => {
        // Once per distinct failure, not at every scrape.
        if (error.message !== this.trafficError) log('warn', `dataplane: cannot read the traffic counters: ${error.message}`);
        this.trafficError = error.message;
      },
    ).finally(() => { this.trafficRead = undefined; });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.trafficRead, new Promise((resolve) => { timer = setTimeout(resolve, TRAFFIC_WAIT_MS); })]);
    clearTimeout(timer);
    return this.traffic;
  }

  private onEvent(event: ScheduleEvent): void {
    const r = this.running;
    if (!r) return;
    if (event.kind === 'check') {
      this.record(`${event.server}: ${event.check} ${event.up ? 'passed' : 'failed'}: ${event.reason}`);
      return;
    }
    const entry = r.servers.get(event.server);
    if (!entry) return;
    const { vs, rs } = entry;
    const before = r.health.get(rs.id);
    r.health.set(rs.id, { up: event.up, weight: event.weight });
    // The pool weight moves by this server's change alone: no pass over the pool per transition.
    const counted = (h: ServerHealth | undefined): number => (h?.up ? h.weight : 0);
    r.weight.set(vs.pool.key, r.weight.get(vs.pool.key)! - counted(before) + counted(event));
    if (before?.up !== event.up) {
      // Logged in keepalived's words, which its users' log alerts look for.
      const inhibit = vs.pool.realServers.find((p) => p.id === rs.id)?.inhibitOnFailure === true;
      const verb = event.up ? (inhibit ? 'Enabling' : 'Adding') : (inhibit ? 'Disabling' : 'Removing');
      this.record(`real server ${rs.name} of ${vs.pool.key} is ${event.up ? 'UP' : 'DOWN'}`,
        `${verb} service ${rs.fifoName} ${inhibit ? 'of' : event.up ? 'to' : 'from'} VS ${vs.fifoName}`);
      const script = event.up ? rs.notifyUp : rs.notifyDown;
      this.notifier?.fifoLine(`RS ${rs.fifoName} ${vs.fifoName} ${event.up ? 'UP' : 'DOWN'}`);
      const kind = event.up ? 'notify_up' : 'notify_down';
      if (script) this.notifier?.script(`real server ${rs.name} of ${vs.pool.key}`, kind, script, [], `${kind} of ${rs.name}`);
      if (vs.smtpAlert) {
        this.notifier?.mail({
          subject: `[${this.notifier.routerId}] Realserver ${rs.name} of virtual server ${vs.pool.key} - ${event.up ? 'UP' : 'DOWN'}`,
          body: `=> ${event.up ? 'Real server passed its checks' : 'Real server failed a check'}: ${rs.name} of ${vs.pool.key} <=\n`,
        });
      }
    } else {
      this.record(`real server ${rs.name} of ${vs.pool.key}: weight ${before.weight} -> ${event.weight}`);
    }
    this.updateQuorum(r, vs);
    this.requestSync();
  }

  private updateQuorum(r: Running, vs: PlannedVirtualServer): void {
    const had = r.quorum.get(vs.pool.key)!;
    const weight = r.weight.get(vs.pool.key)!;
    const has = nextQuorum(had, weight, vs.pool.quorum, vs.pool.hysteresis);
    if (has === had) return;
    r.quorum.set(vs.pool.key, has);
    this.quorumChanged(vs, has, weight);
  }

  /** Records a quorum transition and runs what it triggers (quorum_up/quorum_down, an alert). */
  private quorumChanged(vs: PlannedVirtualServer, has: boolean, weight: number): void {
    const sorry = vs.pool.sorryServer ? `; sorry server ${has ? 'leaves' : 'takes over'}` : '';
    this.record(`${vs.pool.key}: quorum ${has ? 'regained' : 'lost'} (weight ${weight}, quorum ${vs.pool.quorum}, hysteresis ${vs.pool.hysteresis})${sorry}`);
    const script = has ? vs.quorumUp : vs.quorumDown;
    this.notifier?.fifoLine(`VS ${vs.fifoName} ${has ? 'UP' : 'DOWN'}`);
    const kind = has ? 'quorum_up' : 'quorum_down';
    if (script) this.notifier?.script(`quorum of ${vs.pool.key}`, kind, script, [], `${kind} of ${vs.pool.key}`);
    if (vs.smtpAlert) {
      this.notifier?.mail({
        subject: `[${this.notifier.routerId}] Virtual server ${vs.pool.key} - quorum ${has ? 'UP' : 'DOWN'}`,
        body: `=> Virtual server ${vs.pool.key}: quorum ${has ? 'regained' : 'lost'}, weight ${weight} <=\n`,
      });
    }
  }

  /** An event for `status`, logged as `logLine` (the event itself unless given). */
  private record(message: string, logLine = message): void {
    log('info', logLine);
    this.events.push({ at: new Date().toISOString(), message });
    if (this.events.length > RECENT_EVENTS) this.events.shift();
  }

  /** Dataplane calls run one at a time: a sync never interleaves with an apply or a repair. */
  private dataplaneQueue: Promise<unknown> = Promise.resolve();
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.dataplaneQueue.then(work);
    this.dataplaneQueue = result.catch(() => {});
    return result;
  }

  /**
   * Brings the dataplane in line with the current health. Transitions that arrive while a sync runs
   * are coalesced into one more sync after it, so a burst of them costs two applies, not one each.
   */
  private requestSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        const r = this.running;
        if (!r || !this.dataplane) break;
        const started = performance.now();
        try {
          await this.serialized(() => this.dataplane!.apply(this.desiredServices(r)));
          this.lastSync = { at: new Date().toISOString(), ok: true, ms: performance.now() - started };
          this.saveHealth(r);
        } catch (error) {
          this.lastSync = { at: new Date().toISOString(), ok: false, ms: performance.now() - started, error: (error as Error).message };
          log('error', `dataplane: ${(error as Error).message}`);
        }
      } while (this.syncAgain);
      this.syncing = undefined;
    })();
  }

  private async repair(): Promise<void> {
    if (!this.dataplane || this.syncing) return;
    try {
      const drift = await this.serialized(() => this.dataplane!.repair());
      this.repairs.runs++;
      if (drift.length > 0) {
        this.repairs.drifted++;
        this.repairs.last = drift.slice(0, 20);
        this.record(`dataplane: repaired drift: ${drift.slice(0, 5).join('; ')}${drift.length > 5 ? ` (+${drift.length - 5} more)` : ''}`);
      }
    } catch (error) {
      log('error', `dataplane drift check: ${(error as Error).message}`);
    }
  }

  private readSavedHealth(): SavedHealth | undefined {
    if (!this.healthFile) return undefined;
    try {
      const saved = JSON.parse(readFileSync(this.healthFile, 'utf8')) as SavedHealth;
      return saved.watchdogPid === process.ppid ? saved : undefined;
    } catch {
      return undefined; // none yet, or unreadable: start fresh
    }
  }

  private saveHealth(r: Running): void {
    if (!this.healthFile) return;
    const checks: SavedHealth['checks'] = {};
    for (const [key, definition] of r.definitions) {
      const [server, check] = key.split('\u0000') as [string, string];
      checks[key] = { definition, up: r.scheduler.check(server, check).up };
    }
    const saved: SavedHealth = { watchdogPid: process.ppid, checks, quorum: Object.fromEntries(r.quorum) };
    try {
      writeFileSync(`${this.healthFile}.tmp`, JSON.stringify(saved));
      renameSync(`${this.healthFile}.tmp`, this.healthFile);
    } catch (error) {
      log('warn', `cannot save checker health to ${this.healthFile}: ${(error as Error).message}`);
    }
  }

  async status({ traffic }: { traffic: boolean }): Promise<unknown> {
    const r = this.running;
    const counted = traffic ? await this.readTraffic() : undefined;
    return {
      ...(counted ? { traffic: counted } : {}),
      notifyScripts: this.notifyTally.counts(),
      configAppliedAt: this.appliedAt,
      dataplane: this.dataplane?.describe(),
      lastSync: this.lastSync,
      repairs: this.repairs,
      lateness: r?.scheduler.lateness.summary(),
      virtualServers: r ? r.plan.virtualServers.map((vs) => {
        const health = (id: string) => r.scheduler.server(id);
        const hasQuorum = r.quorum.get(vs.pool.key)!;
        const table = new Map(poolDestinations(vs.pool, health, hasQuorum).map((d) => [`${d.address} ${d.port}`, d.weight]));
        return {
          key: vs.pool.key,
          services: vs.pool.services.map((s) => s.key),
          suspended: vs.pool.services.filter((s) => this.suspended(vs, { ...s, destinations: [] })).map((s) => s.key),
          scheduler: vs.pool.services[0]?.scheduler,
          quorum: { up: hasQuorum, weight: r.weight.get(vs.pool.key)!, quorum: vs.pool.quorum, hysteresis: vs.pool.hysteresis },
          ...(vs.pool.sorryServer ? { sorryServer: { address: vs.pool.sorryServer.address, port: vs.pool.sorryServer.port, active: !hasQuorum } } : {}),
          realServers: vs.realServers.map((rs, i) => {
            const pool = vs.pool.realServers[i]!;
            const h = health(rs.id);
            const inTable = table.get(`${pool.address} ${pool.port}`);
            return {
              name: rs.name, up: h.up, weight: h.weight, configuredWeight: rs.weight,
              // The weight the dataplane has for it, or null when it is out of the table.
              inTable: inTable ?? null,
              checks: rs.checks.map((c) => {
                const state = r.scheduler.check(rs.id, c.id);
                const runs = this.checkRuns.get(checkKey(rs.id, c.id));
                return {
                  id: c.id, kind: c.spec.kind, up: state.up, last: state.last ? { ok: state.last.ok, reason: state.last.reason, ms: Math.round(state.last.ms) } : null,
                  passed: runs?.passed ?? 0, failed: runs?.failed ?? 0, durations: runs?.durations ?? emptyHistogram(CHECK_DURATION_BUCKETS),
                };
              }),
            };
          }),
        };
      }) : [],
      events: this.events.slice(-10),
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.repairTimer);
    const r = this.running;
    this.running = undefined;
    await r?.scheduler.stop();
    if (r) {
      for (const vs of r.plan.virtualServers) {
        if (!vs.omega) continue;
        if (vs.quorumDown) this.notifier?.script(`quorum of ${vs.pool.key}`, 'quorum_down', vs.quorumDown, [], `quorum_down of ${vs.pool.key} (omega, at shutdown)`);
        for (const rs of vs.realServers) {
          if (rs.notifyDown && r.health.get(rs.id)?.up) this.notifier?.script(`real server ${rs.name} of ${vs.pool.key}`, 'notify_down', rs.notifyDown, [], `notify_down of ${rs.name} (omega, at shutdown)`);
        }
      }
    }
    await this.syncing;
    if (this.dataplane) {
      try {
        await this.serialized(() => this.dataplane!.close());
      } catch (error) {
        log('error', `dataplane: cannot remove the services: ${(error as Error).message}`);
      }
    }
    this.localAddresses?.close();
    if (this.healthFile) rmSync(this.healthFile, { force: true });
    await this.notifier?.drain();
    this.fifos.close();
  }
}

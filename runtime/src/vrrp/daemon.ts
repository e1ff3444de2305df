// The VRRP child: every configured instance, the sockets they share, their trackers and notifiers.
// A reload applies the difference: an instance whose identity (interface, VRID, family, version)
// is unchanged is updated in place, so a priority or address change causes no flap.
import type { ChildRole } from '../watchdog/child.ts';
import { decodeAdvert } from './packet.ts';
import { splitAh, type AhPacket } from './ipsec-ah.ts';
import { IPPROTO_AH, IPPROTO_VRRP } from '../net/linux.ts';
import { InstanceRunner } from './instance.ts';
import { ProcessScanner } from './processes.ts';
import { effectivePriority, FileTracker, ScriptTracker, type ScriptCheck, type TrackerReading } from './tracking.ts';
import { vrrpPlan, type VrrpPlan } from './from-config.ts';
import { openNetwork, type VrrpNetwork, type ReceivedPacket, type VrrpProtocol } from './network.ts';
import type { InstanceSpec, SyncGroupSpec } from './spec.ts';
import { nextSyncGroupState, type SyncGroupState } from './sync-group.ts';
import { NoAcceptFilter } from './no-accept.ts';
import type { TransitionRecord } from '../control/status.ts';
import { Notifier, NotifyTally } from '../notify/notifier.ts';
import { NotifyFifos } from '../notify/fifo.ts';
import { log } from '../log.ts';
import { SyncDaemonDriver } from '../lb/ipvs/sync-daemon.ts';
import { kernelIndexOf, routingEntries, RoutingKeeper } from './routing.ts';
import type { VrrpState } from './state-machine.ts';
import type { StatusOptions } from '../watchdog/messages.ts';
import type { ScriptFacts, VrrpDumpFacts } from '../dumps/facts.ts';

const identity = (s: InstanceSpec): string => `${s.interface}/${s.family}/${s.vrid}/v${s.version}/${s.unicast ? 'unicast' : 'multicast'}`;

export class VrrpDaemon implements ChildRole {
  private network: VrrpNetwork | undefined;
  private readonly instances = new Map<string, InstanceRunner>();
  /** Instances by interface, family and VRID: how a received advert finds its instance. */
  private byVrid = new Map<string, InstanceRunner>();
  private readonly listeners = new Map<string, () => void>();
  private scripts = new Map<string, ScriptTracker>();
  private files = new Map<string, FileTracker>();
  private readonly processes = new ProcessScanner(() => this.retrack());
  private notifier: Notifier | undefined;
  private readonly notifyTally = new NotifyTally();
  /** Who notify scripts run as, and the static addresses (the dumps say). */
  private scriptUser: VrrpPlan['scriptUser'] | undefined;
  private staticAddresses: readonly string[] = [];
  private syncGroups = new Map<string, SyncGroupSpec>();
  /** Each sync group's state as last announced (kept across reloads, so a reload announces nothing). */
  private readonly syncGroupStates = new Map<string, SyncGroupState>();
  private readonly noAccept = new NoAcceptFilter();
  private readonly fifos = new NotifyFifos();
  /** lvs_sync_daemon: driven from here, on the named instance's transitions (see sync-daemon.ts). */
  private readonly syncDaemon = new SyncDaemonDriver();
  /**
   * Virtual and static routes, rules and addresses; opened with the first configuration that has
   * any, so that hosts without them do not read every route change of the kernel.
   */
  private routing: RoutingKeeper | undefined;
  /** vrrp_startup_delay: until then (ms since the epoch, set at the first apply) instances wait to start. */
  private startupUntil: number | undefined;
  private startupTimer: NodeJS.Timeout | undefined;
  private readonly waitingToStart = new Set<InstanceRunner>();
  /** Packets dropped before they could be matched to an instance, by reason. */
  private readonly rejects: Record<string, number> = {};
  private packetsReceived = 0;

  async apply(config: unknown): Promise<void> {
    const plan = vrrpPlan(config);
    // Interfaces are looked up before anything changes: a route through one that is not there
    // refuses the whole configuration, and a running one stays in force.
    const routing = routingEntries(plan, kernelIndexOf);
    const synced = plan.lvsSyncDaemon?.instance;
    await this.syncDaemon.configure(plan.lvsSyncDaemon, plan.instances.find((s) => s.name === synced)?.vrid, synced === undefined ? undefined : this.instances.get(synced)?.state);
    this.network ??= await openNetwork(() => this.retrack());
    this.fifos.sync(plan.notifier.fifos);
    this.notifier = new Notifier(plan.notifier, this.fifos, this.notifyTally);
    this.scriptUser = plan.scriptUser;
    this.staticAddresses = plan.statics.addresses.map((a) => a.address);
    this.syncGroups = new Map(plan.syncGroups.map((g) => [g.name, g]));
    for (const name of this.syncGroupStates.keys()) if (!this.syncGroups.has(name)) this.syncGroupStates.delete(name);

    // Instances removed, or whose identity changed, stop first (a master resigns).
    for (const [name, runner] of this.instances) {
      const next = plan.instances.find((s) => s.name === name);
      if (!next || identity(next) !== identity(runner.spec)) {
        await runner.stop();
        this.instances.delete(name);
        await this.routing?.forget(name);
      }
    }
    if (this.routing || routing.statics.length > 0 || [...routing.instances.values()].some((e) => e.length > 0)) {
      this.routing ??= new RoutingKeeper((instance, entry) => this.instances.get(instance)?.resign(`${entry.label} was deleted`));
      await this.routing.setStatic(routing.statics);
      for (const [name, entries] of routing.instances) await this.routing.configure(name, entries);
    }
    this.restartTrackers(plan);
    await this.listen(plan);
    const added: InstanceRunner[] = [];
    for (const spec of plan.instances) {
      const running = this.instances.get(spec.name);
      if (running) {
        running.update(spec);
        continue;
      }
      const runner = new InstanceRunner(spec, this.network, (i, record, priority) => this.transition(i, record, priority), {
        activate: (name) => this.routing?.activate(name) ?? Promise.resolve(),
        deactivate: (name) => this.routing?.deactivate(name) ?? Promise.resolve(),
      });
      this.instances.set(spec.name, runner);
      added.push(runner);
    }
    this.byVrid = new Map([...this.instances.values()].map((r) => [`${r.spec.interface}/${r.spec.family}/${r.spec.vrid}`, r]));
    // Trackers first, so that an instance whose interface is already down starts in Fault.
    this.retrack();
    this.startupUntil ??= Date.now() + plan.startupDelayMs;
    for (const runner of added) {
      if (Date.now() < this.startupUntil) this.startLater(runner);
      else await runner.start();
    }
    // A reload may have turned accept mode on or off for a running master.
    await this.updateNoAccept();
  }

  /**
   * Opens one receiving socket per interface and family in use, and one for AH (protocol 51) per
   * interface with an instance under auth_type AH; closes the ones no longer used. Protocol 112 is
   * listened to even there, so that an advert without AH for an AH instance is counted.
   */
  private async listen(plan: VrrpPlan): Promise<void> {
    const wanted = new Map<string, { spec: InstanceSpec; protocol: VrrpProtocol }>();
    for (const s of plan.instances) {
      wanted.set(`${s.interface}/${s.family}/${IPPROTO_VRRP}`, { spec: s, protocol: IPPROTO_VRRP });
      if (s.authentication?.type === 'AH') wanted.set(`${s.interface}/${s.family}/${IPPROTO_AH}`, { spec: s, protocol: IPPROTO_AH });
    }
    for (const [key, close] of this.listeners) {
      if (!wanted.has(key)) { close(); this.listeners.delete(key); }
    }
    for (const [key, { spec: s, protocol }] of wanted) {
      if (this.listeners.has(key)) continue;
      const groups = [...new Set(plan.instances.filter((x) => x.interface === s.interface && x.family === s.family && !x.unicast).map((x) => x.multicastGroup))];
      this.listeners.set(key, await this.network!.listen(s.interface, s.family, protocol, groups, (p) => this.receive(s.interface, s.family, protocol, p)));
    }
  }

  private drop(reason: string): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
  }

  private receive(ifname: string, family: 4 | 6, protocol: VrrpProtocol, p: ReceivedPacket): void {
    this.packetsReceived++;
    let message = p.data;
    let ah: AhPacket | undefined;
    if (protocol === IPPROTO_AH) {
      // AH is listened to on IPv4 sockets only, which always hand over the IP header.
      const split = splitAh(p.ipHeader!, p.data);
      if (!split.ok) {
        this.drop(split.reason);
        return;
      }
      ah = split.packet;
      message = ah.vrrp;
    }
    const decoded = decodeAdvert(message, { source: p.source, destination: p.destination });
    if (!decoded.ok) {
      this.drop(decoded.reason);
      return;
    }
    const runner = this.byVrid.get(`${ifname}/${family}/${decoded.advert.vrid}`);
    if (!runner) {
      this.drop('unknown-vrid');
      return;
    }
    runner.receive(decoded.advert, p.source, p.ttl, p.receivedAt, ah);
  }

  /** Keeps trackers whose definition is unchanged (their state survives a reload), replaces the rest. */
  private restartTrackers(plan: VrrpPlan): void {
    const scriptKey = (s: ScriptCheck): string => JSON.stringify([s.script, s.user, s.intervalMs, s.timeoutMs, s.rise, s.fall, s.initFail]);
    const wantedScripts = new Map(plan.instances.flatMap((i) => i.trackScripts.map((s) => [s.name, s] as const)));
    for (const [name, tracker] of this.scripts) {
      const next = wantedScripts.get(name);
      if (!next || scriptKey(next) !== scriptKey(tracker.check)) { tracker.stop(); this.scripts.delete(name); }
    }
    for (const [name, s] of wantedScripts) {
      if (this.scripts.has(name)) continue;
      const tracker = new ScriptTracker(s, plan.scriptUser, plan.notifier.scriptSecurity, () => this.retrack());
      this.scripts.set(name, tracker);
      tracker.start();
    }
    const wantedFiles = new Map(plan.instances.flatMap((i) => i.trackFiles.map((f) => [f.name, f] as const)));
    for (const [name, tracker] of this.files) {
      if (wantedFiles.get(name)?.path !== tracker.path) { tracker.stop(); this.files.delete(name); }
    }
    for (const [name, file] of wantedFiles) {
      if (this.files.has(name)) continue;
      const tracker = new FileTracker(file.path, () => this.retrack(), file.init);
      this.files.set(name, tracker);
      void tracker.start();
    }
    this.processes.set(new Map(plan.instances.flatMap((i) => i.trackProcesses.map(({ name, match, quorum, quorumMax, forkDelayMs, terminateDelayMs }) =>
      [name, { match, quorum, ...(quorumMax !== undefined ? { quorumMax } : {}), forkDelayMs, terminateDelayMs }] as const))));
  }

  /**
   * Recomputes every instance's priority and faults from its trackers. A sync group member also takes
   * on the faults of its partners, from their own trackers only: two members never hold each other
   * in Fault.
   */
  private retrack(): void {
    if (!this.network) return;
    const own = new Map<InstanceRunner, { priority: number; faults: string[] }>();
    for (const runner of this.instances.values()) {
      const s = runner.spec;
      const readings: TrackerReading[] = [
        // The instance's own interface is tracked unless dont_track_primary says not: without it, it cannot work.
        ...(s.trackPrimary ? [{ label: `interface ${s.interface}`, weight: 0, reverse: false, ok: this.network.linkUp(s.interface) === true }] : []),
        ...s.trackInterfaces.map((t) => ({ label: `interface ${t.name}`, weight: t.weight, reverse: t.reverse, ok: this.network!.linkUp(t.name) === true })),
        ...s.trackScripts.map((t) => ({ label: `script ${t.name}`, weight: t.weight, reverse: t.reverse, ok: this.scripts.get(t.name)?.ok ?? !t.initFail })),
        ...s.trackFiles.map((t) => ({ label: `file ${t.name}`, weight: t.weight, reverse: t.reverse, value: this.files.get(t.name)?.value ?? 0 })),
        // Until the first scan (milliseconds after start, long before any down timer) a process counts as running.
        ...s.trackProcesses.map((t) => ({ label: `process ${t.name}`, weight: t.weight, reverse: t.reverse, ok: this.processes.ok(t.name) ?? true })),
      ];
      own.set(runner, effectivePriority(s.priority, readings));
    }
    for (const [runner, { priority, faults }] of own) {
      const group = runner.spec.syncGroup;
      const inherited = group === undefined ? [] : [...own]
        .filter(([other, o]) => other !== runner && other.spec.syncGroup === group && o.faults.length > 0)
        .map(([other]) => `sync group ${group}: ${other.name} in fault`);
      runner.setPriority(priority);
      runner.setFaults([...faults, ...inherited]);
    }
  }

  private transition(runner: InstanceRunner, record: TransitionRecord, priority: number): void {
    this.notifier?.instanceTransition(runner.spec, record, priority);
    void this.updateNoAccept();
    this.syncDaemon.transition(runner.name, record.to);
    const group = runner.spec.syncGroup;
    if (!group) return;
    this.announceSyncGroup(group, runner, record);
    // Sync groups move together: faults through retrack(); when one member becomes master or backup,
    // the others follow. Deferred, so that the step that made this transition finishes first.
    if (record.to !== 'master' && record.to !== 'backup') return;
    queueMicrotask(() => {
      for (const other of this.instances.values()) {
        if (other !== runner && other.spec.syncGroup === group) other.follow(record.to as 'master' | 'backup', `sync group ${group}: ${runner.name} is ${record.to}`);
      }
    });
  }

  /** Starts an instance once vrrp_startup_delay has passed (its own start errors are logged then). */
  private startLater(runner: InstanceRunner): void {
    if (this.waitingToStart.size === 0) log('info', `vrrp_startup_delay: instances start in ${((this.startupUntil! - Date.now()) / 1000).toFixed(1)} s`);
    this.waitingToStart.add(runner);
    this.startupTimer ??= setTimeout(() => {
      this.startupTimer = undefined;
      const runners = [...this.waitingToStart].filter((r) => this.instances.get(r.name) === r);
      this.waitingToStart.clear();
      for (const r of runners) r.start().catch((error: Error) => log('error', `(${r.name}) start: ${error.message}`));
    }, Math.max(0, this.startupUntil! - Date.now()));
  }

  /** The addresses of masters with accept mode off: packets to them are dropped (no-accept.ts). */
  private updateNoAccept(): Promise<void> {
    const dropped = [...this.instances.values()]
      .filter((r) => r.state === 'master' && !r.spec.acceptMode)
      .flatMap((r) => [...r.spec.virtualAddresses, ...r.spec.excludedAddresses].map((v) => v.address));
    return this.noAccept.set(dropped);
  }

  /** Announces the group's new state, if this member's transition gave it one. */
  private announceSyncGroup(name: string, runner: InstanceRunner, record: TransitionRecord): void {
    const spec = this.syncGroups.get(name);
    if (!spec) return;
    const members = [...this.instances.values()].filter((r) => r.spec.syncGroup === name);
    const next = nextSyncGroupState(this.syncGroupStates.get(name), members.map((r) => (r === runner ? record.to as VrrpState : r.state)));
    if (!next) return;
    this.syncGroupStates.set(name, next);
    log('info', `sync group ${name}: ${next}`);
    this.notifier?.groupTransition(spec, next);
  }

  /**
   * The status; with `dump`, the facts keepalived's data dump shows too (facts.ts). With `clearStats`
   * (keepalived's STATS_CLEAR), the counters are cleared as they are read, in the same turn: no advert
   * counted in between is lost.
   */
  status(options: StatusOptions = {}): unknown {
    const runners = [...this.instances.values()];
    const status = {
      notifyScripts: this.notifyTally.counts(),
      instances: runners.map((r) => r.status()),
      packets: { received: this.packetsReceived, rejects: { ...this.rejects } },
      scripts: [...this.scripts.entries()].map(([name, t]) => ({ name, ok: t.ok, running: t.busy })),
      processTracking: this.processes.status(),
      ...(this.routing && { routing: this.routing.status() }),
      ...(options.dump ? { dump: this.dumpFacts() } : {}),
    };
    if (options.clearStats) for (const r of runners) r.clearCounters();
    return status;
  }

  private dumpFacts(): VrrpDumpFacts {
    const specs = [...this.instances.values()].map((r) => r.spec);
    // The interfaces' own addresses, as keepalived lists them: not the ones it puts there.
    const ours = new Set([...specs.flatMap((s) => [...s.virtualAddresses, ...s.excludedAddresses].map((v) => v.address)), ...this.staticAddresses]);
    return {
      specs,
      syncGroups: [...this.syncGroups.keys()].map((name) => ({ name, state: this.syncGroupStates.get(name) })),
      scripts: [...this.scripts.entries()].map(([name, t]): ScriptFacts => ({
        name, ok: t.ok, running: t.busy, initialized: t.initialized, streak: t.streak, insecure: t.insecure, uid: t.user.uid, gid: t.user.gid,
      })),
      files: [...this.files.entries()].map(([name, t]) => ({ name, value: t.value })),
      processes: this.processes.status().processes,
      ...(this.network ? this.network.dumpFacts(ours) : { interfaces: [], sockets: [] }),
      scriptUser: { uid: this.scriptUser?.uid ?? 0, gid: this.scriptUser?.gid ?? 0 },
    };
  }

  async stop(): Promise<void> {
    clearTimeout(this.startupTimer);
    this.waitingToStart.clear();
    for (const t of this.scripts.values()) t.stop();
    for (const t of this.files.values()) t.stop();
    this.processes.stop();
    await Promise.all([...this.instances.values()].map(async (r) => {
      try { await r.stop(); } catch (error) { log('error', `(${r.name}) stop: ${(error as Error).message}`); }
    }));
    await this.syncDaemon.stop();
    await this.routing?.close();
    await this.notifier?.drain();
    this.fifos.close();
    await this.noAccept.set([]);
    for (const close of this.listeners.values()) close();
    await this.network?.close();
  }
}


// One running VRRP instance: the pure state machine, one timer armed for its next deadline, and the
// actions it asks for carried out through the VRRP child's network edge (adverts, virtual addresses,
// gratuitous ARP / neighbour advertisements) and its notifiers.
import { performance } from 'node:perf_hooks';
import { acceptAdvert, encodeAdvert, AUTH_AH, AUTH_NONE, AUTH_PASSWORD, type Advert } from './packet.ts';
import {
  acceptSequence, afterAdvert, ahKey, nextIdentification, nextSequence, onBecomingMaster, sealAdvert, verifyAh, FRESH_SEQUENCE,
  type AhPacket, type AhSequence,
} from './ipsec-ah.ts';
import { createInstance, nextDeadline, step, type Action, type Event, type Instance } from './state-machine.ts';
import { masterDownIntervalMs, skewTimeMs } from './timers.ts';
import type { InstanceSpec, VirtualAddress } from './spec.ts';
import type { InstanceStatus, TransitionRecord } from '../control/status.ts';
import { log } from '../log.ts';

/** What an instance needs from the network edge. */
export interface InstanceIo {
  sendAdvert(message: Buffer, source: string, destination: string, ifname: string): void;
  /** Sends a whole IPv4 packet, header included: an AH-authenticated advert, whose ICV covers the IP header. */
  sendIpPacket(packet: Buffer, destination: string, ifname: string): void;
  addAddress(ifname: string, vip: VirtualAddress, family: 4 | 6): Promise<void>;
  deleteAddress(ifname: string, vip: VirtualAddress, family: 4 | 6): Promise<void>;
  /** One gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6) for the address. */
  announce(ifname: string, address: string, family: 4 | 6): void;
  /** The interface's primary address of the family (IPv6: its link-local address). */
  primaryAddress(ifname: string, family: 4 | 6): string | undefined;
  /** Creates (or adopts) a macvlan on `parent` with the given MAC, and sets it up. */
  createVmac(name: string, parent: string, mac: string): Promise<void>;
  deleteVmac(name: string): Promise<void>;
}

/** The instance's virtual routes and rules (routing.ts), which follow its MASTER state. */
export interface InstanceRouting {
  /** Became MASTER: called once its addresses are in. */
  activate(instance: string): Promise<void>;
  /** Leaves MASTER, starts or stops: called before its addresses go. */
  deactivate(instance: string): Promise<void>;
}

/** RFC 5798 section 7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6. */
export function virtualMac(family: 4 | 6, vrid: number): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

/** Told of every transition; notify scripts, SMTP alerts and sync groups hang off it. */
export type TransitionListener = (instance: InstanceRunner, record: TransitionRecord, priority: number) => void;

const MAX_TRANSITIONS_KEPT = 50;
/** How early the down timer wakes, to wait out the rest of Master_Down_Interval precisely. */
const TAKEOVER_SPIN_MS = 3;

const emptyCounters = (): InstanceStatus['counters'] & { becomeMaster: number; releaseMaster: number } =>
  ({ advertsSent: 0, advertsReceived: 0, priorityZeroSent: 0, priorityZeroReceived: 0, becomeMaster: 0, releaseMaster: 0, rejects: {} });

/** A monotonic millisecond clock: VRRP timers must not jump with the wall clock. */
const now = (): number => performance.now();

export class InstanceRunner {
  spec: InstanceSpec;
  private machine: Instance;
  private timer: NodeJS.Timeout | undefined;
  private readonly io: InstanceIo;
  private readonly onTransition: TransitionListener;
  private readonly routing: InstanceRouting | undefined;
  private garpTimers: NodeJS.Timeout[] = [];
  private readonly transitions: TransitionRecord[] = [];
  private counters = emptyCounters();
  /** The priority in the master's last advert (keepalived's master_priority). */
  private masterPriority = 0;
  /** When the last transition happened (ms since the epoch; the start when none has). */
  private lastTransitionAt = Date.now();
  /** auth_type AH: the sequence counter (what was last sent or accepted) and the next IPv4 Identification. */
  private ahSequence: AhSequence = FRESH_SEQUENCE;
  private ahIdentification = 1;

  constructor(spec: InstanceSpec, io: InstanceIo, onTransition: TransitionListener, routing?: InstanceRouting) {
    this.spec = spec;
    this.io = io;
    this.onTransition = onTransition;
    this.routing = routing;
    this.machine = createInstance(this.settings(spec));
  }

  private settings(spec: InstanceSpec) {
    const primaryAddress = spec.unicast?.source ?? spec.multicastSource ?? this.io.primaryAddress(spec.interface, spec.family);
    if (!primaryAddress) throw new Error(`${spec.name}: ${spec.interface} has no IPv${spec.family} address to send adverts from`);
    return {
      version: spec.version, intervalCs: spec.intervalCs, priority: spec.priority, preempt: spec.preempt,
      preemptDelayMs: spec.preemptDelayMs, primaryAddress,
    };
  }

  get name(): string { return this.spec.name; }
  get state(): Instance['state'] { return this.machine.state; }

  /** Where the instance's addresses live and its adverts and announcements leave: its VMAC, if it has one. */
  private get sendInterface(): string { return this.spec.vmac ?? this.spec.interface; }

  /** Starts the instance: stale virtual addresses (from a crash) go first, then the RFC's startup. */
  async start(): Promise<void> {
    if (this.spec.vmac) await this.io.createVmac(this.spec.vmac, this.spec.interface, virtualMac(this.spec.family, this.spec.vrid));
    await this.routing?.deactivate(this.name);
    await this.removeAddresses();
    this.dispatch({ type: 'startup', claimMaster: this.spec.startAsMaster });
    // The first takeover is timed by the RFC, and V8 compiles functions on first use: run the
    // takeover path once on a copy (the machine is pure) and encode an advert, so both are compiled
    // before they are needed.
    step(this.machine, { type: 'timer' }, this.machine.downAt ?? now());
    this.encode(this.spec.priority, this.destinations()[0]!);
  }

  /** Stops the instance: a master resigns with priority 0 and releases its addresses. */
  async stop(): Promise<void> {
    this.dispatch({ type: 'shutdown' });
    clearTimeout(this.timer);
    this.cancelAnnouncements();
    await this.routing?.deactivate(this.name);
    await this.removeAddresses();
    if (this.spec.vmac) await this.io.deleteVmac(this.spec.vmac).catch(() => {});
  }

  /**
   * An advert for this VRID, already decoded (from inside its AH, if it came in one): checked against
   * the configuration, then stepped at the time the kernel received it (ms since the epoch), so that
   * the down timer counts from its arrival and not from whenever the event loop read it.
   */
  receive(advert: Advert, source: string, ttl: number, receivedAt: number, ah?: AhPacket): void {
    const peer = this.spec.unicast?.peers.find((p) => p.address === source);
    if (this.spec.unicast && !peer) {
      this.reject('unknown-peer');
      return;
    }
    const auth = this.spec.authentication;
    if ((ah !== undefined) !== (auth?.type === 'AH')) {
      this.reject('auth-mismatch');
      return;
    }
    if (ah && auth) {
      // Nothing in the packet is trusted before its ICV verifies. The counter then moves whatever
      // the later checks say, as keepalived's does.
      const bad = verifyAh(ah, ahKey(auth.password), this.spec.unicast !== undefined);
      const sequence = bad ? undefined : acceptSequence(this.ahSequence, ah.sequence);
      if (!sequence) {
        this.reject(bad?.reason ?? 'auth-sequence');
        return;
      }
      this.ahSequence = sequence;
    }
    const problem = acceptAdvert(advert, ttl, {
      version: this.spec.version, vrid: this.spec.vrid, intervalCs: this.spec.intervalCs,
      addresses: this.spec.virtualAddresses.map((v) => v.address),
      ...(auth === undefined ? {} : { authentication: auth }),
      ...(peer && (peer.minTtl !== undefined || peer.maxTtl !== undefined) ? { ttl: { min: peer.minTtl ?? 0, max: peer.maxTtl ?? 255 } } : {}),
      // vrrp_skip_check_adv_addr: the master already followed had its address list checked once.
      checkAddresses: !(this.spec.skipCheckAdvertAddresses && source === this.machine.masterAddress),
    });
    if (problem) {
      this.reject(problem.reason);
      return;
    }
    this.counters.advertsReceived++;
    if (advert.priority === 0) this.counters.priorityZeroReceived++;
    const arrival = receivedAt - performance.timeOrigin;
    const at = now();
    const was = this.machine.state;
    // A receive time from the future, or from long ago (the wall clock moved), is not trusted.
    this.dispatch({ type: 'advert', priority: advert.priority, intervalCs: advert.intervalCs, source }, arrival <= at && at - arrival < 1000 ? arrival : at);
    if (ah) this.ahSequence = afterAdvert(this.ahSequence, ah.sequence, advert.priority, was, this.machine.state);
    if (this.machine.masterAddress === source) this.masterPriority = advert.priority;
  }

  /** keepalived's STATS_CLEAR: every counter back to 0 (its transitions stay). */
  clearCounters(): void {
    this.counters = emptyCounters();
  }

  reject(reason: string): void {
    this.counters.rejects[reason] = (this.counters.rejects[reason] ?? 0) + 1;
  }

  setPriority(priority: number): void { this.dispatch({ type: 'priority', priority }); }
  setFaults(faults: readonly string[]): void { this.dispatch({ type: 'faults', faults }); }
  follow(to: 'master' | 'backup', reason: string): void { this.dispatch({ type: 'follow', to, reason }); }
  resign(reason: string): void { this.dispatch({ type: 'resign', reason }); }

  /** Steps the machine at `at` (default now), carries out its actions and re-arms the timer. */
  private dispatch(event: Event, at = now()): void {
    const { instance, actions } = step(this.machine, event, at);
    this.machine = instance;
    // Before the first advert as master goes out.
    if (actions.some((a) => a.type === 'transition' && a.to === 'master')) this.ahSequence = onBecomingMaster(this.ahSequence);
    for (const action of actions) this.perform(action);
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const deadline = nextDeadline(this.machine);
    if (deadline === undefined) return;
    // Node's timers have millisecond granularity and fire up to a millisecond or two late. That is
    // fine for sending adverts, but a takeover should happen when Master_Down_Interval says: so the
    // down timer wakes a few milliseconds early and waits out the rest on the clock. It fires only
    // when the master really went silent, so this costs a few milliseconds of CPU per takeover.
    const takeover = this.machine.state === 'backup' && deadline === this.machine.downAt;
    const early = takeover ? TAKEOVER_SPIN_MS : 0;
    this.timer = setTimeout(() => {
      const until = Math.min(deadline, now() + TAKEOVER_SPIN_MS + 1);
      while (now() < until) { /* the last few milliseconds before the deadline */ }
      this.dispatch({ type: 'timer' });
    }, Math.max(0, deadline - now() - early));
  }

  private perform(action: Action): void {
    if (action.type === 'send') {
      this.sendAdvert(action.priority);
      return;
    }
    const record: TransitionRecord = { at: new Date().toISOString(), from: action.from, to: action.to, reason: action.reason };
    this.transitions.push(record);
    if (this.transitions.length > MAX_TRANSITIONS_KEPT) this.transitions.shift();
    this.lastTransitionAt = Date.now();
    if (action.to === 'master') this.counters.becomeMaster++;
    else if (action.from === 'master') this.counters.releaseMaster++;
    // keepalived's words first ("(VI_1) Entering MASTER STATE"), which its users' log alerts look for.
    log('info', `(${this.name}) Entering ${action.to.toUpperCase()} STATE (from ${action.from.toUpperCase()}: ${action.reason})`);
    if (action.to === 'master') {
      void this.addAddresses().then(() => {
        this.announce();
        return this.routing?.activate(this.name);
      });
    } else if (action.from === 'master') {
      this.cancelAnnouncements();
      void (this.routing?.deactivate(this.name) ?? Promise.resolve()).then(() => this.removeAddresses());
    }
    this.onTransition(this, record, this.machine.priority);
  }

  private destinations(): string[] {
    return this.spec.unicast ? this.spec.unicast.peers.map((p) => p.address) : [this.spec.multicastGroup];
  }

  /** The advert to `destination`: the VRRP message, or under AH the whole IPv4 packet around it. */
  private encode(priority: number, destination: string): Buffer {
    const s = this.spec;
    const auth = s.authentication;
    const source = this.machine.settings.primaryAddress;
    const advert: Advert = {
      version: s.version, vrid: s.vrid, priority, intervalCs: s.intervalCs,
      addresses: s.virtualAddresses.map((v) => v.address),
      ...(s.version === 2 ? {
        authType: auth === undefined ? AUTH_NONE : auth.type === 'PASS' ? AUTH_PASSWORD : AUTH_AH,
        authData: Buffer.from(auth?.type === 'PASS' ? auth.password : ''),
      } : {}),
    };
    const message = encodeAdvert(advert, { source, destination });
    if (auth?.type !== 'AH') return message;
    return sealAdvert({
      vrrp: message, source, destination, identification: this.ahIdentification, sequence: this.ahSequence.last,
      key: ahKey(auth.password), unicast: s.unicast !== undefined,
    });
  }

  private sendAdvert(priority: number): void {
    const ah = this.spec.authentication?.type === 'AH';
    // One sequence number and Identification per advert, the same to every unicast peer, as keepalived.
    if (ah) this.ahSequence = nextSequence(this.ahSequence);
    for (const destination of this.destinations()) {
      try {
        const packet = this.encode(priority, destination);
        if (ah) this.io.sendIpPacket(packet, destination, this.sendInterface);
        else this.io.sendAdvert(packet, this.machine.settings.primaryAddress, destination, this.sendInterface);
        this.counters.advertsSent++;
        if (priority === 0) this.counters.priorityZeroSent++;
      } catch (error) {
        log('warn', `(${this.name}) advert to ${destination} not sent: ${(error as Error).message}`);
      }
    }
    if (ah) this.ahIdentification = nextIdentification(this.ahIdentification);
  }

  private allAddresses(): VirtualAddress[] {
    return [...this.spec.virtualAddresses, ...this.spec.excludedAddresses];
  }

  private async addAddresses(): Promise<void> {
    for (const vip of this.allAddresses()) {
      try {
        await this.io.addAddress(vip.device ?? this.sendInterface, vip, this.spec.family);
      } catch (error) {
        log('error', `(${this.name}) cannot add ${vip.address}/${vip.prefixLength}: ${(error as Error).message}`);
      }
    }
  }

  private async removeAddresses(): Promise<void> {
    for (const vip of this.allAddresses()) {
      try {
        await this.io.deleteAddress(vip.device ?? this.sendInterface, vip, this.spec.family);
      } catch {
        // Not there: nothing to release.
      }
    }
  }

  /**
   * Gratuitous ARP / unsolicited NA: a batch at once, another after the delay, then refreshes. What is
   * due now goes now, in this turn of the event loop, as keepalived sends them right after adding the
   * addresses: clients' caches move to this master without waiting for a timer.
   */
  private announce(): void {
    if (this.machine.state !== 'master') return;
    const g = this.spec.garp;
    const send = (): void => {
      if (this.machine.state !== 'master') return;
      for (const vip of this.allAddresses()) this.io.announce(vip.device ?? this.sendInterface, vip.address, this.spec.family);
    };
    const batch = (count: number, startMs: number): void => {
      for (let k = 0; k < count; k++) {
        const at = startMs + k * g.intervalMs;
        if (at === 0) send();
        else this.garpTimers.push(setTimeout(send, at));
      }
    };
    batch(g.repeat, 0);
    if (g.delayMs > 0) batch(g.repeat, g.delayMs);
    if (g.refreshMs > 0) {
      const refresh = setInterval(() => batch(g.refreshRepeat, 0), g.refreshMs);
      this.garpTimers.push(refresh);
    }
  }

  private cancelAnnouncements(): void {
    for (const t of this.garpTimers) clearTimeout(t);
    this.garpTimers = [];
  }

  /** Applies a changed specification in place when only what can change without an election changed. */
  update(spec: InstanceSpec): void {
    const before = this.spec;
    this.spec = spec;
    this.machine = { ...this.machine, settings: this.settings(spec) };
    if (spec.priority !== before.priority) this.setPriority(spec.priority);
    if (this.machine.state === 'master') {
      const gone = before.virtualAddresses.filter((v) => !spec.virtualAddresses.some((w) => w.address === v.address));
      for (const vip of gone) void this.io.deleteAddress(vip.device ?? this.sendInterface, vip, spec.family).catch(() => {});
      void this.addAddresses();
    }
  }

  status(): InstanceStatus {
    const m = this.machine;
    const t = now();
    return {
      name: this.name, interface: this.spec.interface, vrid: this.spec.vrid, version: this.spec.version, family: this.spec.family,
      state: m.state,
      priority: { configured: this.spec.priority, effective: m.priority },
      masterAddress: m.masterAddress,
      faults: [...m.faults],
      virtualAddresses: this.allAddresses().map((v) => `${v.address}/${v.prefixLength}`),
      excludedAddresses: this.spec.excludedAddresses.map((v) => `${v.address}/${v.prefixLength}`),
      addressDevices: Object.fromEntries(this.allAddresses().map((v) => [`${v.address}/${v.prefixLength}`, v.device ?? this.sendInterface])),
      garpDelayMs: this.spec.garp.delayMs,
      lastTransitionAt: new Date(this.lastTransitionAt).toISOString(),
      timers: {
        advertIntervalCs: this.spec.intervalCs,
        masterAdverIntervalCs: m.masterIntervalCs,
        skewTimeMs: skewTimeMs(m.priority, m.masterIntervalCs),
        masterDownIntervalMs: masterDownIntervalMs(m.priority, m.masterIntervalCs),
        nextAdvertInMs: m.advertAt === undefined ? undefined : Math.max(0, m.advertAt - t),
        masterDownInMs: m.downAt === undefined ? undefined : Math.max(0, m.downAt - t),
      },
      counters: { ...this.counters, rejects: { ...this.counters.rejects } },
      transitions: [...this.transitions],
      masterPriority: this.masterPriority,
      sourceAddress: m.settings.primaryAddress,
    };
  }
}

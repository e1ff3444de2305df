// The VRRP state machine of RFC 5798 section 6.4 (and RFC 3768 section 6.4), as a pure function:
// step(instance, event, now) -> { instance, actions }. Time is a number of milliseconds on whatever
// clock the caller uses; the machine keeps deadlines, never timers, so tests drive it with a fake
// clock and the adapter arms one timer for nextDeadline().
//
// Beyond the RFC, as keepalived users expect: a Fault state (a tracked interface is down or a tracker
// says so), an effective priority that tracking adjusts, and preempt_delay.
import { masterDownIntervalMs, skewTimeMs } from './timers.ts';
import { ipToBytes } from '../net/ip.ts';

export type VrrpState = 'initialize' | 'backup' | 'master' | 'fault';

export interface InstanceSettings {
  version: 2 | 3;
  /** Our Advertisement_Interval, in centiseconds. */
  intervalCs: number;
  /** Configured priority: 1..254, or 255 for the address owner. */
  priority: number;
  preempt: boolean;
  /** With preempt, how long to hold off preempting a lower-priority master (ms). */
  preemptDelayMs: number;
  /** Our primary address on the interface, which breaks a tie of equal priorities. */
  primaryAddress: string;
}

export interface Instance {
  readonly settings: InstanceSettings;
  readonly state: VrrpState;
  /** The priority we advertise and elect with: configured, adjusted by tracking. */
  readonly priority: number;
  /** The master's interval as learned from its adverts (v3), or our own. */
  readonly masterIntervalCs: number;
  /** Address of the current master as last seen (ourselves when master). */
  readonly masterAddress: string | undefined;
  readonly downAt: number | undefined;
  readonly advertAt: number | undefined;
  /**
   * With preempt_delay: when we preempt the lower-priority master we are following for now. Set when
   * such a master is first heard, cleared when a master of equal or higher priority is heard.
   */
  readonly preemptAt: number | undefined;
  /** Why the instance is in Fault, if it is. */
  readonly faults: readonly string[];
}

export type Event =
  /** claimMaster: keepalived's `state MASTER`, which takes mastership at once instead of waiting. */
  | { type: 'startup'; claimMaster?: boolean }
  | { type: 'shutdown' }
  | { type: 'timer' }
  | { type: 'advert'; priority: number; intervalCs: number; source: string }
  /** The effective priority changed (tracking weights). */
  | { type: 'priority'; priority: number }
  /** The set of fault reasons changed (tracked interface down, track script in fault, ...). */
  | { type: 'faults'; faults: readonly string[] }
  /** A vrrp_sync_group member became master or backup: the others follow it. */
  | { type: 'follow'; to: 'master' | 'backup'; reason: string }
  /**
   * A master's tracked virtual route or rule was deleted by hand: it resigns (a priority-0 advert)
   * and takes over again after Skew_Time unless a peer has by then, as keepalived's set_vrrp_backup
   * does. Either way the routes are whole again where the VIP is.
   */
  | { type: 'resign'; reason: string };

export type Action =
  | { type: 'send'; priority: number }
  | { type: 'transition'; from: VrrpState; to: VrrpState; reason: string };

export interface StepResult {
  instance: Instance;
  actions: Action[];
}

export function createInstance(settings: InstanceSettings): Instance {
  return {
    settings,
    state: 'initialize',
    priority: settings.priority,
    masterIntervalCs: settings.intervalCs,
    masterAddress: undefined,
    downAt: undefined,
    advertAt: undefined,
    preemptAt: undefined,
    faults: [],
  };
}

/** The earliest deadline the adapter must wake up for, if any. */
export function nextDeadline(i: Instance): number | undefined {
  const times = [i.downAt, i.advertAt, i.preemptAt].filter((t): t is number => t !== undefined);
  return times.length ? Math.min(...times) : undefined;
}

const advertIntervalMs = (i: Instance): number => i.settings.intervalCs * 10;

/** Compares two addresses of one family numerically (RFC 5798: "the primary IP address ... is higher"). */
export function compareAddresses(a: string, b: string): number {
  return Buffer.compare(ipToBytes(a), ipToBytes(b));
}

function toMaster(i: Instance, now: number, reason: string): StepResult {
  return {
    instance: {
      ...i, state: 'master', masterIntervalCs: i.settings.intervalCs, masterAddress: i.settings.primaryAddress,
      downAt: undefined, advertAt: now + advertIntervalMs(i), preemptAt: undefined,
    },
    actions: [{ type: 'send', priority: i.priority }, { type: 'transition', from: i.state, to: 'master', reason }],
  };
}

function toBackup(i: Instance, now: number, reason: string, masterIntervalCs: number, masterAddress: string | undefined): StepResult {
  return {
    instance: {
      ...i, state: 'backup', masterIntervalCs, masterAddress, advertAt: undefined, preemptAt: undefined,
      downAt: now + masterDownIntervalMs(i.priority, masterIntervalCs),
    },
    actions: [{ type: 'transition', from: i.state, to: 'backup', reason }],
  };
}

function toFault(i: Instance, faults: readonly string[]): StepResult {
  const actions: Action[] = [];
  // A master that goes into fault resigns, so that a backup takes over after Skew_Time rather than
  // Master_Down_Interval (when the fault leaves the link usable; if not, the send simply fails).
  if (i.state === 'master') actions.push({ type: 'send', priority: 0 });
  actions.push({ type: 'transition', from: i.state, to: 'fault', reason: faults.join(', ') });
  return {
    instance: { ...i, state: 'fault', faults, downAt: undefined, advertAt: undefined, preemptAt: undefined, masterAddress: undefined },
    actions,
  };
}

/** Initialize -> Master (address owner) or Backup: RFC 5798 section 6.4.1. */
function start(i: Instance, now: number, reason: string, claimMaster = false): StepResult {
  if (i.faults.length > 0) return toFault(i, i.faults);
  if (i.priority === 255) return toMaster(i, now, `${reason}; address owner (priority 255)`);
  if (claimMaster) return toMaster(i, now, `${reason}; configured state MASTER`);
  return toBackup(i, now, reason, i.settings.intervalCs, undefined);
}

export function step(i: Instance, event: Event, now: number): StepResult {
  const same: StepResult = { instance: i, actions: [] };
  switch (event.type) {
    case 'startup':
      return i.state === 'initialize' ? start(i, now, 'startup', event.claimMaster) : same;

    case 'shutdown': {
      if (i.state === 'initialize') return same;
      const actions: Action[] = i.state === 'master' ? [{ type: 'send', priority: 0 }] : [];
      actions.push({ type: 'transition', from: i.state, to: 'initialize', reason: 'shutdown' });
      return {
        instance: { ...i, state: 'initialize', downAt: undefined, advertAt: undefined, preemptAt: undefined, masterAddress: undefined },
        actions,
      };
    }

    case 'faults': {
      const wasFaulty = i.faults.length > 0;
      const withFaults = { ...i, faults: event.faults };
      if (i.state === 'initialize') return { instance: withFaults, actions: [] };
      if (event.faults.length > 0) return i.state === 'fault' ? { instance: withFaults, actions: [] } : toFault(i, event.faults);
      // Every fault has cleared: start over as at startup (keepalived goes to Backup, then elects).
      return wasFaulty ? start(withFaults, now, 'fault cleared') : { instance: withFaults, actions: [] };
    }

    case 'priority': {
      const priority = i.settings.priority === 255 ? 255 : Math.min(254, Math.max(1, event.priority));
      if (priority === i.priority) return same;
      // A master advertises the new priority with its next advert. A backup's skew depends on its
      // priority: the running down timer keeps its deadline, the master's next advert re-arms it.
      return { instance: { ...i, priority }, actions: [] };
    }

    case 'timer': {
      if (i.state === 'backup' && i.downAt !== undefined && now >= i.downAt) {
        return toMaster(i, now, 'master down timer expired');
      }
      if (i.state === 'backup' && i.preemptAt !== undefined && now >= i.preemptAt) {
        return toMaster(i, now, `preempt delay of ${i.settings.preemptDelayMs / 1000} s elapsed`);
      }
      if (i.state === 'master' && i.advertAt !== undefined && now >= i.advertAt) {
        // The next advert is due one interval after this one was due, not after it was sent: a late
        // timer does not push every later advert back (no drift), unless it was a whole interval late.
        const due = i.advertAt + advertIntervalMs(i);
        return {
          instance: { ...i, advertAt: due > now ? due : now + advertIntervalMs(i) },
          actions: [{ type: 'send', priority: i.priority }],
        };
      }
      return same;
    }

    case 'advert':
      return receive(i, event, now);

    case 'follow':
      if (event.to === 'master' && i.state === 'backup') return toMaster(i, now, event.reason);
      if (event.to === 'backup' && i.state === 'master') return toBackup(i, now, event.reason, i.masterIntervalCs, undefined);
      return same;

    case 'resign': {
      if (i.state !== 'master') return same;
      const backup = toBackup(i, now, event.reason, i.masterIntervalCs, undefined);
      return {
        instance: { ...backup.instance, downAt: now + skewTimeMs(i.priority, i.masterIntervalCs) },
        actions: [{ type: 'send', priority: 0 }, ...backup.actions],
      };
    }
  }
}

function receive(i: Instance, adv: { priority: number; intervalCs: number; source: string }, now: number): StepResult {
  const unchanged: StepResult = { instance: i, actions: [] };
  // v3 backups learn the master's interval; v2 intervals must match (acceptAdvert drops the rest).
  const learned = i.settings.version === 3 ? adv.intervalCs : i.settings.intervalCs;
  if (i.state === 'backup') {
    if (adv.priority === 0) {
      // The master resigned: take over after Skew_Time.
      return { instance: { ...i, downAt: now + skewTimeMs(i.priority, i.masterIntervalCs) }, actions: [] };
    }
    const follow = (preemptAt: number | undefined): StepResult => ({
      instance: { ...i, masterAddress: adv.source, masterIntervalCs: learned, downAt: now + masterDownIntervalMs(i.priority, learned), preemptAt },
      actions: [],
    });
    if (!i.settings.preempt || adv.priority >= i.priority) return follow(undefined);
    // A lower-priority master, and preempt is on: ignore it so that the down timer runs out...
    if (i.settings.preemptDelayMs === 0) return unchanged;
    // ...unless preempt_delay holds us back: follow it until the delay is over, then preempt.
    return follow(i.preemptAt ?? now + i.settings.preemptDelayMs);
  }
  if (i.state === 'master') {
    if (adv.priority === 0) {
      // Another router resigned: advertise at once so the group hears from its master.
      return { instance: { ...i, advertAt: now + advertIntervalMs(i) }, actions: [{ type: 'send', priority: i.priority }] };
    }
    if (adv.priority > i.priority) return toBackup(i, now, `higher priority ${adv.priority} from ${adv.source}`, learned, adv.source);
    if (adv.priority === i.priority && compareAddresses(adv.source, i.settings.primaryAddress) > 0) {
      return toBackup(i, now, `equal priority ${adv.priority} from higher address ${adv.source}`, learned, adv.source);
    }
  }
  return unchanged;
}

// A failover rig: a VRRP group of two hosts and a client in a fresh lab, with a capture on the
// segment, and the faults that make the master go away. Each measurement is taken from the wire:
// kernel capture timestamps of the adverts, of the resignation, and of the new master's first answer
// to the client. The benchmark and the demo both use it, for any implementation.
import { Lab } from './lab.ts';
import { addressIn } from './addressing.ts';
import type { SegmentCapture } from './capture.ts';
import type { Daemon } from './host.ts';
import { renderVrrpConf, type VrrpImplementation } from './implementations.ts';
import { lastAdvertBefore, nextAdvert, waitForSoleHolder } from './vrrp.ts';
import { masterDownIntervalMs, skewTimeMs } from '../../runtime/src/vrrp/timers.ts';

export type Fault = 'kill' | 'term' | 'partition';

export interface FailoverMeasurement {
  fault: Fault;
  /** What RFC 5798 says the delay should be: Master_Down_Interval, or Skew_Time after a resignation. */
  formulaMs: number;
  /** From the master's last advert (kill, partition) or its priority-0 advert (term) to the backup's first advert. */
  takeoverMs: number;
  /** From the fault to the first echo reply the client gets from the new master; undefined if none came. */
  clientReachMs: number | undefined;
}

const MASTER = { name: 'h1', priority: 200 };
const BACKUP = { name: 'h2', priority: 100 };
/** An optional third router, below the backup: it must stay out of the takeover. */
const SPARE = { name: 'h3', priority: 50 };
const VRID = 51;

export class FailoverRig implements AsyncDisposable {
  readonly lab: Lab;
  readonly capture: SegmentCapture;
  readonly vip: string;
  readonly intervalCs: number;
  private readonly impl: VrrpImplementation;
  private readonly config: (host: { name: string; priority: number }) => string;
  private master: Daemon | undefined;

  private constructor(lab: Lab, capture: SegmentCapture, impl: VrrpImplementation, version: 2 | 3, advertInt: number) {
    this.lab = lab;
    this.capture = capture;
    this.impl = impl;
    this.vip = addressIn(lab.segment().subnets.v4, 100);
    this.intervalCs = Math.round(advertInt * 100);
    this.config = ({ name, priority }) => renderVrrpConf({
      routerId: name, version, vrid: VRID, interfaceName: 'eth0', priority, advertInt, vips: [`${this.vip}/24`],
    });
  }

  /** Builds the lab, starts the implementation on the routers (two, or three) and waits for the first master. */
  static async create(impl: VrrpImplementation, version: 2 | 3, advertInt: number, { routers = 2 }: { routers?: 2 | 3 } = {}): Promise<FailoverRig> {
    const names = routers === 3 ? [MASTER.name, BACKUP.name, SPARE.name] : [MASTER.name, BACKUP.name];
    const lab = await Lab.create({ hosts: [...names, 'client'], ssh: false });
    try {
      const rig = new FailoverRig(lab, await lab.capture(), impl, version, advertInt);
      await impl.start(lab.host(BACKUP.name), rig.config(BACKUP));
      if (routers === 3) await impl.start(lab.host(SPARE.name), rig.config(SPARE));
      await rig.startMaster();
      return rig;
    } catch (error) {
      lab.destroy();
      throw error;
    }
  }

  get routers() { return [MASTER.name, BACKUP.name, SPARE.name].filter((n) => this.lab.hosts.has(n)).map((n) => this.lab.host(n)); }

  private async startMaster(): Promise<void> {
    this.master = await this.impl.start(this.lab.host(MASTER.name), this.config(MASTER));
    await waitForSoleHolder(this.routers, this.vip, MASTER.name, 30_000);
  }

  /** Takes the master away with `fault`, measures the takeover, then restores the master. */
  async measure(fault: Fault, attempt = 1): Promise<FailoverMeasurement> {
    const master = this.master;
    if (!master) throw new Error('the master is not running');
    const client = this.lab.host('client');
    // The client pings the VIP every 10 ms throughout, bounded in count and time.
    const probe = await client.startDaemon('probe', ['ping', '-n', '-q', '-i', '0.01', '-c', '2000', '-w', '20', this.vip]);
    await this.capture.waitFor('the client to reach the VIP', (f) => f.from === MASTER.name && f.icmpType === 0 && f.ipSrc === this.vip);

    let faultAt: number;
    let takeoverFrom: number;
    let formulaMs: number;
    if (fault === 'term') {
      faultAt = master.signal('SIGTERM');
      const resignation = await this.capture.waitFor('the priority-0 advert', (f) => f.from === MASTER.name && f.vrrp?.vrid === VRID && f.vrrp.priority === 0 && f.time >= faultAt - 1);
      takeoverFrom = resignation.time;
      formulaMs = skewTimeMs(BACKUP.priority, this.intervalCs);
    } else if (fault === 'kill') {
      faultAt = master.signalGroup('SIGKILL');
      takeoverFrom = (await lastAdvertBefore(this.capture, VRID, MASTER.name, faultAt)).time;
      formulaMs = masterDownIntervalMs(BACKUP.priority, this.intervalCs);
    } else {
      // The drop rule takes effect somewhere between these two stamps, and the capture (ahead of the
      // rule) shows the master's adverts either way: an advert sent in between may or may not have
      // reached the backup, so the takeover's starting point would be unknown. Partitioning just
      // after an advert makes that rare; when it happens anyway, the measurement is taken again.
      await nextAdvert(this.capture, VRID, MASTER.name, Date.now());
      const before = Date.now();
      faultAt = await this.lab.partition(MASTER.name);
      const last = await lastAdvertBefore(this.capture, VRID, MASTER.name, faultAt);
      if (last.time >= before) {
        await probe.stop();
        await this.lab.heal(MASTER.name);
        await waitForSoleHolder(this.routers, this.vip, MASTER.name, 30_000);
        if (attempt >= 5) throw new Error(`an advert of the master fell within the partition's ${faultAt - before} ms to take effect, ${attempt} times`);
        return this.measure(fault, attempt + 1);
      }
      takeoverFrom = last.time;
      formulaMs = masterDownIntervalMs(BACKUP.priority, this.intervalCs);
    }
    const takeover = await nextAdvert(this.capture, VRID, BACKUP.name, takeoverFrom, formulaMs + 10_000);
    let clientReachMs: number | undefined;
    try {
      const reply = await this.capture.waitFor('an echo reply from the new master', (f) => f.from === BACKUP.name && f.icmpType === 0 && f.ipSrc === this.vip && f.time > faultAt, 15_000);
      clientReachMs = reply.time - faultAt;
    } catch {
      clientReachMs = undefined;
    }
    await probe.stop();

    if (fault === 'partition') {
      await this.lab.heal(MASTER.name);
      await waitForSoleHolder(this.routers, this.vip, MASTER.name, 30_000);
    } else {
      await master.exited();
      await this.startMaster();
    }
    return { fault, formulaMs, takeoverMs: takeover.time - takeoverFrom, clientReachMs };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.capture.stop();
    this.lab.destroy();
  }
}

// The IPVS dataplane: the Dataplane interface over the Ipvs adapter. Every apply reads the kernel's
// table back and sends only the difference (diff.ts), so it also repairs drift, and a weight change
// is one edit that leaves every connection in place.
//
// It touches only the services it owns: those the configuration asks for, and those it applied
// earlier and no longer wants (which it deletes). Services someone else added with ipvsadm are left
// alone, as keepalived leaves them when it does not flush.
import type { Dataplane, DataplaneDescription, Destination, ForwardingMethod, ServiceTraffic, VirtualService } from '../model.ts';
import { ipFamily } from '../../net/ip.ts';
import type { IpvsForward } from './codec.ts';
import { describeOperation, diffTables, serviceId, type IpvsOperation, type IpvsTable, type IpvsVirtualService } from './diff.ts';
import { Ipvs } from './ipvs.ts';

const FORWARD: Record<ForwardingMethod, IpvsForward> = { NAT: 'masq', DR: 'route', TUN: 'tunnel' };

function destination(d: Destination): IpvsVirtualService['destinations'][number] {
  return {
    address: d.address, port: d.port, forward: FORWARD[d.method ?? 'NAT'], weight: d.weight,
    upperThreshold: d.upperThreshold ?? 0, lowerThreshold: d.lowerThreshold ?? 0,
  };
}

/** The services as the kernel's IPVS table would hold them. Pure. */
export function ipvsTable(services: readonly VirtualService[]): IpvsVirtualService[] {
  return services.map((s) => {
    const family = ipFamily(s.address);
    if (!family) throw new Error(`service ${s.key}: address ${JSON.stringify(s.address)} is not an IP address`);
    const key = s.fwmark !== undefined
      ? { family, protocol: 'fwmark' as const, fwmark: s.fwmark }
      : { family, protocol: s.protocol, address: s.address, port: s.port };
    return {
      service: {
        ...key,
        scheduler: s.scheduler,
        persistenceSeconds: s.persistenceSeconds ?? 0,
        netmask: s.persistencePrefix ?? (family === 4 ? 32 : 128),
        flags: 0,
      },
      destinations: s.destinations.map(destination),
    };
  });
}

export class IpvsDataplane implements Dataplane {
  private readonly ipvs: Ipvs;
  private readonly reason: string;
  /** Ids (diff.ts serviceId) of the services this dataplane applied. */
  private owned = new Set<string>();
  /** The table of the last apply, which repair() puts back. */
  private applied: IpvsTable | undefined;

  constructor(ipvs: Ipvs, reason: string) {
    this.ipvs = ipvs;
    this.reason = reason;
  }

  async apply(services: readonly VirtualService[]): Promise<void> {
    const table = ipvsTable(services);
    await this.reconcile(table);
    this.applied = table;
  }

  /** The operations it took to undo the drift, described ("edit-destination tcp ... weight 5 -> 1"). */
  async repair(): Promise<string[]> {
    return this.applied ? (await this.reconcile(this.applied)).map(describeOperation) : [];
  }

  private async reconcile(desired: IpvsTable): Promise<IpvsOperation[]> {
    const wanted = new Set(desired.map((v) => serviceId(v.service)));
    const current = (await this.ipvs.readTable()).filter((v) => wanted.has(serviceId(v.service)) || this.owned.has(serviceId(v.service)));
    const operations = diffTables(desired, current);
    // Owned before anything is sent: when the kernel refuses an operation halfway, the services added
    // before it must still be ours to roll back or remove.
    this.owned = new Set([...this.owned, ...wanted]);
    await this.ipvs.apply(operations);
    this.owned = wanted;
    return operations;
  }

  describe(): DataplaneDescription {
    return { kind: 'ipvs', reason: this.reason };
  }

  /** The kernel's own counters of the services it owns (what `ipvsadm --list --stats` shows). */
  async traffic(): Promise<ServiceTraffic[]> {
    const owned = await this.ipvs.readTraffic((service) => this.owned.has(serviceId(service)));
    return owned.map(({ service: s, counters, destinations }) => ({
      service: s.protocol === 'fwmark' ? { family: s.family, fwmark: s.fwmark } : { family: s.family, protocol: s.protocol, address: s.address, port: s.port },
      counters,
      destinations: destinations.map(({ destination, counters: c }) => ({ address: destination.address, port: destination.port, counters: c })),
    }));
  }

  /** Deletes the services it owns, as keepalived removes its virtual servers when it stops. */
  async close(): Promise<void> {
    try {
      await this.reconcile([]);
      this.applied = undefined;
    } finally {
      this.ipvs.close();
    }
  }
}

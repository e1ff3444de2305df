// The addresses this host holds right now, kept up to date from rtnetlink events: what ha_suspend
// asks about a virtual server's address (is a VRRP instance here master for it?).
import { canonicalIp } from '../net/ip.ts';
import { Rtnetlink, type AddressInfo } from '../net/rtnetlink.ts';

export class LocalAddresses {
  private readonly rt = Rtnetlink.open();
  private readonly events = Rtnetlink.subscribe({ links: false });
  private addresses = new Map<string, number>();

  /** Reads the current addresses, then calls `onChange` whenever the set of addresses changes. */
  static async open(onChange: () => void): Promise<LocalAddresses> {
    const local = new LocalAddresses(onChange);
    await local.refresh();
    return local;
  }

  private constructor(onChange: () => void) {
    const key = (a: AddressInfo): string => canonicalIp(a.address);
    this.events.on('address', (e) => {
      const k = key(e.address);
      const count = (this.addresses.get(k) ?? 0) + (e.action === 'add' ? 1 : -1);
      if (count > 0) this.addresses.set(k, count);
      else this.addresses.delete(k);
      onChange();
    });
    // Events were lost: read the whole set again.
    this.events.on('overrun', () => { void this.refresh().then(onChange); });
  }

  private async refresh(): Promise<void> {
    const next = new Map<string, number>();
    for (const a of await this.rt.listAddresses()) next.set(canonicalIp(a.address), (next.get(canonicalIp(a.address)) ?? 0) + 1);
    this.addresses = next;
  }

  has(address: string): boolean {
    return this.addresses.has(canonicalIp(address));
  }

  close(): void {
    this.events.close();
    this.rt.close();
  }
}

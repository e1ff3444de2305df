// The VRRP child's network edge: raw protocol-112 sockets per interface and family (and protocol-51
// ones, IPv4, for auth_type AH, on which the advert's whole IP packet is built here), virtual addresses
// through rtnetlink, gratuitous ARP through a packet socket and unsolicited neighbour advertisements
// through an ICMPv6 socket, and a mirror of the kernel's links and addresses kept by rtnetlink events.
import { readFileSync } from 'node:fs';
import { RawIpSocket, PacketSocket, openNeighbourAdvertSocket } from '../net/raw-socket.ts';
import { Rtnetlink, IFA_F_SECONDARY, RT_SCOPES, type AddressInfo, type LinkInfo } from '../net/rtnetlink.ts';
import { buildGratuitousArp } from '../net/arp.ts';
import { buildNeighbourAdvert, ALL_NODES } from '../net/ndisc.ts';
import { IPPROTO_AH, IPPROTO_VRRP, SOL_SOCKET, SO_RCVBUFFORCE } from '../net/linux.ts';
import { setsockoptInt } from '../net/native.ts';
import type { InstanceIo } from './instance.ts';
import type { VirtualAddress } from './spec.ts';
import { log } from '../log.ts';
import type { InterfaceFacts, SocketFacts } from '../dumps/facts.ts';

/** Each VRRP socket's receive buffer: room for a burst (many instances, or a flood of junk) while the event loop is busy. */
const RECEIVE_BUFFER_BYTES = 1 << 20;

export interface ReceivedPacket {
  /** The IP payload: the VRRP message, or for protocol 51 the AH and the VRRP message after it. */
  data: Buffer;
  /** IPv4: the IP header as received (the AH's ICV covers it). */
  ipHeader?: Buffer;
  source: string;
  destination: string;
  ttl: number;
  /** Kernel receive time, ms since the epoch. */
  receivedAt: number;
}

export interface VrrpNetwork extends InstanceIo {
  /**
   * Receives IP protocol 112 (VRRP) or 51 (AH, IPv4) on the interface, joined to the multicast
   * groups; returns a function that stops it.
   */
  listen(ifname: string, family: 4 | 6, protocol: VrrpProtocol, groups: readonly string[], onPacket: (p: ReceivedPacket) => void): Promise<() => void>;
  /** Whether the interface is up with a carrier; undefined when there is no such interface. */
  linkUp(ifname: string): boolean | undefined;
  /** The interfaces (without `ours`, the addresses keepalive put there) and sockets, as keepalived's data dump shows them. */
  dumpFacts(ours: ReadonlySet<string>): { interfaces: InterfaceFacts[]; sockets: SocketFacts[] };
  close(): Promise<void>;
}

export type VrrpProtocol = typeof IPPROTO_VRRP | typeof IPPROTO_AH;

export async function openNetwork(onLinkChange: () => void): Promise<VrrpNetwork> {
  const network = new KernelNetwork(onLinkChange);
  await network.refresh();
  return network;
}

class KernelNetwork implements VrrpNetwork {
  private readonly rt = Rtnetlink.open();
  private readonly events = Rtnetlink.subscribe();
  private links = new Map<string, LinkInfo>();
  private addresses: AddressInfo[] = [];
  private readonly sockets = new Map<string, RawIpSocket>();
  private readonly packetSockets = new Map<string, PacketSocket>();
  private readonly naSockets = new Map<string, RawIpSocket>();
  private readonly onLinkChange: () => void;
  /** Interfaces seen up since the start, and the ones keepalive made (VMACs). */
  private readonly seenUp = new Set<string>();
  private readonly created = new Set<string>();

  constructor(onLinkChange: () => void) {
    this.onLinkChange = onLinkChange;
    this.events.on('link', (e) => {
      if (e.action === 'delete') this.links.delete(e.link.name);
      else this.setLink(e.link);
      this.onLinkChange();
    });
    this.events.on('address', (e) => {
      const same = (a: AddressInfo): boolean => a.ifindex === e.address.ifindex && a.address === e.address.address;
      this.addresses = this.addresses.filter((a) => !same(a));
      if (e.action === 'add') this.addresses.push(e.address);
    });
    // Events were lost: read the whole state again.
    this.events.on('overrun', () => { void this.refresh().then(() => this.onLinkChange()); });
    this.events.on('error', (error) => log('warn', `rtnetlink event: ${error.message}`));
  }

  async refresh(): Promise<void> {
    const [links, addresses] = await Promise.all([this.rt.listLinks(), this.rt.listAddresses()]);
    this.links = new Map();
    for (const l of links) this.setLink(l);
    this.addresses = addresses;
  }

  private setLink(link: LinkInfo): void {
    this.links.set(link.name, link);
    if (link.up) this.seenUp.add(link.name);
  }

  dumpFacts(ours: ReadonlySet<string>): { interfaces: InterfaceFacts[]; sockets: SocketFacts[] } {
    const byIndex = new Map([...this.links.values()].map((l) => [l.index, l]));
    const interfaces = [...this.links.values()].sort((a, b) => a.index - b.index).map((l): InterfaceFacts => {
      const own = this.addresses.filter((a) => a.ifindex === l.index && !ours.has(a.address));
      const ipv4 = own.filter((a) => a.family === 4);
      const primary = (a: AddressInfo): boolean => (a.flags & IFA_F_SECONDARY) === 0;
      const parent = l.kind === 'macvlan' && l.parentIndex !== undefined ? byIndex.get(l.parentIndex) : undefined;
      return {
        name: l.name, index: l.index, flags: l.flags, mtu: l.mtu, hardwareType: l.hardwareType, mac: l.mac, broadcastMac: l.broadcastMac,
        ipv4: [...ipv4.filter(primary), ...ipv4.filter((a) => !primary(a))].map((a) => a.address),
        // keepalived keeps an interface's link-local IPv6 addresses only, what adverts leave from.
        ipv6: own.filter((a) => a.family === 6 && a.scope === RT_SCOPES.link).map((a) => a.address),
        seenUp: this.seenUp.has(l.name),
        ...(parent ? { macvlan: { mode: String(l.macvlanMode ?? 'unknown'), parent: parent.name, parentFlags: parent.flags } } : {}),
        ours: this.created.has(l.name),
        sysctl: { arpIgnore: ipv4Setting(l.name, 'arp_ignore'), arpFilter: ipv4Setting(l.name, 'arp_filter'), promoteSecondaries: ipv4Setting(l.name, 'promote_secondaries') },
      };
    });
    const sockets = [...this.sockets].map(([key, socket]): SocketFacts => {
      const [ifname, family, protocol] = key.split('/');
      return { fd: socket.fd, interface: ifname!, family: family === '6' ? 6 : 4, protocol: Number(protocol) === IPPROTO_AH ? 'AH' : 'VRRP', receiveBufferBytes: RECEIVE_BUFFER_BYTES };
    });
    return { interfaces, sockets };
  }

  private link(ifname: string): LinkInfo {
    const link = this.links.get(ifname);
    if (!link) throw new Error(`no interface ${ifname}`);
    return link;
  }

  linkUp(ifname: string): boolean | undefined {
    const link = this.links.get(ifname);
    return link ? link.up && link.running : undefined;
  }

  private socket(ifname: string, family: 4 | 6, protocol: VrrpProtocol): RawIpSocket {
    const key = `${ifname}/${family}/${protocol}`;
    let socket = this.sockets.get(key);
    if (!socket) {
      // AH adverts leave with the IP header this process built: their ICV covers it.
      socket = new RawIpSocket({ family, protocol, interface: ifname, headerIncluded: protocol === IPPROTO_AH });
      // Past the default limit, which root may do.
      setsockoptInt(socket.fd, SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES);
      this.sockets.set(key, socket);
    }
    return socket;
  }

  async listen(ifname: string, family: 4 | 6, protocol: VrrpProtocol, groups: readonly string[], onPacket: (p: ReceivedPacket) => void): Promise<() => void> {
    const socket = this.socket(ifname, family, protocol);
    for (const g of groups) socket.joinGroup(g);
    const listener = (m: ReceivedPacket): void => onPacket(m);
    socket.on('message', listener);
    socket.on('error', (error) => log('warn', `receive on ${ifname}: ${error.message}`));
    return () => {
      socket.off('message', listener);
      socket.close();
      this.sockets.delete(`${ifname}/${family}/${protocol}`);
    };
  }

  sendAdvert(message: Buffer, source: string, destination: string, ifname: string): void {
    const family = destination.includes(':') ? 6 : 4;
    this.socket(ifname, family, IPPROTO_VRRP).send(message, destination, { source });
  }

  sendIpPacket(packet: Buffer, destination: string, ifname: string): void {
    this.socket(ifname, 4, IPPROTO_AH).send(packet, destination);
  }

  async addAddress(ifname: string, vip: VirtualAddress, family: 4 | 6): Promise<void> {
    try {
      await this.rt.addAddress({
        ifindex: this.link(ifname).index, family, address: vip.address, prefixLength: vip.prefixLength,
        ...(vip.broadcast ? { broadcast: vip.broadcast } : {}),
        ...(vip.label ? { label: vip.label } : {}),
        ...(vip.scope ? { scope: vip.scope as never } : {}),
        // A virtual address must answer at once; duplicate address detection would hold it back.
        noDad: family === 6,
      });
    } catch (error) {
      if (!String((error as Error).message).includes('EEXIST')) throw error;
    }
  }

  async deleteAddress(ifname: string, vip: VirtualAddress, family: 4 | 6): Promise<void> {
    await this.rt.deleteAddress({ ifindex: this.link(ifname).index, family, address: vip.address, prefixLength: vip.prefixLength });
  }

  announce(ifname: string, address: string, family: 4 | 6): void {
    const link = this.link(ifname);
    try {
      if (family === 4) {
        let socket = this.packetSockets.get(ifname);
        if (!socket) { socket = new PacketSocket(ifname); this.packetSockets.set(ifname, socket); }
        socket.sendFrame(buildGratuitousArp({ address, mac: link.mac }));
      } else {
        let socket = this.naSockets.get(ifname);
        if (!socket) { socket = openNeighbourAdvertSocket(ifname); this.naSockets.set(ifname, socket); }
        socket.send(buildNeighbourAdvert({ target: address, mac: link.mac }), ALL_NODES);
      }
    } catch (error) {
      log('warn', `announcing ${address} on ${ifname}: ${(error as Error).message}`);
    }
  }

  primaryAddress(ifname: string, family: 4 | 6): string | undefined {
    const index = this.links.get(ifname)?.index;
    const mine = this.addresses.filter((a) => a.ifindex === index && a.family === family);
    // IPv4: the interface's first primary address. IPv6: its link-local address, which RFC 5798
    // requires as the source of adverts.
    const found = family === 4
      ? mine.find((a) => (a.flags & IFA_F_SECONDARY) === 0)
      : mine.find((a) => a.address.toLowerCase().startsWith('fe80:'));
    return found?.address;
  }

  async createVmac(name: string, parent: string, mac: string): Promise<void> {
    let link = this.links.get(name);
    if (link && link.mac !== mac) throw new Error(`${name} exists with MAC ${link.mac}, not the virtual MAC ${mac}`);
    // Private mode, as keepalived: the VMAC talks to the wire, not to other macvlans on the parent.
    if (!link) {
      link = await this.rt.createMacvlan({ name, parentIndex: this.link(parent).index, mac, mode: 'private' });
      this.created.add(name);
    }
    this.links.set(name, link);
    await this.rt.setLinkUp(link.index);
    this.links.set(name, await this.rt.getLink(link.index));
  }

  async deleteVmac(name: string): Promise<void> {
    const link = this.links.get(name);
    if (!link) return;
    // Sockets bound to the macvlan go with it.
    for (const map of [this.sockets, this.packetSockets, this.naSockets] as Map<string, { close(): void }>[]) {
      for (const [key, socket] of map) {
        if (key === name || key.startsWith(`${name}/`)) { socket.close(); map.delete(key); }
      }
    }
    await this.rt.deleteLink(link.index);
    this.links.delete(name);
    this.created.delete(name);
  }

  async close(): Promise<void> {
    for (const s of [...this.sockets.values(), ...this.naSockets.values()]) s.close();
    for (const s of this.packetSockets.values()) s.close();
    this.events.close();
    this.rt.close();
  }
}

/** An IPv4 setting of the interface (net.ipv4.conf.IF.NAME); 0 when it cannot be read. */
function ipv4Setting(ifname: string, name: string): number {
  try {
    return Number(readFileSync(`/proc/sys/net/ipv4/conf/${ifname}/${name}`, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

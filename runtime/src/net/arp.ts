// Gratuitous ARP (RFC 5227 section 3 "announcement"; RFC 5798 section 6.4.2): an ARP request,
// broadcast, whose sender and target protocol addresses are both the virtual IP, so every host on the
// segment updates its cache to the sender MAC. Pure: builds and parses whole Ethernet frames.
import { ETH_P_ARP, ETH_P_IP } from './linux.ts';
import { ipFromBytes, ipToBytes } from './ip.ts';
import { macFromBytes, macToBytes } from './sockaddr.ts';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
/** Ethernet header 14 + ARP for IPv4 over Ethernet 28. */
const ARP_FRAME = 42;
/** Frames shorter than 60 bytes (without FCS) are padded, as a NIC would. */
const MIN_FRAME = 60;

export interface GratuitousArp {
  /** The virtual IPv4 address, announced as both sender and target. */
  address: string;
  /** The interface's MAC, or the virtual MAC (00:00:5e:00:01:VRID); source of the frame and sender hardware address. */
  mac: string;
  /** Default request, as keepalived and RFC 5227 announce; a reply is also understood by every stack. */
  opcode?: 'request' | 'reply';
}

export function buildGratuitousArp({ address, mac, opcode = 'request' }: GratuitousArp): Buffer {
  const ip = ipToBytes(address);
  if (ip.length !== 4) throw new Error(`gratuitous ARP is for IPv4 addresses, not ${address}`);
  const hw = macToBytes(mac);
  if (hw.length !== 6) throw new Error(`not an Ethernet address: ${mac}`);
  const f = Buffer.alloc(MIN_FRAME);
  macToBytes(BROADCAST_MAC).copy(f, 0);
  hw.copy(f, 6);
  f.writeUInt16BE(ETH_P_ARP, 12);
  f.writeUInt16BE(HTYPE_ETHERNET, 14);
  f.writeUInt16BE(ETH_P_IP, 16);
  f.writeUInt8(6, 18);
  f.writeUInt8(4, 19);
  f.writeUInt16BE(opcode === 'request' ? ARP_REQUEST : ARP_REPLY, 20);
  hw.copy(f, 22);
  ip.copy(f, 28);
  // Target hardware address: unknown in a request (zero); for a reply, the broadcast the frame goes to.
  if (opcode === 'reply') macToBytes(BROADCAST_MAC).copy(f, 32);
  ip.copy(f, 38);
  return f;
}

export interface ArpFrame {
  destinationMac: string;
  sourceMac: string;
  opcode: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Parses an Ethernet frame carrying ARP for IPv4. Throws on anything else or on a short frame. */
export function parseArpFrame(frame: Buffer): ArpFrame {
  if (frame.length < ARP_FRAME) throw new Error(`ARP frame of ${frame.length} bytes, need ${ARP_FRAME}`);
  const ethertype = frame.readUInt16BE(12);
  if (ethertype !== ETH_P_ARP) throw new Error(`EtherType 0x${ethertype.toString(16)} is not ARP`);
  const htype = frame.readUInt16BE(14);
  const ptype = frame.readUInt16BE(16);
  if (htype !== HTYPE_ETHERNET || ptype !== ETH_P_IP || frame[18] !== 6 || frame[19] !== 4) {
    throw new Error(`ARP for hardware type ${htype}/${frame[18]} and protocol 0x${ptype.toString(16)}/${frame[19]}: only IPv4 over Ethernet is understood`);
  }
  return {
    destinationMac: macFromBytes(frame.subarray(0, 6)),
    sourceMac: macFromBytes(frame.subarray(6, 12)),
    opcode: frame.readUInt16BE(20),
    senderMac: macFromBytes(frame.subarray(22, 28)),
    senderIp: ipFromBytes(frame.subarray(28, 32)),
    targetMac: macFromBytes(frame.subarray(32, 38)),
    targetIp: ipFromBytes(frame.subarray(38, 42)),
  };
}

/** Whether a parsed ARP frame is a gratuitous announcement of its sender address. */
export function isGratuitous(arp: ArpFrame): boolean {
  return arp.senderIp === arp.targetIp && arp.destinationMac === BROADCAST_MAC;
}

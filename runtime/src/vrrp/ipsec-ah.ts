// VRRPv2 `auth_type AH`: the advert travels in an IPsec Authentication Header (RFC 2402, IP protocol
// 51) whose ICV is HMAC-MD5-96 (RFC 2403) keyed with auth_pass, as keepalived builds and checks it.
// Pure: bytes in, bytes or a rejection reason out; the anti-replay counter is a value passed along.
//
// What keepalived does, and this module with it, where RFC 2402 leaves room or says otherwise:
// - no security association is negotiated: the SPI is the sender's IPv4 address, and the receiver
//   checks that it is;
// - the key is auth_pass NUL-padded to 8 bytes (longer ones were truncated when read);
// - the ICV covers the whole IPv4 header with TOS, flags and fragment offset, and the header checksum
//   zeroed (RFC 2402 section 3.3.3.1.1.1), but TTL only for unicast adverts: multicast ones keep
//   their TTL, always 255, in the ICV;
// - the Identification field is covered, so the sender chooses it (never 0, which the kernel would
//   replace) and builds the whole IP header itself (IP_HDRINCL);
// - one sequence counter per instance serves what it sends and what it accepts (see AhSequence).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ipToBytes } from '../net/ip.ts';
import { VRRP_PROTOCOL } from './packet.ts';
import type { VrrpState } from './state-machine.ts';

export const AH_PROTOCOL = 51;

const IPV4_HEADER = 20;
/** Next header, payload length, reserved (4), SPI (4), sequence (4), ICV (12). */
const AH_HEADER = 24;
const ICV_OFFSET = 12;
/** HMAC-MD5 truncated to 96 bits (RFC 2403 section 2). */
const ICV_BYTES = 12;
/** RFC 2402 section 2.2: the AH length in 32-bit words, minus 2. */
const AH_PAYLOAD_LENGTH = AH_HEADER / 4 - 2;
/** keepalived's TOS for adverts: precedence "internetwork control". */
const TOS_INTERNETWORK_CONTROL = 0xc0;
/** keepalived's auth_data: auth_pass in 8 bytes, NUL-padded. */
const KEY_BYTES = 8;
/** keepalived stops counting here and sends this number again (see nextSequence). */
const SEQUENCE_LAST = 0xfffffffd;

/** The HMAC key for auth_pass. */
export function ahKey(password: string): Buffer {
  const key = Buffer.alloc(KEY_BYTES);
  Buffer.from(password).copy(key, 0, 0, KEY_BYTES);
  return key;
}

/** The ICV over a packet laid out as IPv4 header, AH, VRRP: mutable fields and the ICV itself zeroed. */
function icv(packet: Buffer, headerLength: number, key: Buffer, unicast: boolean): Buffer {
  const copy = Buffer.from(packet);
  copy[1] = 0; // TOS
  copy.writeUInt16BE(0, 6); // flags and fragment offset
  if (unicast) copy[8] = 0; // TTL
  copy.writeUInt16BE(0, 10); // header checksum
  copy.fill(0, headerLength + ICV_OFFSET, headerLength + ICV_OFFSET + ICV_BYTES);
  return createHmac('md5', key).update(copy).digest().subarray(0, ICV_BYTES);
}

export interface SealInput {
  /** The encoded VRRPv2 message (auth type AH). */
  vrrp: Buffer;
  source: string;
  destination: string;
  /** The IPv4 Identification, 1..65535 (see nextIdentification). */
  identification: number;
  sequence: number;
  key: Buffer;
  /** Unicast adverts leave their TTL out of the ICV; multicast ones keep it in. */
  unicast: boolean;
  /** Default 255, as VRRP requires. */
  ttl?: number;
}

/** The whole IPv4 packet of an AH-authenticated advert, to be sent with IP_HDRINCL. */
export function sealAdvert(input: SealInput): Buffer {
  const [source, destination] = [ipToBytes(input.source), ipToBytes(input.destination)];
  if (source.length !== 4 || destination.length !== 4) throw new Error('AH authentication is for IPv4 only');
  if (!Number.isInteger(input.identification) || input.identification < 1 || input.identification > 0xffff) {
    throw new Error(`IPv4 identification ${input.identification} is outside 1..65535 (the kernel replaces 0, which would break the ICV)`);
  }
  const packet = Buffer.alloc(IPV4_HEADER + AH_HEADER + input.vrrp.length);
  packet[0] = 0x45; // version 4, 5 words of header
  packet[1] = TOS_INTERNETWORK_CONTROL;
  packet.writeUInt16BE(packet.length, 2);
  packet.writeUInt16BE(input.identification, 4);
  packet[8] = input.ttl ?? 255;
  packet[9] = AH_PROTOCOL;
  // The header checksum stays 0: the kernel fills it in for IP_HDRINCL, and the ICV counts it as 0.
  source.copy(packet, 12);
  destination.copy(packet, 16);
  packet[IPV4_HEADER] = VRRP_PROTOCOL;
  packet[IPV4_HEADER + 1] = AH_PAYLOAD_LENGTH;
  source.copy(packet, IPV4_HEADER + 4); // the SPI
  packet.writeUInt32BE(input.sequence >>> 0, IPV4_HEADER + 8);
  input.vrrp.copy(packet, IPV4_HEADER + AH_HEADER);
  icv(packet, IPV4_HEADER, input.key, input.unicast).copy(packet, IPV4_HEADER + ICV_OFFSET);
  return packet;
}

/** Why an AH packet was dropped: its framing, or (verifyAh) its authentication. */
export type AhRejectReason = 'short' | 'ah-next-header' | 'auth-hmac' | 'auth-spi';

/** An AH packet as received: the IPv4 header and what follows it (AH, then the VRRP message). */
export interface AhPacket {
  ipHeader: Buffer;
  payload: Buffer;
  /** The VRRP message the AH carries, not yet authenticated. */
  vrrp: Buffer;
  sequence: number;
}

/**
 * Takes the AH off a protocol-51 payload, checking only its framing: which instance's key
 * authenticates it depends on the VRID inside, so verifyAh() comes once that is known.
 */
export function splitAh(ipHeader: Buffer, payload: Buffer): { ok: true; packet: AhPacket } | { ok: false; reason: AhRejectReason; detail: string } {
  if (payload.length < AH_HEADER) return { ok: false, reason: 'short', detail: `${payload.length} bytes after the IP header, less than the ${AH_HEADER}-byte AH` };
  // Another protocol under AH is none of ours: keepalived ignores it too.
  if (payload[0] !== VRRP_PROTOCOL) return { ok: false, reason: 'ah-next-header', detail: `AH next header ${payload[0]}, not VRRP` };
  if (payload[1] !== AH_PAYLOAD_LENGTH) return { ok: false, reason: 'short', detail: `AH length ${payload[1]}, not ${AH_PAYLOAD_LENGTH} (HMAC-MD5-96)` };
  return { ok: true, packet: { ipHeader, payload, vrrp: payload.subarray(AH_HEADER), sequence: payload.readUInt32BE(8) } };
}

/** Checks the ICV with the instance's key, then that the SPI is the source address. Undefined when both hold. */
export function verifyAh(packet: AhPacket, key: Buffer, unicast: boolean): { reason: AhRejectReason; detail: string } | undefined {
  const { ipHeader, payload } = packet;
  const expected = icv(Buffer.concat([ipHeader, payload]), ipHeader.length, key, unicast);
  if (!timingSafeEqual(expected, payload.subarray(ICV_OFFSET, ICV_OFFSET + ICV_BYTES))) {
    return { reason: 'auth-hmac', detail: 'the HMAC-MD5-96 ICV does not verify (wrong auth_pass, or a changed packet)' };
  }
  if (!payload.subarray(4, 8).equals(ipHeader.subarray(12, 16))) {
    return { reason: 'auth-spi', detail: `SPI 0x${payload.readUInt32BE(4).toString(16)} is not the source address` };
  }
  return undefined;
}

/** The next IPv4 Identification after `previous`: 1..65535, never 0. */
export function nextIdentification(previous: number): number {
  return previous >= 0xffff ? 1 : previous + 1;
}

/**
 * keepalived's anti-replay counter, one per instance: the sequence number it last sent or accepted.
 * Accepting takes a number greater than the counter and moves the counter to it, so a backup that
 * takes over carries on above its old master's numbers, and a restarted router (from 0) follows the
 * group's. `exhausted` is keepalived's "cycle" flag: past 0xfffffffd the counter stops (at one advert
 * a second, after some 136 years) until the instance becomes master again or hears a peer.
 */
export interface AhSequence {
  readonly last: number;
  readonly exhausted: boolean;
}

export const FRESH_SEQUENCE: AhSequence = { last: 0, exhausted: false };

/** The counter for the next advert sent (the advert carries its `last`). */
export function nextSequence(s: AhSequence): AhSequence {
  return s.last > SEQUENCE_LAST ? { last: s.last, exhausted: true } : { last: s.last + 1, exhausted: s.exhausted };
}

/** The counter once `received` is accepted; undefined when it is not greater (a replay, or a stale sender). */
export function acceptSequence(s: AhSequence, received: number): AhSequence | undefined {
  return received > s.last ? { ...s, last: received } : undefined;
}

/**
 * The counter after an accepted advert has been acted on. A master that stays master over a
 * lower-priority advert jumps past that sender's number, so that its next advert is news to it; any
 * other accepted advert (but a priority-0 one to a master) clears `exhausted`.
 */
export function afterAdvert(s: AhSequence, received: number, priority: number, was: VrrpState, is: VrrpState): AhSequence {
  if (was === 'master' && is === 'master') return priority === 0 ? s : { last: (received + 1) >>> 0, exhausted: false };
  return { ...s, exhausted: false };
}

/** Becoming master with an exhausted counter starts it again from 0. */
export function onBecomingMaster(s: AhSequence): AhSequence {
  return s.exhausted ? FRESH_SEQUENCE : s;
}

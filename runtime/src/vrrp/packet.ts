// VRRP advertisement codec: VRRPv2 (RFC 3768) over IPv4 and VRRPv3 (RFC 5798, RFC 9568) over IPv4
// and IPv6. Pure: bytes in, a typed advert or a rejection reason out, and back.
//
// Checksums: v2 sums the VRRP message alone; v3 adds the IP pseudo-header (RFC 5798 section 5.2.8,
// made explicit for IPv4 by RFC 9568), which is why encoding and decoding v3 need the IP addresses.
import { isIPv6 } from 'node:net';
import { internetChecksum } from '../net/checksum.ts';
import { canonicalIp, ipFromBytes, ipToBytes } from '../net/ip.ts';

export const VRRP_PROTOCOL = 112;
export const ADVERTISEMENT = 1;
/**
 * v2 authentication types (RFC 2338 section 5.3.6; RFC 3768 deprecated both, keepalived still speaks
 * them): a simple text password, or an IPsec AH header around the advert (see ipsec-ah.ts).
 */
export const AUTH_NONE = 0;
export const AUTH_PASSWORD = 1;
export const AUTH_AH = 2;

export interface Advert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** v2: the seconds field times 100; v3: the 12-bit centisecond field. */
  intervalCs: number;
  /** The virtual addresses carried, in wire order. */
  addresses: string[];
  /** v2 only: the auth type and the 8 bytes of authentication data (NUL padded; zero under AH). */
  authType?: number;
  authData?: Buffer;
}

/**
 * Why a received packet was dropped; the runtime counts each reason. The auth-* reasons are
 * keepalived's three authentication counters: auth-invalid an auth type it does not know,
 * auth-mismatch another auth type (or AH's presence or absence) than configured, and the rest a
 * failure of the configured one (a wrong password; AH: a bad ICV, a bad SPI, a replayed sequence number).
 */
export type RejectReason =
  | 'short' | 'version' | 'type' | 'checksum' | 'address-count' | 'interval'
  | 'ttl' | 'unknown-vrid' | 'address-list' | 'family'
  | 'auth-invalid' | 'auth-mismatch' | 'auth-password' | 'auth-hmac' | 'auth-spi' | 'auth-sequence' | 'ah-next-header';

export type DecodeResult = { ok: true; advert: Advert } | { ok: false; reason: RejectReason; detail: string };

const HEADER = 8;
const AUTH_DATA = 8;


/** The IP pseudo-header of RFC 768 (IPv4) or RFC 8200 section 8.1 (IPv6) for a VRRP message. */
function pseudoHeader(source: string, destination: string, length: number): Buffer {
  const src = ipToBytes(source);
  const dst = ipToBytes(destination);
  if (src.length !== dst.length) throw new Error(`pseudo-header: ${source} and ${destination} are of different families`);
  if (src.length === 4) {
    const tail = Buffer.from([0, VRRP_PROTOCOL, length >> 8, length & 0xff]);
    return Buffer.concat([src, dst, tail]);
  }
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(length, 0);
  tail[7] = VRRP_PROTOCOL;
  return Buffer.concat([src, dst, tail]);
}

export interface IpContext {
  /** The IP source and destination addresses of the packet carrying the advert (v3 checksum). */
  source: string;
  destination: string;
}

/** Encodes an advert. v3 needs the IP addresses for its checksum; v2 ignores them. */
export function encodeAdvert(advert: Advert, ip: IpContext): Buffer {
  const family = isIPv6(ip.source) ? 6 : 4;
  const addresses = advert.addresses.map(ipToBytes);
  if (addresses.some((a) => a.length !== (family === 4 ? 4 : 16))) throw new Error('every virtual address must be of the packet\'s family');
  if (advert.version === 2 && family === 6) throw new Error('VRRPv2 is IPv4 only');
  if (!Number.isInteger(advert.vrid) || advert.vrid < 1 || advert.vrid > 255) throw new Error(`VRID ${advert.vrid} is outside 1..255`);
  if (!Number.isInteger(advert.priority) || advert.priority < 0 || advert.priority > 255) throw new Error(`priority ${advert.priority} is outside 0..255`);
  if (addresses.length > 255) throw new Error('at most 255 addresses fit an advert');
  const trailer = advert.version === 2 ? AUTH_DATA : 0;
  const message = Buffer.alloc(HEADER + addresses.reduce((n, a) => n + a.length, 0) + trailer);
  message[0] = (advert.version << 4) | ADVERTISEMENT;
  message[1] = advert.vrid;
  message[2] = advert.priority;
  message[3] = addresses.length;
  if (advert.version === 2) {
    if (advert.intervalCs % 100 !== 0 || advert.intervalCs < 100 || advert.intervalCs > 25500) {
      throw new Error(`a VRRPv2 interval is whole seconds from 1 to 255, not ${advert.intervalCs / 100} s`);
    }
    message[4] = advert.authType ?? AUTH_NONE;
    message[5] = advert.intervalCs / 100;
  } else {
    if (!Number.isInteger(advert.intervalCs) || advert.intervalCs < 1 || advert.intervalCs > 4095) {
      throw new Error(`a VRRPv3 interval is 1 to 4095 centiseconds, not ${advert.intervalCs}`);
    }
    message.writeUInt16BE(advert.intervalCs, 4); // the top 4 bits are the reserved field, zero
  }
  let offset = HEADER;
  for (const a of addresses) { a.copy(message, offset); offset += a.length; }
  if (advert.version === 2 && advert.authData) advert.authData.subarray(0, AUTH_DATA).copy(message, offset);
  const checksum = advert.version === 2
    ? internetChecksum(message)
    : internetChecksum(pseudoHeader(ip.source, ip.destination, message.length), message);
  message.writeUInt16BE(checksum, 6);
  return message;
}

const reject = (reason: RejectReason, detail: string): DecodeResult => ({ ok: false, reason, detail });

/**
 * Decodes and checks what the message itself can prove: length, version, type, address count and
 * checksum. What depends on configuration (TTL, VRID, authentication, interval, addresses) is checked
 * by acceptAdvert().
 */
export function decodeAdvert(message: Buffer, ip: IpContext): DecodeResult {
  if (message.length < HEADER) return reject('short', `${message.length} bytes, less than the 8-byte header`);
  const version = message[0]! >> 4;
  const type = message[0]! & 0x0f;
  const family = isIPv6(ip.source) ? 6 : 4;
  if (version !== 2 && version !== 3) return reject('version', `version ${version}`);
  if (version === 2 && family === 6) return reject('version', 'VRRPv2 over IPv6');
  if (type !== ADVERTISEMENT) return reject('type', `type ${type}`);
  const count = message[3]!;
  const size = family === 4 ? 4 : 16;
  const expected = HEADER + count * size + (version === 2 ? AUTH_DATA : 0);
  // RFC 3768 allows trailing data after the authentication field only in theory; keepalived and the
  // RFC's own length rule agree that the length must match the address count.
  if (message.length < expected) return reject('short', `${message.length} bytes for ${count} addresses (need ${expected})`);
  if (message.length > expected) return reject('address-count', `${message.length} bytes for ${count} addresses (expected ${expected})`);
  const checksum = version === 2
    ? internetChecksum(message)
    : internetChecksum(pseudoHeader(ip.source, ip.destination, message.length), message);
  if (checksum !== 0) return reject('checksum', `checksum 0x${message.readUInt16BE(6).toString(16)} does not verify`);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(ipFromBytes(message.subarray(HEADER + i * size, HEADER + (i + 1) * size)));
  const advert: Advert = {
    version,
    vrid: message[1]!,
    priority: message[2]!,
    intervalCs: version === 2 ? message[5]! * 100 : message.readUInt16BE(4) & 0x0fff,
    addresses,
  };
  if (version === 2) {
    advert.authType = message[4]!;
    advert.authData = Buffer.from(message.subarray(expected - AUTH_DATA, expected));
  }
  if (advert.intervalCs === 0) return reject('interval', 'advertisement interval 0');
  return { ok: true, advert };
}

/** What an instance expects of the adverts it accepts (RFC 5798 section 7.1; RFC 3768 section 7.1). */
export interface AcceptRules {
  version: 2 | 3;
  vrid: number;
  intervalCs: number;
  addresses: readonly string[];
  /**
   * v2 authentication: a simple password (at most 8 bytes), or AH, whose adverts carry auth type 2
   * and whose header the caller has verified with the password as key (ipsec-ah.ts); undefined for none.
   */
  authentication?: { type: 'PASS' | 'AH'; password: string };
  /**
   * The TTLs accepted: 255 only (the RFC's rule, and the default), or a unicast peer's
   * min_ttl..max_ttl, which keepalived allows for peers that are routed to.
   */
  ttl?: { min: number; max: number };
  /** False to accept any address list (vrrp_skip_check_adv_addr, for the master already followed). */
  checkAddresses?: boolean;
}

/** Checks a decoded advert against an instance's rules. Returns undefined when it is acceptable. */
export function acceptAdvert(advert: Advert, ttl: number, rules: AcceptRules): { reason: RejectReason; detail: string } | undefined {
  const { min, max } = rules.ttl ?? { min: 255, max: 255 };
  if (ttl < min || ttl > max) return { reason: 'ttl', detail: min === max ? `TTL ${ttl}, not ${min}` : `TTL ${ttl}, outside ${min}..${max}` };
  if (advert.version !== rules.version) return { reason: 'version', detail: `version ${advert.version}, configured ${rules.version}` };
  if (advert.vrid !== rules.vrid) return { reason: 'unknown-vrid', detail: `VRID ${advert.vrid}` };
  if (advert.version === 2) {
    const auth = rules.authentication;
    const expectedType = auth === undefined ? AUTH_NONE : auth.type === 'PASS' ? AUTH_PASSWORD : AUTH_AH;
    if (advert.authType !== AUTH_NONE && advert.authType !== AUTH_PASSWORD && advert.authType !== AUTH_AH) {
      return { reason: 'auth-invalid', detail: `unknown auth type ${advert.authType}` };
    }
    if (advert.authType !== expectedType) return { reason: 'auth-mismatch', detail: `auth type ${advert.authType}, configured ${expectedType}` };
    if (auth?.type === 'PASS') {
      const expected = Buffer.alloc(AUTH_DATA);
      Buffer.from(auth.password).subarray(0, AUTH_DATA).copy(expected);
      if (!advert.authData?.equals(expected)) return { reason: 'auth-password', detail: 'wrong password' };
    }
    // v2 has no interval learning: a different interval is a misconfiguration, and the RFC drops it.
    if (advert.intervalCs !== rules.intervalCs) return { reason: 'interval', detail: `interval ${advert.intervalCs / 100} s, configured ${rules.intervalCs / 100} s` };
  }
  // A different address list is dropped, except from the address owner (RFC 5798 section 7.1).
  if (rules.checkAddresses !== false && advert.priority !== 255 && !sameAddresses(advert.addresses, rules.addresses)) {
    return { reason: 'address-list', detail: `addresses [${advert.addresses.join(', ')}], configured [${rules.addresses.join(', ')}]` };
  }
  return undefined;
}

function sameAddresses(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const canonical = (list: readonly string[]): string[] => list.map(canonicalIp).sort();
  const [x, y] = [canonical(a), canonical(b)];
  return x.every((v, i) => v === y[i]);
}

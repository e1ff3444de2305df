// The Internet checksum, for the messages this runtime builds itself: VRRP adverts and ICMP echo requests.

/** The Internet checksum (RFC 1071) over the concatenation of the buffers. */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (const byte of part) {
      if (odd === undefined) odd = byte;
      else { sum += (odd << 8) | byte; odd = undefined; }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

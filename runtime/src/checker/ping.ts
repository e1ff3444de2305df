// PING_CHECK: an ICMP (IPv4) or ICMPv6 echo request to the real server; up when its echo reply
// comes back within connect_timeout. A raw socket of the check's own (the runtime runs as root, as
// keepalived does; a "ping socket" would need net.ipv4.ping_group_range, which keepalived rewrites
// and this does not), the reply told apart by source, identifier and sequence number. The echo
// messages are built and read here; the kernel adds the IP header, and computes ICMPv6's checksum.
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { AF_INET, AF_INET6, IPPROTO_ICMP, IPPROTO_ICMPV6, SOCK_RAW } from '../net/linux.ts';
import * as native from '../net/native.ts';
import { decodeSockaddr, encodeSockaddrIp } from '../net/sockaddr.ts';
import { canonicalIp } from '../net/ip.ts';
import { internetChecksum } from '../net/checksum.ts';
import { failure, firstResult, success, type CheckResult, type PingCheckSpec } from './check.ts';

const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
const ECHO_REPLY = { 4: 0, 6: 129 } as const;
const PAYLOAD = Buffer.from('keepalive PING_CHECK');

/** An echo request: type, code 0, checksum (IPv4 only: the kernel fills ICMPv6's), id, sequence, payload. */
export function encodeEchoRequest(family: 4 | 6, id: number, sequence: number): Buffer {
  const message = Buffer.concat([Buffer.alloc(8), PAYLOAD]);
  message.writeUInt8(ECHO_REQUEST[family], 0);
  message.writeUInt16BE(id, 4);
  message.writeUInt16BE(sequence, 6);
  if (family === 4) message.writeUInt16BE(internetChecksum(message), 2);
  return message;
}

/** Whether `packet` (an IPv4 raw socket's datagram, IP header first; ICMPv6 without one) is the echo reply to (id, sequence). */
export function isEchoReply(family: 4 | 6, packet: Buffer, id: number, sequence: number): boolean {
  const offset = family === 4 ? (packet[0]! & 0x0f) * 4 : 0;
  if (packet.length < offset + 8) return false;
  return packet[offset] === ECHO_REPLY[family] && packet[offset + 1] === 0
    && packet.readUInt16BE(offset + 4) === id && packet.readUInt16BE(offset + 6) === sequence;
}

export function pingCheck(spec: PingCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  const family = isIPv6(spec.host) ? 6 : 4;
  const target = canonicalIp(spec.host);
  const id = randomInt(0x10000);
  const sequence = randomInt(0x10000);
  let fd: number;
  try {
    fd = native.socket(family === 6 ? AF_INET6 : AF_INET, SOCK_RAW, family === 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
  } catch (error) {
    return Promise.resolve(failure(startedAt, `cannot open an ICMP socket: ${(error as Error).message}`));
  }
  return new Promise((resolve) => {
    let handle: native.PollHandle | undefined;
    const finish = firstResult(resolve, () => {
      if (handle) native.unpoll(handle);
      native.close(fd);
    }, spec.timeoutMs, () => failure(startedAt, `no echo reply within ${spec.timeoutMs} ms`));
    try {
      if (spec.bindto !== undefined) native.bind(fd, encodeSockaddrIp(spec.bindto));
      handle = native.poll(fd, (error) => {
        if (error) return finish(failure(startedAt, error.message));
        // Every ICMP message of the namespace reaches a raw socket: only ours counts.
        for (let got = native.recvmsg(fd, 1500); got; got = native.recvmsg(fd, 1500)) {
          const from = decodeSockaddr(got.addr);
          if ((from.family === 'inet' || from.family === 'inet6') && canonicalIp(from.address) === target && isEchoReply(family, got.data, id, sequence)) {
            return finish(success(startedAt, 'echo reply'));
          }
        }
      });
      native.sendmsg(fd, encodeEchoRequest(family, id, sequence), encodeSockaddrIp(spec.host), []);
    } catch (error) {
      finish(failure(startedAt, (error as Error).message));
    }
  });
}

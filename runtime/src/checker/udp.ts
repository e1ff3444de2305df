// UDP_CHECK: a datagram to the real server on a connected UDP socket. Without require_reply the server
// is up unless an ICMP error (port, host or net unreachable) comes back within the timeout, which is
// all UDP can tell; with it, a reply must come, of min..max bytes, matching the pattern as far as both
// go (x: any nibble). keepalived's rules (check_udp.c); the whole run is bounded by connect_timeout.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { failure, firstResult, success, type CheckResult, type UdpCheckSpec } from './check.ts';

/** Whether `reply` matches `pattern` (lowercase hex, x for any nibble) over their common length. */
export function replyMatches(reply: Uint8Array, pattern: string): boolean {
  const bytes = Math.min(reply.length, pattern.length / 2);
  for (let i = 0; i < bytes; i++) {
    const hex = reply[i]!.toString(16).padStart(2, '0');
    for (let n = 0; n < 2; n++) {
      const want = pattern[2 * i + n]!;
      if (want !== 'x' && want !== hex[n]) return false;
    }
  }
  return true;
}

/** Why a reply does not do, or undefined when it does. */
export function replyProblem(reply: Uint8Array, spec: Pick<UdpCheckSpec, 'replyPattern' | 'minReplyLength' | 'maxReplyLength'>): string | undefined {
  if (reply.length < spec.minReplyLength || reply.length > spec.maxReplyLength) {
    return `reply of ${reply.length} bytes, expected ${spec.minReplyLength} to ${spec.maxReplyLength}`;
  }
  if (spec.replyPattern !== undefined && !replyMatches(reply, spec.replyPattern)) return `reply ${Buffer.from(reply).toString('hex')} does not match ${spec.replyPattern}`;
  return undefined;
}

export function udpCheck(spec: UdpCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(spec.host) ? 'udp6' : 'udp4');
    // Without require_reply, silence until the timeout is the pass.
    const finish = firstResult(resolve, () => socket.close(), spec.timeoutMs, () => (spec.requireReply
      ? failure(startedAt, `no reply within ${spec.timeoutMs} ms`) : success(startedAt, `no ICMP error within ${spec.timeoutMs} ms`)));
    socket.on('error', (error) => finish(failure(startedAt, error.message)));
    socket.on('message', (reply) => {
      if (!spec.requireReply) return finish(success(startedAt, `reply of ${reply.length} bytes`));
      const problem = replyProblem(reply, spec);
      finish(problem === undefined ? success(startedAt, `reply of ${reply.length} bytes`) : failure(startedAt, problem));
    });
    const send = (): void => {
      socket.connect(spec.port, spec.host, () => {
        socket.send(spec.payload === undefined ? randomBytes(16) : Buffer.from(spec.payload, 'hex'), (error) => { if (error) finish(failure(startedAt, error.message)); });
      });
    };
    if (spec.bindto !== undefined || spec.bindPort !== undefined) socket.bind({ address: spec.bindto, port: spec.bindPort ?? 0, exclusive: true }, send);
    else send();
  });
}

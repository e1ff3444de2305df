// DNS_CHECK: one query over UDP to the real server's address and port; it is up when a reply with
// our id, from that address and port, says "no error" and answers with a record of the asked type.
// Anything else arriving on the socket is ignored; the spec's timeout bounds the wait.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { canonicalIp } from '../net/ip.ts';
import { DNS_TYPES, failure, firstResult, success, type CheckResult, type DnsCheckSpec } from './check.ts';
import { decodeDnsMessage, DNS_FLAG_RESPONSE, dnsRcode, encodeDnsQuery, normalizeDnsName, type DnsMessage } from './dns-codec.ts';

/** Judges a decoded reply to query `id` for name/type: the reason it fails, or undefined when it passes. */
export function dnsReplyProblem(reply: DnsMessage, id: number, name: string, type: number): string | undefined {
  if (reply.id !== id || (reply.flags & DNS_FLAG_RESPONSE) === 0) return 'not a reply to our query';
  const q = reply.questions[0];
  if (reply.questions.length !== 1 || normalizeDnsName(q!.name) !== normalizeDnsName(name) || q!.type !== type) return 'reply is for another question';
  const rcode = dnsRcode(reply.flags);
  if (rcode !== 0) return `response code ${rcode}`;
  if (!reply.answers.some((a) => a.type === type)) return `no ${type} record in the answer`;
  return undefined;
}

/** An address in one spelling per address, so that a reply's source can be compared with the target. */

export function dnsCheck(spec: DnsCheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  const family = isIP(spec.host);
  if (family === 0) return Promise.resolve(failure(startedAt, `DNS_CHECK needs an address, not ${JSON.stringify(spec.host)}`));
  const type = DNS_TYPES[spec.type];
  const target = canonicalIp(spec.host);
  const id = randomInt(0x10000);
  let query: Buffer;
  try {
    query = encodeDnsQuery(id, spec.name, type);
  } catch (error) {
    return Promise.resolve(failure(startedAt, (error as Error).message));
  }
  return new Promise((resolve) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const finish = firstResult(resolve, () => socket.close(), spec.timeoutMs, () => failure(startedAt, `no DNS reply within ${spec.timeoutMs} ms`));
    socket.on('error', (error) => finish(failure(startedAt, error.message)));
    socket.on('message', (packet, from) => {
      if (canonicalIp(from.address) !== target || from.port !== spec.port) return;
      let reply: DnsMessage;
      try {
        reply = decodeDnsMessage(packet);
      } catch {
        return; // garbage on the socket is not an answer; the timeout still bounds the wait
      }
      if (reply.id !== id) return;
      const problem = dnsReplyProblem(reply, id, spec.name, type);
      finish(problem === undefined ? success(startedAt, `${spec.type} ${spec.name} answered`) : failure(startedAt, problem));
    });
    socket.bind({ port: spec.bindPort ?? 0, ...(spec.bindto === undefined ? {} : { address: spec.bindto }) }, () => {
      socket.send(query, spec.port, spec.host, (error) => { if (error) finish(failure(startedAt, error.message)); });
    });
  });
}

// One run of any checker kind. `startedAt` (performance.now()) is the scheduler's clock reading for
// the run: each reading is a system call where the clock has no vDSO (user-mode Linux), and a check
// needs only one more, at its end.
//
// The kinds that bring Node modules a checker without them never loads are imported at their first
// run (whose duration then includes the import): HTTP_GET and SSL_GET (http, https, tls, and the TLS
// root certificates, about 1.6 MiB), DNS_CHECK and UDP_CHECK (dgram, crypto), PING_CHECK (crypto).
import type { CheckResult, CheckSpec, DnsCheckSpec, HttpCheckSpec, PingCheckSpec, UdpCheckSpec } from './check.ts';
import { fileCheck } from './file.ts';
import { miscCheck } from './misc.ts';
import { smtpCheck } from './smtp.ts';
import { tcpCheck } from './tcp.ts';

type Check<S extends CheckSpec> = (spec: S, startedAt: number) => Promise<CheckResult>;

/** A check kind whose module is imported at its first run, and called directly from then on. */
function importedAtFirstRun<S extends CheckSpec>(load: () => Promise<Check<S>>): Check<S> {
  let check: Check<S> | undefined;
  return (spec, startedAt) => (check ? check(spec, startedAt) : load().then((loaded) => (check = loaded)(spec, startedAt)));
}

const httpCheck = importedAtFirstRun<HttpCheckSpec>(async () => (await import('./http.ts')).httpCheck);
const dnsCheck = importedAtFirstRun<DnsCheckSpec>(async () => (await import('./dns.ts')).dnsCheck);
const udpCheck = importedAtFirstRun<UdpCheckSpec>(async () => (await import('./udp.ts')).udpCheck);
const pingCheck = importedAtFirstRun<PingCheckSpec>(async () => (await import('./ping.ts')).pingCheck);

export function runCheck(spec: CheckSpec, startedAt = performance.now()): Promise<CheckResult> {
  switch (spec.kind) {
    case 'TCP_CHECK': return tcpCheck(spec, startedAt);
    case 'HTTP_GET':
    case 'SSL_GET': return httpCheck(spec, startedAt);
    case 'MISC_CHECK': return miscCheck(spec, startedAt);
    case 'DNS_CHECK': return dnsCheck(spec, startedAt);
    case 'SMTP_CHECK': return smtpCheck(spec, startedAt);
    case 'UDP_CHECK': return udpCheck(spec, startedAt);
    case 'PING_CHECK': return pingCheck(spec, startedAt);
    case 'FILE_CHECK': return fileCheck(spec, startedAt);
  }
}

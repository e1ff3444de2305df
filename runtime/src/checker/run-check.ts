// One run of any checker kind. `startedAt` (performance.now()) is the scheduler's clock reading for
// the run: each reading is a system call where the clock has no vDSO (user-mode Linux), and a check
// needs only one more, at its end.
import type { CheckResult, CheckSpec } from './check.ts';
import { dnsCheck } from './dns.ts';
import { httpCheck } from './http.ts';
import { fileCheck } from './file.ts';
import { miscCheck } from './misc.ts';
import { pingCheck } from './ping.ts';
import { smtpCheck } from './smtp.ts';
import { tcpCheck } from './tcp.ts';
import { udpCheck } from './udp.ts';

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

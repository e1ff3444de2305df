// One run of any checker kind.
import type { CheckResult, CheckSpec } from './check.ts';
import { dnsCheck } from './dns.ts';
import { httpCheck } from './http.ts';
import { fileCheck } from './file.ts';
import { miscCheck } from './misc.ts';
import { pingCheck } from './ping.ts';
import { smtpCheck } from './smtp.ts';
import { tcpCheck } from './tcp.ts';
import { udpCheck } from './udp.ts';

export function runCheck(spec: CheckSpec): Promise<CheckResult> {
  switch (spec.kind) {
    case 'TCP_CHECK': return tcpCheck(spec);
    case 'HTTP_GET':
    case 'SSL_GET': return httpCheck(spec);
    case 'MISC_CHECK': return miscCheck(spec);
    case 'DNS_CHECK': return dnsCheck(spec);
    case 'SMTP_CHECK': return smtpCheck(spec);
    case 'UDP_CHECK': return udpCheck(spec);
    case 'PING_CHECK': return pingCheck(spec);
    case 'FILE_CHECK': return fileCheck(spec);
  }
}

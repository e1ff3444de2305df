// keepalived's stats dump (/tmp/keepalived.stats, written on SIGUSR2 and on STATS_CLEAR), in the
// layout of keepalived 2.2.7's vrrp_print_stats (vrrp/vrrp_print.c). Pure.
import { keepalivedStats, type InstanceStatus } from '../control/status.ts';

export function formatStatsDump(instances: readonly InstanceStatus[]): string {
  return instances.map((i) => {
    const s = keepalivedStats(i.counters);
    return [
      `VRRP Instance: ${i.name}`,
      '  Advertisements:',
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      '  Packet Errors:',
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${s.pri_zero_rcvd}`,
      `    Sent: ${s.pri_zero_sent}`,
      '',
    ].join('\n');
  }).join('');
}

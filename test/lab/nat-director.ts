// The lab of the load-balancing tests: a classic NAT director. The client on the front segment, the
// real servers rs1..rs3 on the back one, lb on both with the VIP (IPv4 and IPv6) on its front
// interface and forwarding on (inside lb only). The real servers' default route is lb, so their
// replies come back through it and conntrack undoes the DNAT: no SNAT is needed, and the backends
// see the real client address. The client also routes the back segment through lb, so it can reach
// a backend directly (bench/dataplane-cost.ts compares that with the DNAT).
import { Lab } from './lab.ts';
import { addressIn, formatPrefix } from './addressing.ts';
import type { Host } from './host.ts';

export const REAL_SERVERS = ['rs1', 'rs2', 'rs3'] as const;
export type RealServerName = (typeof REAL_SERVERS)[number];

export interface NatDirectorLab {
  lab: Lab;
  client: Host;
  lb: Host;
  vip: string;
  vip6: string;
}

export async function createNatDirectorLab(): Promise<NatDirectorLab> {
  const lab = await Lab.create({
    hosts: ['client', 'lb', ...REAL_SERVERS],
    segments: ['front', 'back'],
    wiring: { client: ['front'], lb: ['front', 'back'], rs1: ['back'], rs2: ['back'], rs3: ['back'] },
    ssh: false,
    management: false,
  });
  try {
    const client = lab.host('client');
    const lb = lab.host('lb');
    const vip = addressIn(lab.segment('front').subnets.v4, 100);
    const vip6 = addressIn(lab.segment('front').subnets.v6, 100);
    await lb.exec(['ip', 'address', 'add', `${vip}/32`, 'dev', lb.iface('front').name]);
    await lb.exec(['ip', 'address', 'add', `${vip6}/128`, 'dev', lb.iface('front').name, 'nodad']);
    await lb.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    await client.exec(['ip', 'route', 'add', formatPrefix(lab.segment('back').subnets.v4), 'via', lb.ipv4('front')]);
    for (const name of REAL_SERVERS) {
      const rs = lab.host(name);
      await rs.exec(['ip', 'route', 'add', 'default', 'via', lb.ipv4('back')]);
      await rs.exec(['ip', '-6', 'route', 'add', 'default', 'via', lb.ipv6('back')]);
    }
    return { lab, client, lb, vip, vip6 };
  } catch (error) {
    lab.destroy();
    throw error;
  }
}

export interface RealServerConf {
  address: string;
  weight?: number;
  /** More lines for the real_server block, e.g. "inhibit_on_failure". */
  extra?: string;
}

/**
 * A keepalived.conf with one virtual server on `vip` port 80 whose real servers are TCP-checked every
 * second (retry 1 after 0.5 s, connect_timeout 1 s), so that health changes show within seconds.
 */
export function renderVirtualServerConf(vip: string, settings: string, realServers: readonly RealServerConf[], globalDefs = ''): string {
  const lines = [
    'global_defs {', '  router_id lb', ...(globalDefs ? [`  ${globalDefs}`] : []), '}',
    `virtual_server ${vip} 80 {`, '  delay_loop 1', '  retry 1', '  delay_before_retry 0.5', '  protocol TCP',
    ...settings.split('\n').map((l) => `  ${l.trim()}`),
    ...realServers.flatMap((rs) => [
      `  real_server ${rs.address} 80 {`, `    weight ${rs.weight ?? 1}`, ...(rs.extra ? [`    ${rs.extra}`] : []),
      '    TCP_CHECK {', '      connect_timeout 1', '    }', '  }',
    ]),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

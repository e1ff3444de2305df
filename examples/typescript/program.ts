// The HA pair as a Pulumi program: two directors (Hosts), a VRRP group holding the VIP (lb1 master at
// priority 200, lb2 backup at 150), and a virtual server on the VIP's port 80 with one real server.
// Everything site-specific comes from the stack's configuration (see README.md).
import * as pulumi from '@pulumi/pulumi';
import * as keepalive from '@keepalive/pulumi';

export function haPair(): { expectedMaster: pulumi.Output<string>; liveMaster: pulumi.Output<string | undefined> } {
  const config = new pulumi.Config();
  const privateKey = config.requireSecret('privateKey');
  const serviceManager = config.get('serviceManager') === 'none' ? 'none' : 'systemd';
  const iface = config.get('interface') ?? 'eth0';
  const vip = config.require('virtualIp');

  const directors = [
    { name: 'lb1', priority: 200 },
    { name: 'lb2', priority: 150 },
  ].map((d) => ({
    priority: d.priority,
    host: new keepalive.Host(d.name, {
      address: config.require(`${d.name}Address`),
      hostKey: config.require(`${d.name}HostKey`),
      privateKey,
      serviceManager,
    }),
  }));

  const group = new keepalive.VrrpGroup('vip', {
    vrid: 51,
    interface: iface,
    virtualIps: [vip],
    members: directors.map((d) => ({ host: d.host.connection, priority: d.priority })),
  });

  const web = new keepalive.VirtualServer('web', {
    address: vip.split('/')[0]!,
    port: 80,
    scheduler: 'wrr',
    directors: directors.map((d) => d.host.connection),
    healthCheck: { kind: 'TCP_CHECK', delayLoopMs: 2000, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 },
  }, { dependsOn: [group] });

  new keepalive.RealServer('app', {
    virtualServer: web.ref,
    address: config.require('realServer'),
    port: 80,
  });

  return { expectedMaster: group.expectedMaster, liveMaster: group.liveMaster };
}

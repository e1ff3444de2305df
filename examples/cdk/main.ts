// The HA pair with CDK Terrain (cdktn, the maintained fork of CDK for Terraform): two directors
// (keepalive_host lb1 and lb2), a VRRP group holding the VIP (lb1 master at priority 200, lb2 backup at
// 150) and a virtual server on the VIP's port 80 with one real server, as the Pulumi examples declare it.
//
//   node main.ts            writes cdktf.out/stacks/ha-pair/cdk.tf.json (Node 24 runs the TypeScript)
//
// Everything site-specific is a Terraform variable, given at plan time (-var, or TF_VAR_<name> in the
// environment), so the synthesized configuration holds no address and no key: private_key is a
// sensitive variable, and stays out of plans and logs. See README.md.
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktn';
import type { Construct } from 'constructs';
import { host, provider, realServer, virtualServer, vrrpGroup } from '@keepalive/cdktn';

class HaPair extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new provider.KeepaliveProvider(this, 'keepalive');
    const variable = (name: string, description: string, extra: { default?: string; sensitive?: boolean } = {}): string =>
      new TerraformVariable(this, name, { type: 'string', description, ...extra }).stringValue;

    const privateKey = variable('private_key', 'The SSH private key that reaches both directors as root.', { sensitive: true });
    const serviceManager = variable('service_manager', 'systemd, or none where the hosts have no systemd.', { default: 'systemd' });
    const iface = variable('interface', 'The interface the VIP goes on.', { default: 'eth0' });
    const vip = variable('virtual_ip', 'The VIP with its prefix length, such as 198.18.0.100/24.');
    const vipAddress = variable('virtual_address', 'The VIP alone, such as 198.18.0.100: the virtual server\'s address.');

    const directors = [{ name: 'lb1', priority: 200 }, { name: 'lb2', priority: 150 }].map((d) => ({
      priority: d.priority,
      host: new host.Host(this, d.name, {
        // The host's name in the topology words and on the hosts.
        name: d.name,
        address: variable(`${d.name}_address`, `${d.name}'s address, reached over SSH.`),
        hostKey: variable(`${d.name}_host_key`, `${d.name}'s SSH host key, as ssh-keyscan -t ed25519 prints it (checked out of band).`),
        privateKey,
        serviceManager,
      }),
    }));

    const group = new vrrpGroup.VrrpGroup(this, 'vip', {
      vrid: 51,
      interface: iface,
      virtualIps: [vip],
      members: directors.map((d) => ({ host: d.host.hostConnection, priority: d.priority })),
    });

    const web = new virtualServer.VirtualServer(this, 'web', {
      address: vipAddress,
      port: 80,
      scheduler: 'wrr',
      directors: directors.map((d) => d.host.hostConnection),
      healthCheck: { kind: 'TCP_CHECK', delayLoopMs: 2000, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 },
      dependsOn: [group],
    });

    new realServer.RealServer(this, 'app', {
      virtualServer: web.ref,
      address: variable('real_server', 'The real server\'s address.'),
      port: 80,
    });

    new TerraformOutput(this, 'expected_master', { value: group.expectedMaster });
  }
}

const app = new App();
new HaPair(app, 'ha-pair');
app.synth();

// The example Pulumi program: an HA pair (ha-pair.ts) configured from the stack's configuration.
//   pulumi config set --path 'directors[0]' '{"name":"lb1","address":"198.18.0.1","hostKey":"ssh-ed25519 AAAA...","priority":200}'
//   pulumi config set --secret privateKey "$(cat ~/.ssh/id_ed25519)"
// See README.md for every key.
import * as pulumi from '@pulumi/pulumi';
import { haPair, type Backend, type Director } from './ha-pair.ts';

const config = new pulumi.Config();
const pair = haPair({
  directors: config.requireObject<[Director, Director]>('directors'),
  privateKey: config.requireSecret('privateKey'),
  serviceManager: config.get('serviceManager') === 'none' ? 'none' : 'systemd',
  interface: config.get('interface') ?? 'eth0',
  vrid: config.getNumber('vrid') ?? 51,
  vip: config.require('vip'),
  port: config.getNumber('port') ?? 80,
  backends: config.requireObject<Backend[]>('backends'),
});

export const expectedMaster = pair.vip.expectedMaster;
export const liveMaster = pair.vip.liveMaster;
export const runtimeVersions = pair.directors.map((d) => d.runtimeVersion);
export const health = pair.backends.map((b) => b.health);

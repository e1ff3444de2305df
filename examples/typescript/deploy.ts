// The same program through the Automation API, as an inline program: no Node language host needed.
//   node deploy.ts preview|up|refresh|destroy
// The stack's configuration from the environment (see README.md): KEEPALIVE_LB1_ADDRESS,
// KEEPALIVE_LB1_HOST_KEY, KEEPALIVE_LB2_ADDRESS, KEEPALIVE_LB2_HOST_KEY, KEEPALIVE_PRIVATE_KEY_FILE,
// KEEPALIVE_VIP, KEEPALIVE_REAL_SERVER, and optionally KEEPALIVE_INTERFACE, KEEPALIVE_SERVICE_MANAGER.
// State goes where PULUMI_BACKEND_URL says, encrypted with PULUMI_CONFIG_PASSPHRASE. The last line
// printed is the result as JSON.
import { readFileSync } from 'node:fs';
import { LocalWorkspace, type ConfigMap } from '@pulumi/pulumi/automation/index.js';
import { haPair } from './program.ts';

const command = process.argv[2];
if (!['preview', 'up', 'refresh', 'destroy'].includes(command ?? '')) {
  console.error('usage: node deploy.ts preview|up|refresh|destroy');
  process.exit(1);
}
const env = (name: string): string | undefined => process.env[`KEEPALIVE_${name}`] || undefined;
const required = (name: string): string => env(name) ?? (() => { throw new Error(`KEEPALIVE_${name} is not set`); })();

const stack = await LocalWorkspace.createOrSelectStack({
  projectName: 'keepalive-ha-pair',
  stackName: process.env['PULUMI_STACK'] ?? 'dev',
  program: async () => haPair(),
});
const config: ConfigMap = {
  lb1Address: { value: required('LB1_ADDRESS') },
  lb1HostKey: { value: required('LB1_HOST_KEY') },
  lb2Address: { value: required('LB2_ADDRESS') },
  lb2HostKey: { value: required('LB2_HOST_KEY') },
  privateKey: { value: readFileSync(required('PRIVATE_KEY_FILE'), 'utf8'), secret: true },
  virtualIp: { value: required('VIP') },
  realServer: { value: required('REAL_SERVER') },
  interface: { value: env('INTERFACE') ?? 'eth0' },
  serviceManager: { value: env('SERVICE_MANAGER') ?? 'systemd' },
};
await stack.setAllConfig(config);

const show = { onOutput: (text: string) => process.stdout.write(text) };
let result: unknown;
if (command === 'preview') {
  result = { changes: (await stack.preview(show)).changeSummary };
} else if (command === 'up') {
  const up = await stack.up(show);
  result = { result: up.summary.result, changes: up.summary.resourceChanges, outputs: Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])) };
} else if (command === 'refresh') {
  const refresh = await stack.refresh(show);
  result = { result: refresh.summary.result, changes: refresh.summary.resourceChanges };
} else {
  const destroy = await stack.destroy(show);
  result = { result: destroy.summary.result, changes: destroy.summary.resourceChanges };
}
console.log(`\n${JSON.stringify(result)}`);

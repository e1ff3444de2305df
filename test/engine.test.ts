// The real Pulumi engine (the CLI that scripts/pulumi-engine builds from the Go module proxy) driving
// this repository's provider plugin against lab hosts with their own sshd. Programs run inline through
// the Automation API, where @pulumi/pulumi serves the language runtime to the CLI itself (no Node
// language host binary is to be had here: see scripts/pulumi-engine). The state lives in a file
// backend in the lab's directory, secrets are encrypted with a passphrase, and the CLI is kept from
// any service: no update check, no plugin downloads (the plugin is found on PATH).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, PulumiCommand, type Stack } from '@pulumi/pulumi/automation/index.js';
import { Lab } from './lab/lab.ts';
import { addressIn } from './lab/addressing.ts';
import { run } from './lab/exec.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const T = { timeout: 300_000 };
const HOSTS = ['h1', 'h2', 'h3'] as const;

let lab: Lab;
let stack: Stack;
let vip: string;

/** A Host resource, with the output its groups take. */
class Host extends pulumi.CustomResource {
  declare readonly connection: pulumi.Output<unknown>;
  constructor(name: string, args: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super('keepalive:index:Host', name, { ...args, connection: undefined }, opts);
  }
}

class VrrpGroup extends pulumi.CustomResource {
  declare readonly expectedMaster: pulumi.Output<string>;
  constructor(name: string, args: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    super('keepalive:index:VrrpGroup', name, { ...args, expectedMaster: undefined }, opts);
  }
}

/** The HA topology: three hosts, one VRRP group over them with these priorities. */
function program(priorities: Record<(typeof HOSTS)[number], number>): () => Promise<Record<string, unknown>> {
  return async () => {
    const hosts = HOSTS.map((name) => {
      const ssh = lab.host(name).ssh!;
      return new Host(name, {
        address: ssh.host, port: ssh.port, user: ssh.username, privateKey: pulumi.secret(ssh.privateKey.toString()), hostKey: ssh.hostKey,
        serviceManager: 'none',
      });
    });
    const group = new VrrpGroup('web', {
      vrid: 51, interface: 'eth0', virtualIps: [`${vip}/24`], version: 3, advertIntervalMs: 100,
      members: hosts.map((h, i) => ({ host: h.connection, priority: priorities[HOSTS[i]!] })),
    });
    return { expectedMaster: group.expectedMaster };
  };
}

/** The engine's binary directory: built (or reused from the cache) by scripts/pulumi-engine. */
async function engine(): Promise<string> {
  const { stdout } = await run(['bash', join(REPO, 'scripts/pulumi-engine')], { timeoutMs: 30 * 60_000 });
  return stdout.trim().split('\n').at(-1)!;
}

before(async () => {
  lab = await Lab.create({ hosts: [...HOSTS] });
  vip = addressIn(lab.segment().subnets.v4, 100);
  const bin = await engine();
  const home = join(lab.dir, 'pulumi-home');
  const backend = join(lab.dir, 'pulumi-state');
  mkdirSync(home, { recursive: true });
  mkdirSync(backend, { recursive: true });
  const envVars = {
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: 'lab passphrase',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    // The plugin (provider/bin) and the Node it runs on come from this checkout.
    PATH: [join(REPO, 'provider/bin'), join(REPO, 'node_modules/.bin'), bin, process.env.PATH].join(':'),
  };
  const pulumiCommand = await PulumiCommand.get({ root: dirname(bin), skipVersionCheck: false });
  stack = await LocalWorkspace.createOrSelectStack(
    { stackName: 'lab', projectName: 'keepalive-engine-test', program: program({ h1: 200, h2: 150, h3: 100 }) },
    { envVars, pulumiCommand, workDir: join(lab.dir) },
  );
});

after(() => lab?.destroy());

test('pulumi preview names the topology: the expected master of the group, before anything exists', T, async () => {
  let output = '';
  const preview = await stack.preview({ onOutput: (text) => { output += text; } });
  assert.deepEqual(preview.changeSummary, { create: 5 }, output);
  assert.match(output, /VrrpGroup web +vrid 51: master h1 \(priority 200 > 150\)/, output);
  assert.match(output, new RegExp(`VrrpGroup web +VIP ${vip.replaceAll('.', '\\.')}/24 comes up on h1`), output);
  assert.match(output, /expectedMaster: "h1"/);
  // The state file holds no private key in plain text.
  const files = readdirSync(join(lab.dir, 'pulumi-state'), { recursive: true }).map(String);
  for (const file of files.filter((f) => f.endsWith('.json'))) {
    assert.doesNotMatch(readFileSync(join(lab.dir, 'pulumi-state', file), 'utf8'), /PRIVATE KEY/);
  }
});

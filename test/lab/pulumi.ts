// The real Pulumi engine against the lab: the CLI that scripts/pulumi-engine builds (or reuses), a
// stack of the example program (examples/ha-pair.ts) on lab hosts, run inline through the Automation
// API (where @pulumi/pulumi serves the language runtime to the CLI itself: no Node language host
// binary is to be had here). State in a file backend in the lab's directory, secrets encrypted with a
// passphrase, no service reached: no update check, no plugin downloads (the plugin is found on PATH).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, PulumiCommand, type Stack } from '@pulumi/pulumi/automation/index.js';
import { run } from './exec.ts';
import type { Lab } from './lab.ts';
import { haPair } from '../../examples/ha-pair.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The engine's binary directory: built (about 9 minutes from cold) or reused by scripts/pulumi-engine. */
export async function pulumiEngine(): Promise<string> {
  const { stdout } = await run(['bash', join(REPO, 'scripts/pulumi-engine')], { timeoutMs: 30 * 60_000 });
  return stdout.trim().split('\n').at(-1)!;
}

export interface ExampleTopology {
  /** The two directors' lab host names, and the real servers'. */
  directors: readonly [string, string];
  backends: readonly string[];
  /** "ADDR/LEN" on the directors' eth0. */
  vip: string;
}

/** The example's HA pair on these lab hosts, with these director priorities. */
export function exampleProgram(lab: Lab, t: ExampleTopology, priorities: readonly [number, number]): () => Promise<Record<string, unknown>> {
  return async () => {
    const directors = t.directors.map((name, i) => {
      const ssh = lab.host(name).ssh!;
      return { name, address: ssh.host, hostKey: ssh.hostKey, priority: priorities[i]! };
    });
    const pair = haPair({
      directors: [directors[0]!, directors[1]!],
      // One generated client key reaches every lab host.
      privateKey: pulumi.secret(lab.host(t.directors[0]).ssh!.privateKey.toString()),
      serviceManager: 'none',
      interface: 'eth0',
      vrid: 51,
      vip: t.vip,
      port: 80,
      backends: t.backends.map((name) => ({ name, address: lab.host(name).ipv4() })),
    });
    return { expectedMaster: pair.vip.expectedMaster, liveMaster: pair.vip.liveMaster, runtimeVersions: pair.directors.map((d) => d.runtimeVersion) };
  };
}

/** A stack of the example on the lab, its state under lab.dir/pulumi-state. */
export async function exampleStack(lab: Lab, t: ExampleTopology, priorities: readonly [number, number]): Promise<Stack> {
  const bin = await pulumiEngine();
  const backend = join(lab.dir, 'pulumi-state');
  mkdirSync(backend, { recursive: true });
  const envVars = {
    PULUMI_HOME: join(lab.dir, 'pulumi-home'),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: 'lab passphrase',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    // The plugin (provider/bin) and the Node it runs on come from this checkout.
    PATH: [join(REPO, 'provider/bin'), join(REPO, 'node_modules/.bin'), bin, process.env.PATH].join(':'),
  };
  const pulumiCommand = await PulumiCommand.get({ root: dirname(bin) });
  return LocalWorkspace.createOrSelectStack(
    { stackName: 'lab', projectName: 'keepalive-example', program: exampleProgram(lab, t, priorities) },
    { envVars, pulumiCommand, workDir: lab.dir },
  );
}

/** The lab host whose MAC a client learns for `vip` (the director answering for it), if any answers. */
export async function answeringHost(lab: Lab, client: string, vip: string, candidates: readonly string[]): Promise<string | undefined> {
  const c = lab.host(client);
  await c.exec(['ip', 'neigh', 'flush', 'dev', c.iface().name]);
  const ping = await c.exec(['ping', '-c', '1', '-W', '1', vip], { allowFailure: true });
  if (ping.code !== 0) return undefined;
  const mac = /lladdr (\S+)/.exec((await c.exec(['ip', 'neigh', 'show', vip])).stdout)?.[1];
  return candidates.find((name) => lab.host(name).iface().mac === mac);
}

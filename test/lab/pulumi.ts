// The real Pulumi engine against the lab: the CLI that scripts/pulumi-engine builds (or reuses), a
// stack of the example program (examples/ha-pair.ts) on lab hosts, run inline through the Automation
// API (where @pulumi/pulumi serves the language runtime to the CLI itself: no Node language host
// binary is to be had here). State in a file backend in the lab's directory, secrets encrypted with a
// passphrase, no service reached: no update check, no plugin downloads (the plugin is found on PATH).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { LocalWorkspace, PulumiCommand, type EngineEvent, type PulumiFn, type Stack } from '@pulumi/pulumi/automation/index.js';
import { run } from './exec.ts';
import type { Lab } from './lab.ts';
import { haPair } from '../../examples/ha-pair.ts';
import { RUNTIME_FILES } from '../../scripts/runtime-files.ts';

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
export function exampleProgram(lab: Lab, t: ExampleTopology, priorities: readonly [number, number], imports?: Readonly<Record<string, string>>): () => Promise<Record<string, unknown>> {
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
      ...(imports && { imports }),
    });
    return { expectedMaster: pair.vip.expectedMaster, liveMaster: pair.vip.liveMaster, runtimeVersions: pair.directors.map((d) => d.runtimeVersion) };
  };
}

/** A stack of the example on the lab, its state under lab.dir/pulumi-state. */
export async function exampleStack(lab: Lab, t: ExampleTopology, priorities: readonly [number, number]): Promise<Stack> {
  return labStack(lab, exampleProgram(lab, t, priorities), { projectName: 'keepalive-example' });
}

/**
 * The runtime release a lab's deploys install: built from this checkout once, copied into the lab's
 * directory and named to the plugin by KEEPALIVE_RUNTIME_BUNDLE. Without it each plugin process (one
 * per engine operation) builds its own, and a source edit between two operations would be a runtime
 * upgrade in the middle of a test.
 */
export async function labRuntimeBundle(lab: Lab): Promise<string> {
  const dir = join(lab.dir, 'runtime-bundle');
  if (existsSync(join(dir, 'keepalive.mjs'))) return dir;
  await run([process.execPath, join(REPO, 'scripts/build-runtime.ts')], { timeoutMs: 120_000 });
  mkdirSync(dir, { recursive: true });
  for (const file of RUNTIME_FILES) copyFileSync(join(REPO, 'dist/runtime', file), join(dir, file));
  return dir;
}

/**
 * A stack of any inline program on the lab: the engine and plugin as exampleStack runs them, state in
 * lab.dir/pulumi-state (one backend per lab; stacks told apart by project and stack name), the lab's
 * runtime release (labRuntimeBundle), `envVars` added to what the CLI, and so the plugin, gets
 * (another KEEPALIVE_RUNTIME_BUNDLE, say).
 */
export async function labStack(lab: Lab, program: PulumiFn, { projectName, stackName = 'lab', envVars = {} }: { projectName: string; stackName?: string; envVars?: Record<string, string> }): Promise<Stack> {
  const bin = await pulumiEngine();
  const backend = join(lab.dir, 'pulumi-state');
  mkdirSync(backend, { recursive: true });
  const env = {
    PULUMI_HOME: join(lab.dir, 'pulumi-home'),
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: 'lab passphrase',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    // The plugin (provider/bin) and the Node it runs on come from this checkout.
    PATH: [join(REPO, 'provider/bin'), join(REPO, 'node_modules/.bin'), bin, process.env.PATH].join(':'),
    KEEPALIVE_RUNTIME_BUNDLE: await labRuntimeBundle(lab),
    ...envVars,
  };
  const pulumiCommand = await PulumiCommand.get({ root: dirname(bin) });
  const workDir = join(lab.dir, `pulumi-${projectName}`);
  mkdirSync(workDir, { recursive: true });
  return LocalWorkspace.createOrSelectStack({ stackName, projectName, program }, { envVars: env, pulumiCommand, workDir });
}

/** What a plugin logged under one resource, as the engine passes it on: "ssh h1: 3 round trips, 1 write; ...". */
export interface SshCost { resource: string; host: string; roundTrips: number; writes: number }

/** The provider's SSH cost line ("ssh h1: 3 round trips, 1 write; h2: ..."), per host; any other message, none. */
export function parseSshCost(message: string): Omit<SshCost, 'resource'>[] {
  if (!message.startsWith('ssh ')) return [];
  return message.slice(4).split('; ').map((part) => {
    const m = /^(\S+): (\d+) round trips?, (\d+) writes?$/.exec(part);
    return { host: m?.[1] ?? part, roundTrips: Number(m?.[2] ?? NaN), writes: Number(m?.[3] ?? NaN) };
  });
}

/**
 * The engine's events of operations (pass `engineLog.options` to preview, up, refresh, destroy), read
 * back per resource: the topology words and errors each logged, its SSH cost (the plugin's debug
 * lines, which the engine's event stream carries whatever the display shows), and what was done to it.
 */
export class EngineLog {
  readonly events: EngineEvent[] = [];
  text = '';
  readonly options = {
    onEvent: (event: EngineEvent): void => { this.events.push(event); },
    onOutput: (text: string): void => { this.text += text; },
  };

  /** Where the next operation's events begin: pass it as `since`. */
  mark(): number { this.text = ''; return this.events.length; }

  /** The diagnostics logged for a resource (by name), or for all, at these severities. */
  diagnostics(since = 0, { name, severity }: { name?: string; severity?: readonly string[] } = {}): { name: string; severity: string; message: string }[] {
    return this.events.slice(since).flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent] : []))
      .map((d) => ({ name: d.urn?.split('::').at(-1) ?? '', severity: d.severity as string, message: d.message.replace(/\n$/, '') }))
      .filter((d) => (name === undefined || d.name === name) && (severity === undefined || severity.includes(d.severity)));
  }

  /** A resource's words in the preview or update: what its Check and Diff logged at info. */
  words(name: string, since = 0): string[] {
    return this.diagnostics(since, { name, severity: ['info'] }).map((d) => d.message);
  }

  sshCosts(since = 0, name?: string): SshCost[] {
    return this.diagnostics(since, { severity: ['debug'], ...(name !== undefined && { name }) })
      .flatMap((d) => parseSshCost(d.message).map((cost) => ({ resource: d.name, ...cost })));
  }

  /** What the engine did to each resource of the program (create, update, same, delete, ...), by name; failed ones as "failed". */
  ops(since = 0): Record<string, string> {
    const ops: Record<string, string> = {};
    for (const e of this.events.slice(since)) {
      const done = e.resOutputsEvent?.metadata ?? e.resourcePreEvent?.metadata;
      if (done && done.type.startsWith('keepalive:')) ops[done.urn.split('::').at(-1)!] = done.op;
      if (e.resOpFailedEvent) ops[e.resOpFailedEvent.metadata.urn.split('::').at(-1)!] = 'failed';
    }
    return ops;
  }
}

/** Each keepalive resource's outputs (secrets in plain text) as the stack's state records them, by name. */
export async function stateOutputs(stack: Stack): Promise<Record<string, Record<string, unknown>>> {
  const exported = await stack.exportStack();
  const resources = (exported.deployment as { resources?: { urn: string; type: string; outputs?: Record<string, unknown> }[] }).resources ?? [];
  return Object.fromEntries(resources.filter((r) => r.type.startsWith('keepalive:index:')).map((r) => [r.urn.split('::').at(-1)!, r.outputs ?? {}]));
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

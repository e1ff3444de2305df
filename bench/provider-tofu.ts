// The deploy benchmark's steps through OpenTofu (scripts/tofu, the checkout's provider from its
// filesystem mirror), on three lab hosts with their own sshd, for bench/provider-deploy.ts to print
// beside the Pulumi provider's figures of the same run:
//   create      `apply` of three Hosts (runtime and Node uploaded) and a VRRP group over them
//   no-op plan  `plan -detailed-exitcode` with nothing changed (exit 0: no change planned)
//   one field   `apply` of a backup's priority (100 -> 110): the master stays
//   master move `apply` of a backup raised above the master (200 < 250): it holds the VIP after
//   destroy     `destroy` of everything
// Each step is one tofu command, timed from its start to its exit (OpenTofu's own start, the plugin's
// start and its refresh included, as a user waits for them), with the provider's SSH cost: the
// provider writes each operation's cost line to stderr in hclog's JSON form, which OpenTofu puts in its
// provider log (TF_LOG_PROVIDER=DEBUG, TF_LOG_PATH, one file per step).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addressIn } from '../test/lab/addressing.ts';
import { Lab } from '../test/lab/lab.ts';
import { parseSshCost } from '../test/lab/pulumi.ts';
import { waitForSoleHolder } from '../test/lab/vrrp.ts';
import { stopRuntimes } from '../test/fixtures/provider/lab.ts';

const TOFU = resolve(import.meta.dirname, '../scripts/tofu');
const HOSTS = ['h1', 'h2', 'h3'] as const;

export interface TofuRow { step: string; ms: number; roundTrips: number; writes: number }

const CONFIG = `terraform {
  required_providers {
    keepalive = { source = "keepalive/keepalive" }
  }
}

variable "private_key" {
  type      = string
  sensitive = true
}
variable "hosts" {
  type = map(object({ address = string, host_key = string, priority = number }))
}
variable "vip" { type = string }

resource "keepalive_host" "h" {
  for_each        = var.hosts
  name            = each.key
  address         = each.value.address
  private_key     = var.private_key
  host_key        = each.value.host_key
  service_manager = "none"
}

resource "keepalive_vrrp_group" "web" {
  name        = "web"
  vrid        = 51
  interface   = "eth0"
  virtual_ips = [var.vip]
  members     = [for name, h in var.hosts : { host = keepalive_host.h[name].host_connection, priority = h.priority }]
}
`;

/** Runs one tofu command in `dir`; its output, exit code and time, and the SSH cost its provider logged. */
function tofu(dir: string, step: string, args: string[]): Promise<{ code: number | null; out: string; ms: number; roundTrips: number; writes: number }> {
  const logPath = join(dir, `${step.replaceAll(/\W+/g, '-')}.log`);
  rmSync(logPath, { force: true });
  const env = { ...process.env, TF_IN_AUTOMATION: '1', TF_LOG_PROVIDER: 'DEBUG', TF_LOG_PATH: logPath };
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(TOFU, [...args, '-no-color'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b; });
    child.stderr.on('data', (b: Buffer) => { out += b; });
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const costs = (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '').split('\n')
        .map((line) => /: (ssh \S+: \d+ round trips?, \d+ writes?(?:; \S+: \d+ round trips?, \d+ writes?)*)/.exec(line)?.[1])
        .flatMap((message) => (message === undefined ? [] : parseSshCost(message)));
      done({ code, out, ms, roundTrips: costs.reduce((n, c) => n + c.roundTrips, 0), writes: costs.reduce((n, c) => n + c.writes, 0) });
    });
  });
}

/** The steps through OpenTofu, `runs` times, each on a lab of its own. */
export async function tofuBenchmark(runs: number): Promise<TofuRow[]> {
  const rows: TofuRow[] = [];
  for (let run = 0; run < runs; run++) {
    await using lab = await Lab.create({ hosts: [...HOSTS] });
    const dir = mkdtempSync(join(tmpdir(), 'keepalive-bench-tofu-'));
    const vip = addressIn(lab.segment().subnets.v4, 100);
    const vars = (priorities: Record<(typeof HOSTS)[number], number>): void => writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify({
      private_key: lab.host('h1').ssh!.privateKey.toString(),
      vip: `${vip}/24`,
      hosts: Object.fromEntries(HOSTS.map((h) => [h, { address: lab.host(h).ssh!.host, host_key: lab.host(h).ssh!.hostKey, priority: priorities[h] }])),
    }));
    const step = async (name: string, args: string[], expectCode = 0): Promise<string> => {
      const r = await tofu(dir, name, args);
      if (r.code !== expectCode) throw new Error(`tofu ${args.join(' ')} (${name}): exit ${r.code}, expected ${expectCode}\n${r.out.slice(-4000)}`);
      rows.push({ step: name, ms: r.ms, roundTrips: r.roundTrips, writes: r.writes });
      return r.out;
    };
    try {
      writeFileSync(join(dir, 'main.tf'), CONFIG);
      const base = { h1: 200, h2: 150, h3: 100 };
      vars(base);
      const init = await tofu(dir, 'init', ['init', '-input=false']);
      if (init.code !== 0) throw new Error(`tofu init: exit ${init.code}\n${init.out}`);
      await step('create', ['apply', '-input=false', '-auto-approve']);
      await waitForSoleHolder(lab.hosts.values(), vip, 'h1');
      await step('no-op plan', ['plan', '-input=false', '-detailed-exitcode']);
      vars({ ...base, h3: 110 });
      await step('one field', ['apply', '-input=false', '-auto-approve']);
      vars({ ...base, h3: 110, h2: 250 });
      const moved = await step('master move', ['apply', '-input=false', '-auto-approve']);
      if (!/vrid 51: master h1 -> h2/.test(moved)) throw new Error(`the master move was not planned in words:\n${moved.slice(-4000)}`);
      await waitForSoleHolder(lab.hosts.values(), vip, 'h2');
      await step('destroy', ['destroy', '-input=false', '-auto-approve']);
    } finally {
      await stopRuntimes(lab.hosts.values());
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

// A user's journey outside the checkout (issue 13, section 3): a temporary directory with no path into
// this repository and a PULUMI_HOME of its own, the plugin installed from its release tarball with
// `pulumi plugin install resource keepalive VERSION --file`, the SDK and the example program copied in
// as a user would get them, and the user's commands run there with an environment of the user's (no
// KEEPALIVE_RUNTIME_BUNDLE, no provider/bin on PATH, ambient plugins ignored) and with the checkout
// hidden from them, the engine and the plugin (withoutCheckout): what the plugin installs on hosts
// comes from the executable alone.
//
// The lab side (the directors, a real server answering HTTP, a client) is the test's: journeyLab makes
// it, and the journeys point the examples at it through the examples' own configuration.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from './lab.ts';
import { addressIn } from './addressing.ts';
import { waitFor } from './exec.ts';
import { pulumiEngine } from './pulumi.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLES = join(REPO, 'examples');
const PACKAGES = join(REPO, 'dist/packages');
/** Downloads kept between runs (pip's; npm and Go keep theirs in their usual places under HOME). */
export const CACHE = join(process.env['KEEPALIVE_CACHE_DIR'] ?? join(homedir(), '.cache/keepalive'), 'journey');
/** The version of the plugin and every SDK: package.json's. */
export const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
export const PLUGIN_TARBALL = join(PACKAGES, `pulumi-resource-keepalive-v${VERSION}-linux-amd64.tar.gz`);

export const DIRECTORS = ['lb1', 'lb2'] as const;
export const REAL_SERVER = 'rs1';
export const CLIENT = 'client';

export interface Artefacts {
  plugin: string;
  nodeSdk: string;
  pythonSdk: string;
  goSdk: string;
  /** The Pulumi CLI's directory (pulumi, pulumi-language-yaml). */
  engine: string;
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { recursive: true })) latest = Math.max(latest, statSync(join(dir, String(entry))).mtimeMs);
  return latest;
}

/** What the plugin executable is made of: a tarball older than any of these is rebuilt. */
const PLUGIN_SOURCES = ['provider', 'runtime/src', 'runtime/native', 'scripts/build-plugin.ts', 'scripts/build-runtime.ts', 'scripts/package.ts', 'package.json'];

/** The plugin's release tarball, from `node scripts/package.ts --plugin-only` unless one newer than its sources is there. */
export async function pluginTarball(): Promise<string> {
  const script = join(REPO, 'scripts/package.ts');
  if (!existsSync(script)) {
    if (existsSync(PLUGIN_TARBALL)) return PLUGIN_TARBALL;
    throw new Error(`${PLUGIN_TARBALL} is missing and scripts/package.ts, which makes it, is not there`);
  }
  const sources = Math.max(...PLUGIN_SOURCES.map((path) => join(REPO, path)).filter(existsSync).map((path) => (statSync(path).isDirectory() ? newest(path) : statSync(path).mtimeMs)));
  if (!existsSync(PLUGIN_TARBALL) || statSync(PLUGIN_TARBALL).mtimeMs < sources) {
    const built = await sh(['nice', '-n', '19', process.execPath, script, '--plugin-only'], { cwd: REPO, env: { ...process.env, NODE_TEST_CONTEXT: undefined }, timeoutMs: 900_000 });
    if (built.code !== 0 || !existsSync(PLUGIN_TARBALL)) throw new Error(show('node scripts/package.ts --plugin-only', built));
  }
  return PLUGIN_TARBALL;
}

/**
 * The release artefacts: the plugin tarball (pluginTarball) and the SDKs (`node scripts/sdk.ts build`,
 * rerun when an artefact is missing or older than sdk/).
 */
export async function artefacts(): Promise<Artefacts> {
  const plugin = await pluginTarball();
  const sdks = { nodeSdk: join(PACKAGES, `keepalive-pulumi-${VERSION}.tgz`), pythonSdk: join(PACKAGES, `pulumi_keepalive-${VERSION}-py3-none-any.whl`), goSdk: join(PACKAGES, 'go') };
  const sources = newest(join(REPO, 'sdk'));
  if (Object.values(sdks).some((path) => !existsSync(path) || statSync(path).mtimeMs < sources || (statSync(path).isDirectory() && newest(path) < sources))) {
    const built = await sh(['nice', '-n', '19', process.execPath, join(REPO, 'scripts/sdk.ts'), 'build'], { cwd: REPO, env: { ...process.env, NODE_TEST_CONTEXT: undefined }, timeoutMs: 600_000 });
    if (built.code !== 0) throw new Error(`node scripts/sdk.ts build failed:\n${built.stderr}`);
  }
  return { plugin, ...sdks, engine: await pulumiEngine() };
}

export interface Result { code: number | null; stdout: string; stderr: string; ms: number }

/** Runs argv in cwd with exactly env (nothing inherited), capturing its output; never throws on exit. */
export function sh(argv: readonly string[], { cwd, env, timeoutMs = 300_000, input }: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: performance.now() - started }); });
    child.stdin.end(input ?? '');
  });
}

/** A result's output for an assertion message: the command, its exit and the tail of both streams. */
export const show = (what: string, r: Result): string => `${what}: exit ${r.code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

/** The JSON the examples' deploy programs print as their last line. */
export function lastJson(r: Result): Record<string, unknown> {
  const line = r.stdout.trimEnd().split('\n').at(-1) ?? '';
  try { return JSON.parse(line) as Record<string, unknown>; } catch { throw new Error(show('no JSON result on the last line', r)); }
}

/**
 * argv wrapped so that it runs with this checkout hidden under an empty tmpfs, in a mount namespace of
 * its own (what it starts, the engine and the plugin among them, inherits it): a journey that needed
 * anything from the checkout would fail.
 */
export function withoutCheckout(argv: readonly string[]): string[] {
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none "$1" || exit 125; shift; exec "$@"', 'sh', REPO.replace(/\/$/, ''), ...argv];
}

export interface Journey {
  /** The temporary directory: the user's project under project/, the state under state/, PULUMI_HOME under pulumi-home/. */
  dir: string;
  project: string;
  /** The user's environment: PATH with the Pulumi CLI (and what else the language needs), the state backend, the passphrase. */
  env: NodeJS.ProcessEnv;
  /** The copied release artefacts, by their file names, in dir/downloads. */
  downloads: string;
  /** Runs a user's command in the project (env: the journey's unless given), the checkout hidden (withoutCheckout). */
  run(argv: readonly string[], options?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<Result>;
  remove(): void;
}

/**
 * The machine's environment as a user's shell has it (its CA bundle and proxies, pip's settings), less
 * whatever names this checkout, the test runner or a running engine: npm_* of `npm test`, the test
 * runner's NODE_TEST_CONTEXT, PULUMI_* and KEEPALIVE_*, and any value with the checkout's path in it.
 */
export function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key, value]) =>
    !/^(npm_|NODE_TEST|NODE_OPTIONS$|PULUMI_|KEEPALIVE_|INIT_CWD$|OLDPWD$|PWD$)/i.test(key) && !(value ?? '').includes(REPO.replace(/\/$/, ''))));
}

/**
 * A fresh temporary directory for one language's journey, with the plugin installed from its tarball
 * into its own PULUMI_HOME (by `pulumi plugin install`, checked) and the artefacts copied into
 * downloads/. `path` is put on PATH before the system's /usr/bin:/bin (the Pulumi CLI always is).
 */
export async function startJourney(language: string, a: Artefacts, path: readonly string[] = []): Promise<Journey> {
  const dir = mkdtempSync(join(tmpdir(), `keepalive-journey-${language}-`));
  if (dir.startsWith(REPO)) throw new Error(`${dir} is inside the checkout`);
  const project = join(dir, 'project');
  const downloads = join(dir, 'downloads');
  mkdirSync(project);
  mkdirSync(downloads);
  mkdirSync(join(dir, 'state'));
  for (const file of [a.plugin, a.nodeSdk, a.pythonSdk]) copyFileSync(file, join(downloads, basename(file)));
  cpSync(a.goSdk, join(downloads, 'keepalive-sdk-go'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...userEnvironment(),
    HOME: homedir(),
    PATH: [a.engine, ...path, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    LANG: 'C.UTF-8',
    PULUMI_HOME: join(dir, 'pulumi-home'),
    PULUMI_BACKEND_URL: `file://${join(dir, 'state')}`,
    PULUMI_CONFIG_PASSPHRASE: 'journey passphrase',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
  };
  const journey: Journey = {
    dir, project, env, downloads,
    run: (argv, options = {}) => sh(withoutCheckout(argv), { cwd: project, env: options.env ?? env, timeoutMs: options.timeoutMs ?? 600_000, ...(options.input !== undefined && { input: options.input }) }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  const seen = await journey.run(['sh', '-c', 'ls -A "$0" | wc -l', REPO]);
  if (seen.stdout.trim() !== '0') throw new Error(show(`the checkout is not hidden from the journey's commands`, seen));
  const installed = await journey.run(['pulumi', 'plugin', 'install', 'resource', 'keepalive', VERSION, '--file', join(downloads, basename(a.plugin))]);
  if (installed.code !== 0) throw new Error(show('pulumi plugin install', installed));
  const listed = await journey.run(['pulumi', 'plugin', 'ls']);
  if (!new RegExp(`keepalive\\s+resource\\s+${VERSION.replaceAll('.', '\\.')}`).test(listed.stdout)) throw new Error(show('pulumi plugin ls does not list keepalive', listed));
  return journey;
}

/** The lab of the journeys: two directors, a real server answering HTTP with its name, a client; one segment. */
export interface JourneyLab {
  lab: Lab;
  /** "ADDR" and "ADDR/24". */
  vip: string;
  vipPrefix: string;
  /** The SSH private key that reaches every lab host, written for the user (0600). */
  privateKeyFile: string;
}

export async function journeyLab(): Promise<JourneyLab> {
  const lab = await Lab.create({ hosts: [...DIRECTORS, REAL_SERVER, CLIENT] });
  try {
    const vip = addressIn(lab.segment().subnets.v4, 100);
    // The operator's part of a NAT director: forwarding on the directors (and no redirects telling the
    // real server to answer the client directly), and the real server sending its replies to the client
    // through the VIP, that is through whichever director holds it, where conntrack undoes the DNAT.
    for (const name of DIRECTORS) {
      await lab.host(name).exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.eth0.send_redirects=0']);
    }
    const rs = lab.host(REAL_SERVER);
    await rs.exec(['ip', 'route', 'add', `${lab.host(CLIENT).ipv4()}/32`, 'via', vip]);
    const backend = await rs.startDaemon('backend', [process.execPath, join(REPO, 'test/fixtures/lb/backend.ts'), REAL_SERVER, rs.ipv4(), '80']);
    await waitFor(`${REAL_SERVER}'s HTTP server`, () => (backend.log().includes('listening') ? true : undefined));
    const privateKeyFile = join(lab.dir, 'journey-id');
    writeFileSync(privateKeyFile, lab.host(DIRECTORS[0]).ssh!.privateKey, { mode: 0o600 });
    return { lab, vip, vipPrefix: `${vip}/24`, privateKeyFile };
  } catch (error) {
    lab.destroy();
    throw error;
  }
}

/**
 * The examples' configuration for the lab, as the environment their deploy programs read
 * (KEEPALIVE_*), and as `pulumi config set` arguments for the YAML program.
 */
export function exampleConfig(j: JourneyLab, overrides: { vip?: string; realServer?: string } = {}): Record<string, string> {
  const [lb1, lb2] = DIRECTORS.map((name) => j.lab.host(name).ssh!);
  return {
    lb1Address: lb1!.host,
    lb1HostKey: lb1!.hostKey,
    lb2Address: lb2!.host,
    lb2HostKey: lb2!.hostKey,
    virtualIp: overrides.vip ?? j.vipPrefix,
    realServer: overrides.realServer ?? j.lab.host(REAL_SERVER).ipv4(),
    interface: 'eth0',
    // The lab's hosts have no systemd: the runtime runs under a pid file.
    serviceManager: 'none',
  };
}

export function exampleEnv(j: JourneyLab, overrides: { vip?: string; realServer?: string } = {}): Record<string, string> {
  const c = exampleConfig(j, overrides);
  return {
    KEEPALIVE_LB1_ADDRESS: c['lb1Address']!,
    KEEPALIVE_LB1_HOST_KEY: c['lb1HostKey']!,
    KEEPALIVE_LB2_ADDRESS: c['lb2Address']!,
    KEEPALIVE_LB2_HOST_KEY: c['lb2HostKey']!,
    KEEPALIVE_PRIVATE_KEY_FILE: j.privateKeyFile,
    KEEPALIVE_VIP: c['virtualIp']!,
    KEEPALIVE_REAL_SERVER: c['realServer']!,
    KEEPALIVE_INTERFACE: c['interface']!,
    KEEPALIVE_SERVICE_MANAGER: c['serviceManager']!,
  };
}

/**
 * What a client gets from http://VIP/ through the virtual server: each of `n` requests on a new
 * connection, answered by the real server's name (the lab's fixture client, run on the client host).
 */
export async function throughVip(j: JourneyLab, n = 5): Promise<{ counts: Record<string, number>; errors: Record<string, number> }> {
  const { stdout } = await j.lab.host(CLIENT).exec([process.execPath, join(REPO, 'test/fixtures/lb/client.ts'), 'count', `http://${j.vip}/`, String(n), '1'], { timeoutMs: 60_000 });
  const { counts, errors } = JSON.parse(stdout) as { counts: Record<string, number>; errors: Record<string, number> };
  return { counts, errors };
}

/** Waits until every one of a few requests through the VIP is answered by the real server; returns the last counts. */
export async function waitServed(j: JourneyLab, timeoutMs = 30_000): Promise<{ counts: Record<string, number>; errors: Record<string, number> }> {
  let last: { counts: Record<string, number>; errors: Record<string, number> } = { counts: {}, errors: {} };
  try {
    return await waitFor('the real server to answer through the VIP', async () => {
      last = await throughVip(j, 3);
      return last.counts[REAL_SERVER] === 3 ? last : undefined;
    }, { timeoutMs, intervalMs: 500 });
  } catch {
    return last;
  }
}

/** The user's Node: a copy of the checkout's Node 24 in the journey's directory; its bin directory for PATH. */
export function userNode(journey: Journey): string {
  const bin = join(journey.dir, 'node/bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(process.execPath, join(bin, 'node'));
  return bin;
}

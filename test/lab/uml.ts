// The real-kernel IPVS lane. This machine's kernel has no IPVS; Debian's user-mode-linux kernel has it
// as modules (the one scripts/uml-kernel finds booting on this CPU: the machine's, or unstable's). A
// guest boots with the host's root mounted read-only over hostfs, runs one shell script
// (uml/init.sh is its PID 1), writes the script's output and exit code back into a job directory on
// the host, and powers off. A run takes about 2 s; node inside the guest is 15-20 times slower than
// outside, so tests keep what they run there to shell tools (ipvsadm, ip) where they can.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.ts';

const INIT = fileURLToPath(new URL('./uml/init.sh', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

let kernelDir: string | undefined;
/** The directory with `linux` and `modules/`, from scripts/uml-kernel (a path when cached, else a download). */
function umlKernel(): string {
  if (kernelDir) return kernelDir;
  const r = spawnSync('bash', [`${REPO}/scripts/uml-kernel`], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`scripts/uml-kernel failed (${r.signal ?? r.status}): ${r.stderr.trim()}`);
  kernelDir = r.stdout.trim().split('\n').at(-1)!;
  return kernelDir;
}

export interface UmlOptions {
  /** Modules to load before the script runs; default ip_vs. Others load on demand. */
  modules?: readonly string[];
  memoryMb?: number;
  timeoutMs?: number;
  /** Wires the guest's vec0 to a lab segment as host number `hostNumber` (its .N address). */
  attach?: { segment?: string; hostNumber: number };
  /**
   * A host directory the guest sees read-write at /run/exchange: for handshakes with processes outside
   * the guest while it runs (a file written on one side, waited for on the other).
   */
  exchange?: string;
}

export interface UmlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from start to power-off. */
  ms: number;
}

let runs = 0;

/** Boots a guest, runs `script` with /bin/sh inside it, and returns its output once it powers off. */
export async function runInUml(lab: Lab, script: string, options: UmlOptions = {}): Promise<UmlResult> {
  const kernel = umlKernel();
  const job = `${lab.dir}/uml-${++runs}`;
  mkdirSync(`${job}/umid`, { recursive: true });
  writeFileSync(`${job}/cmd.sh`, script);
  const params = [
    `mem=${options.memoryMb ?? 256}M`, 'rootfstype=hostfs', 'rootflags=/', 'ro', `init=${INIT}`,
    // The guest console goes to our stdout and never reads stdin; no other consoles (or xterms).
    'con=null', 'con0=null,fd:1', 'ssl=null', 'quiet', 'loglevel=0',
    'zswap.enabled=0', 'pty.legacy_count=0', `uml_dir=${job}/umid`,
    `keepalive_job=${job}`, `keepalive_mods=${(options.modules ?? ['ip_vs']).join(',')}`, `keepalive_repo=${REPO}`,
    `keepalive_kernel=${kernel}`,
    ...(options.exchange ? [`keepalive_exchange=${options.exchange}`] : []),
  ];
  let argv = [`${kernel}/linux`, ...params];
  if (options.attach) {
    const { netns, ifname, address } = await lab.addTap(`uml${runs}`, options.attach.hostNumber, options.attach.segment);
    // gro=1: without it, large transfers into the guest stall.
    argv = ['ip', 'netns', 'exec', netns, ...argv, `vec0:transport=raw,ifname=${ifname},gro=1`, `keepalive_addr=${address}`];
  }

  const started = Date.now();
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: lab.env });
  if (child.pid !== undefined) lab.track(child.pid);
  let output = '';
  child.stdout.on('data', (b: Buffer) => { output = (output + b.toString('latin1')).slice(-8192); });
  child.stderr.on('data', (b: Buffer) => { output = (output + b.toString('latin1')).slice(-8192); });
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  // linux puts itself in a session of its own, so its PID is its process group. The guest's processes
  // are host processes in that group: killing only the main PID would orphan them on the host.
  const timer = setTimeout(() => {
    try { process.kill(child.pid as number, 'SIGTERM'); } catch { /* gone */ }
    setTimeout(() => { try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* gone */ } }, 3_000).unref();
  }, options.timeoutMs ?? 120_000);
  const [exitCode, signal] = await closed;
  clearTimeout(timer);
  const ms = Date.now() - started;

  let rc: string;
  try {
    rc = readFileSync(`${job}/rc`, 'utf8').trim();
  } catch {
    throw new Error(`the UML guest ended (${signal ?? exitCode}) after ${ms} ms without running the script:\n${output.trim()}`);
  }
  return {
    code: Number(rc),
    stdout: readFileSync(`${job}/stdout`, 'utf8'),
    stderr: readFileSync(`${job}/stderr`, 'utf8'),
    ms,
  };
}

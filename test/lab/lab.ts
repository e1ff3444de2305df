// The multi-host lab: hosts are network namespaces wired to switches (bridges, each in a namespace of
// its own), with private filesystems and their own sshd. Tests and the demo build one per run:
//
//   await using lab = await Lab.create({ hosts: ['h1', 'h2', 'client'] });
//
// Teardown is certain: `await using` disposes the lab when the scope ends, an 'exit' handler tears
// down whatever is still up when the process ends (a timed-out test, a thrown error, a signal), and
// `lab down --all` removes what a killed process left behind, from the state file every lab writes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { run, runSync } from './exec.ts';
import {
  addressIn, assertSafeLabSubnet, chooseSegments, formatPrefix, parsePrefix,
  type Prefix, type SegmentSubnets,
} from './addressing.ts';
import { renderFaultTable, type PortFault } from './faults.ts';
import { SegmentCapture } from './capture.ts';
import { Host, type HostInterface } from './host.ts';
import { LAB_ENV, labProcesses, processGone, stopProcessesSync } from './processes.ts';
import { startSshd } from './ssh.ts';

/** Every lab's state lives under here; /tmp is shared by the hosts, which need their sshd keys. */
export const LAB_ROOT = '/tmp/keepalive-lab';
/** Namespace and root-link names all start with this, so leftovers are easy to find. */
export const NAME_PREFIX = 'kl';

export interface LabOptions {
  /** Host names: lowercase letters, digits and '-', at most 10 characters. */
  hosts: readonly string[];
  /** Segment (switch) names; default one segment, "lan". */
  segments?: readonly string[];
  /** Which segments each host is wired to; default every host to every segment. */
  wiring?: Readonly<Record<string, readonly string[]>>;
  /** Give the root namespace one address on the first segment, to reach the hosts; default true. */
  management?: boolean;
  /** Start sshd on every host (needs management); default true. */
  ssh?: boolean;
}

export interface Segment {
  name: string;
  netns: string;
  subnets: SegmentSubnets;
  /** Switch port interface index -> host name; the capture uses it to name each frame's sender. */
  ports: Map<number, string>;
}

/** What a lab writes to disk so that a later process can remove it. */
interface LabState {
  id: string;
  ownerPid: number;
  createdAt: string;
  netns: string[];
  rootLinks: string[];
  segmentIndexes: number[];
  pids: number[];
}

const live = new Set<Lab>();

function onExit(): void {
  for (const lab of live) lab.destroy();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
}

function installExitHandlers(): void {
  if (live.size > 0) return;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function removeExitHandlers(): void {
  if (live.size > 0) return;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** The machine's own routes (both families, every table), which no lab subnet may overlap. */
export async function machineRoutes(): Promise<Prefix[]> {
  const routes: Prefix[] = [];
  for (const family of [4, 6] as const) {
    const { stdout } = await run(['ip', '-j', `-${family}`, 'route', 'show', 'table', 'all']);
    for (const r of JSON.parse(stdout) as { dst: string; type?: string }[]) {
      if (r.type === 'multicast' || r.dst.startsWith('ff')) continue; // multicast routes are not destinations
      routes.push(parsePrefix(r.dst, family));
    }
  }
  return routes;
}

function readState(id: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(`${LAB_ROOT}/${id}/state.json`, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function labIds(): string[] {
  return existsSync(LAB_ROOT) ? readdirSync(LAB_ROOT).filter((d) => /^[0-9a-f]{6}$/.test(d)) : [];
}

export class Lab implements AsyncDisposable {
  readonly id: string;
  readonly dir: string;
  readonly hosts = new Map<string, Host>();
  readonly segments = new Map<string, Segment>();
  /** The root namespace's management address, if any. */
  management: { link: string; address: string } | undefined;
  private readonly state: LabState;
  private readonly faults = new Map<string, Map<string, PortFault>>();
  private destroyed = false;

  private constructor(id: string) {
    this.id = id;
    this.dir = `${LAB_ROOT}/${id}`;
    this.state = {
      id, ownerPid: process.pid, createdAt: new Date().toISOString(),
      netns: [], rootLinks: [], segmentIndexes: [], pids: [],
    };
  }

  /** The environment of every process the lab starts: it marks them as this lab's. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, [LAB_ENV]: this.id };
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in lab ${this.id}`);
    return h;
  }

  segment(name?: string): Segment {
    const s = name === undefined ? this.segments.values().next().value : this.segments.get(name);
    if (!s) throw new Error(`no segment ${name ?? '(first)'} in lab ${this.id}`);
    return s;
  }

  static async create(options: LabOptions): Promise<Lab> {
    const segmentNames = options.segments ?? ['lan'];
    validateNames(options.hosts, segmentNames, options.wiring);
    const management = options.management ?? true;
    const ssh = options.ssh ?? management;
    if (ssh && !management) throw new Error('ssh needs the management address to reach the hosts');

    const routes = await machineRoutes();
    const taken = new Set(labIds().flatMap((id) => readState(id)?.segmentIndexes ?? []));
    const subnets = chooseSegments(segmentNames.length, routes, taken);
    for (const s of subnets) { assertSafeLabSubnet(s.v4, routes); assertSafeLabSubnet(s.v6, routes); }

    const lab = new Lab(randomBytes(3).toString('hex'));
    mkdirSync(lab.dir, { recursive: true, mode: 0o700 });
    installExitHandlers();
    live.add(lab);
    lab.state.segmentIndexes = subnets.map((s) => s.index);
    lab.save();
    try {
      for (const [i, name] of segmentNames.entries()) await lab.addSegment(name, subnets[i] as SegmentSubnets);
      for (const [i, name] of options.hosts.entries()) {
        await lab.addHost(name, i + 1, options.wiring?.[name] ?? segmentNames);
      }
      if (management) await lab.addManagement(routes);
      if (ssh) await startSshd(lab);
    } catch (error) {
      lab.destroy();
      throw error;
    }
    return lab;
  }

  private save(): void {
    writeFileSync(`${this.dir}/state.json`, JSON.stringify(this.state, null, 2));
  }

  /** Records a PID for teardown (processes are also found by their environment). */
  track(pid: number): void {
    this.state.pids.push(pid);
    this.save();
  }

  private addNetns(name: string): string {
    const netns = `${NAME_PREFIX}-${this.id}-${name}`;
    this.state.netns.push(netns);
    this.save();
    runSync(['ip', 'netns', 'add', netns]);
    return netns;
  }

  private async addSegment(name: string, subnets: SegmentSubnets): Promise<void> {
    const netns = this.addNetns(`sw-${name}`);
    const sh = (cmd: string): Promise<unknown> => run(['ip', 'netns', 'exec', netns, 'sh', '-c', cmd]);
    // The switch takes no part in IPv6 itself (no link-local address, no MLD, no router solicitations).
    await sh('sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1');
    // No multicast snooping, so that VRRP (224.0.0.18, ff02::12) reaches every port like a plain hub
    // would; no forwarding delay, so ports forward as soon as they are up.
    await run(['ip', '-n', netns, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'forward_delay', '0']);
    await run(['ip', '-n', netns, 'link', 'set', 'dev', 'br0', 'up']);
    this.segments.set(name, { name, netns, subnets, ports: new Map() });
  }

  private async addHost(name: string, number: number, segmentNames: readonly string[]): Promise<void> {
    const netns = this.addNetns(name);
    const dir = `${this.dir}/hosts/${name}`;
    mkdirSync(dir, { recursive: true });
    // Addresses are usable at once (no duplicate address detection delay).
    await run(['ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    await run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    const interfaces: HostInterface[] = [];
    for (const [i, segName] of segmentNames.entries()) {
      const seg = this.segment(segName);
      const ifname = `eth${i}`;
      await run(['ip', '-n', netns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', name, 'netns', seg.netns]);
      await run(['ip', '-n', seg.netns, 'link', 'set', 'dev', name, 'master', 'br0', 'up']);
      const ipv4 = addressIn(seg.subnets.v4, number);
      const ipv6 = addressIn(seg.subnets.v6, number);
      await run(['ip', '-n', netns, 'address', 'add', `${ipv4}/24`, 'dev', ifname]);
      await run(['ip', '-n', netns, 'address', 'add', `${ipv6}/64`, 'dev', ifname, 'nodad']);
      await run(['ip', '-n', netns, 'link', 'set', 'dev', ifname, 'up']);
      const [link] = JSON.parse((await run(['ip', '-n', netns, '-j', 'link', 'show', 'dev', ifname])).stdout) as { address: string }[];
      const [port] = JSON.parse((await run(['ip', '-n', seg.netns, '-j', 'link', 'show', 'dev', name])).stdout) as { ifindex: number }[];
      seg.ports.set(port!.ifindex, name);
      interfaces.push({ name: ifname, segment: segName, mac: link!.address, ipv4, ipv6, prefixV4: 24, prefixV6: 64 });
    }
    const host = new Host(name, netns, dir, interfaces, { env: this.env, track: (pid) => this.track(pid) });
    this.hosts.set(name, host);
    await host.start();
  }

  /**
   * A switch port for something that is not a namespace host, such as a user-mode-linux guest: a
   * namespace holding one end of a veth (`vec`, with no addresses and no IPv6 of its own), whose other
   * end is a port named `name` on the segment. Returns the address that such a member should use.
   */
  async addTap(name: string, hostNumber: number, segment?: string): Promise<{ netns: string; ifname: string; address: string }> {
    const seg = this.segment(segment);
    if ([...seg.ports.values()].includes(name)) throw new Error(`segment ${seg.name} already has a port ${name}`);
    const netns = this.addNetns(name);
    await run(['ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    await run(['ip', '-n', netns, 'link', 'add', 'vec', 'type', 'veth', 'peer', 'name', name, 'netns', seg.netns]);
    await run(['ip', '-n', seg.netns, 'link', 'set', 'dev', name, 'master', 'br0', 'up']);
    await run(['ip', '-n', netns, 'link', 'set', 'dev', 'vec', 'up']);
    const [port] = JSON.parse((await run(['ip', '-n', seg.netns, '-j', 'link', 'show', 'dev', name])).stdout) as { ifindex: number }[];
    seg.ports.set(port!.ifindex, name);
    return { netns, ifname: 'vec', address: `${addressIn(seg.subnets.v4, hostNumber)}/24` };
  }

  /**
   * Gives the root namespace one address on the first segment. It adds nothing but that address
   * (the kernel adds the connected /24), and keeps it only if `ip route get` for a lab host then
   * leads through the lab link: never a route that could take lab traffic out of the machine.
   */
  private async addManagement(routesBefore: readonly Prefix[]): Promise<void> {
    const seg = this.segment();
    const link = `${NAME_PREFIX}${this.id}m`;
    const address = addressIn(seg.subnets.v4, 254);
    assertSafeLabSubnet(seg.subnets.v4, routesBefore);
    this.state.rootLinks.push(link);
    this.save();
    await run(['ip', 'link', 'add', link, 'type', 'veth', 'peer', 'name', 'mgmt', 'netns', seg.netns]);
    // Only the one IPv4 address: no IPv6 link-local address in the root namespace either.
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/disable_ipv6`, '1');
    await run(['ip', '-n', seg.netns, 'link', 'set', 'dev', 'mgmt', 'master', 'br0', 'up']);
    await run(['ip', 'address', 'add', `${address}/24`, 'dev', link]);
    await run(['ip', 'link', 'set', 'dev', link, 'up']);
    const probe = addressIn(seg.subnets.v4, 1);
    const [route] = JSON.parse((await run(['ip', '-j', 'route', 'get', probe])).stdout) as { dev: string }[];
    if (route?.dev !== link) {
      await run(['ip', 'link', 'del', 'dev', link], { allowFailure: true });
      throw new Error(`ip route get ${probe} leads to ${route?.dev}, not the lab link ${link}; refusing the management address`);
    }
    this.management = { link, address };
  }

  /**
   * Captures one segment (default the first): every frame, stamped when its sender sent it. IP
   * protocol 51 is VRRPv2 under auth_type AH.
   */
  async capture(segment?: string, filter = 'vrrp or ip proto 51 or ip6 proto 112 or arp or icmp or icmp6'): Promise<SegmentCapture> {
    const seg = this.segment(segment);
    // dumpcap keeps a temporary capture file: in the lab's directory, it goes with the lab.
    const capture = await SegmentCapture.start(['ip', 'netns', 'exec', seg.netns], seg.ports, filter, { ...this.env, TMPDIR: this.dir });
    if (capture.pid !== undefined) this.track(capture.pid);
    return capture;
  }

  private async setFault(host: string, fault: PortFault | undefined, segment?: string): Promise<number> {
    this.host(host);
    const segs = segment === undefined ? [...this.segments.values()].filter((s) => [...s.ports.values()].includes(host)) : [this.segment(segment)];
    for (const seg of segs) {
      const faults = this.faults.get(seg.name) ?? new Map<string, PortFault>();
      this.faults.set(seg.name, faults);
      if (fault) faults.set(host, fault);
      else faults.delete(host);
      await run(['ip', 'netns', 'exec', seg.netns, 'nft', '-f', '-'], { input: renderFaultTable(faults) });
    }
    return Date.now();
  }

  /** Cuts the host off its segments (or one): its frames are dropped both ways at its switch port. Returns when the rule is in force. */
  partition(host: string, segment?: string): Promise<number> { return this.setFault(host, { kind: 'partition' }, segment); }

  /** Drops `percent` of the host's frames in each direction, at random. */
  loss(host: string, percent: number, segment?: string): Promise<number> { return this.setFault(host, { kind: 'loss', percent }, segment); }

  /** Drops the TCP FINs the host sends, so that connections it closes stay open at the other end. */
  loseFins(host: string, segment?: string): Promise<number> { return this.setFault(host, { kind: 'lose-fin' }, segment); }

  /** Removes any partition or loss from the host's ports. */
  heal(host: string, segment?: string): Promise<number> { return this.setFault(host, undefined, segment); }

  /** Removes everything the lab created. Safe to call twice; synchronous, so it works at process exit. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    teardown(this.state);
    live.delete(this);
    removeExitHandlers();
  }

  async [Symbol.asyncDispose](): Promise<void> { this.destroy(); }

  describe(): string {
    const lines = [`lab ${this.id}`];
    for (const s of this.segments.values()) lines.push(`  segment ${s.name}: ${formatPrefix(s.subnets.v4)} ${formatPrefix(s.subnets.v6)}`);
    for (const h of this.hosts.values()) {
      lines.push(`  host ${h.name}: ${h.interfaces.map((i) => `${i.name} ${i.ipv4} ${i.ipv6} (${i.segment})`).join(', ')}`);
    }
    if (this.management) lines.push(`  management: ${this.management.address} on ${this.management.link}`);
    return lines.join('\n');
  }
}

function validateNames(hosts: readonly string[], segments: readonly string[], wiring: LabOptions['wiring']): void {
  const valid = /^[a-z][a-z0-9-]{0,9}$/;
  if (hosts.length === 0 || hosts.length > 250) throw new Error('a lab has 1 to 250 hosts');
  if (segments.length === 0) throw new Error('a lab has at least one segment');
  for (const n of [...hosts, ...segments]) {
    if (!valid.test(n)) throw new Error(`bad lab name ${JSON.stringify(n)}: lowercase letters, digits and '-', 10 characters at most`);
    if (n === 'mgmt') throw new Error('"mgmt" is the switch port of the management link');
  }
  if (new Set(hosts).size !== hosts.length) throw new Error('host names must be unique');
  if (new Set(segments).size !== segments.length) throw new Error('segment names must be unique');
  for (const [host, segs] of Object.entries(wiring ?? {})) {
    if (!hosts.includes(host)) throw new Error(`wiring names unknown host ${host}`);
    if (segs.length === 0) throw new Error(`host ${host} is wired to no segment`);
    for (const s of segs) if (!segments.includes(s)) throw new Error(`host ${host} is wired to unknown segment ${s}`);
    if (new Set(segs).size !== segs.length) throw new Error(`host ${host} is wired twice to one segment`);
  }
}

/**
 * The PIDs of every process in these namespaces. Not all of them carry the lab's mark: sshd starts each
 * connection's session process with an environment of its own, and one whose client was still
 * connected at teardown would otherwise outlive its namespace, waiting on a socket nothing can reach.
 */
function namespaceProcesses(netns: readonly string[]): number[] {
  return netns.flatMap((name) => runSync(['ip', 'netns', 'pids', name], { allowFailure: true }).stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number));
}

/** Removes one lab: its processes (by PID), root links, namespaces and directory. */
function teardown(state: LabState): void {
  stopProcessesSync([...state.pids, ...labProcesses(state.id).keys(), ...namespaceProcesses(state.netns)]);
  for (const link of state.rootLinks) runSync(['ip', 'link', 'del', 'dev', link], { allowFailure: true });
  for (const netns of state.netns) runSync(['ip', 'netns', 'del', netns], { allowFailure: true });
  rmSync(`${LAB_ROOT}/${state.id}`, { recursive: true, force: true });
}

/** What is left on the machine by labs: namespaces, root links, processes and state directories. */
export function leftovers(): { netns: string[]; links: string[]; processes: number[]; labs: string[] } {
  const netns = runSync(['ip', 'netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${NAME_PREFIX}-`));
  const links = (JSON.parse(runSync(['ip', '-j', 'link', 'show']).stdout) as { ifname: string }[])
    .map((l) => l.ifname).filter((n) => new RegExp(`^${NAME_PREFIX}[0-9a-f]{6}`).test(n));
  return { netns, links, processes: [...labProcesses('*').keys()], labs: labIds() };
}

/**
 * Removes labs left behind. With all=false only those whose owning process is gone; with all=true
 * every lab, and any namespace, root link or process that carries the lab's marks without a state file.
 */
export function sweep(all: boolean): string[] {
  const removed: string[] = [];
  for (const id of labIds()) {
    const state = readState(id);
    if (!all && state && !processGone(state.ownerPid)) continue;
    teardown(state ?? { id, ownerPid: 0, createdAt: '', netns: [], rootLinks: [], segmentIndexes: [], pids: [] });
    removed.push(`lab ${id}`);
  }
  if (all) {
    const rest = leftovers();
    stopProcessesSync(rest.processes);
    for (const link of rest.links) runSync(['ip', 'link', 'del', 'dev', link], { allowFailure: true });
    for (const netns of rest.netns) runSync(['ip', 'netns', 'del', netns], { allowFailure: true });
    removed.push(...rest.processes.map((p) => `process ${p}`), ...rest.links.map((l) => `link ${l}`), ...rest.netns.map((n) => `netns ${n}`));
  }
  return removed;
}

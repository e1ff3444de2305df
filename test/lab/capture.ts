// Observation: what crosses a segment (tshark in the switch namespace) and what addresses a host has
// (`ip monitor`), each as a stream of timestamped records that a test can wait on.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** One decoded VRRP advertisement. */
export interface VrrpFields {
  version: number;
  type: number;
  vrid: number;
  priority: number;
  addressCount: number;
  /** v2: the 8-bit seconds field times 100; v3: the 12-bit centisecond field. Always centiseconds. */
  intervalCs: number;
  authType: number | undefined;
  addresses: string[];
  /** tshark's verdict on the checksum: 'good', 'bad' or 'unverified'. */
  checksum: 'good' | 'bad' | 'unverified';
}

export interface Frame {
  /** Kernel capture time, in milliseconds since the epoch (microsecond resolution). */
  time: number;
  /** The lab host whose port the frame entered the switch through, i.e. its sender. */
  from: string;
  srcMac: string;
  ipSrc: string | undefined;
  ipDst: string | undefined;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number | undefined;
  /** An IPsec Authentication Header (auth_type AH), with the VRRP advert it carries in `vrrp`. */
  ah: { spi: number; sequence: number } | undefined;
  vrrp: VrrpFields | undefined;
  arp: { opcode: number; senderMac: string; senderIp: string; targetIp: string } | undefined;
  /** Unsolicited or solicited neighbour advertisement: its target address. */
  neighbourAdvert: { target: string } | undefined;
  /** ICMP (v4) or ICMPv6 type. */
  icmpType: number | undefined;
}

const FIELDS = [
  'frame.time_epoch', 'sll.ifindex', 'sll.pkttype', 'sll.src.eth',
  'ip.src', 'ip.dst', 'ip.ttl', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'ah.spi', 'ah.sequence',
  'vrrp.version', 'vrrp.type', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.addr_count',
  'vrrp.adver_int', 'vrrp.short_adver_int', 'vrrp.auth_type', 'vrrp.checksum.status',
  'vrrp.ip_addr', 'vrrp.ipv6_addr',
  'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'icmp.type', 'icmpv6.type', 'icmpv6.nd.na.target_address',
] as const;

type FieldName = (typeof FIELDS)[number];

/** Linux packet type 4 is PACKET_OUTGOING: the copy of a frame as the switch sends it out of a port. */
const PACKET_OUTGOING = '4';

/** The tshark command line that prints FIELDS for every frame entering the switch. */
export function tsharkArgs(captureFilter: string): string[] {
  return [
    'tshark', '-l', '-n', '-i', 'any', '-y', 'LINUX_SLL2', '-f', captureFilter,
    '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ];
}

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));
const list = (s: string | undefined): string[] => (s ? s.split(',') : []);

/**
 * Decodes one line of tshark output. `ports` maps the switch's interface indexes to host names;
 * frames seen leaving a port, or on an interface that is no host's port, return undefined, so that
 * every frame is reported once, at the moment its sender put it on the wire.
 */
export function parseFrameLine(line: string, ports: ReadonlyMap<number, string>): Frame | undefined {
  const cols = line.split('\t');
  const f = (name: FieldName): string | undefined => cols[FIELDS.indexOf(name)] || undefined;
  if (f('sll.pkttype') === PACKET_OUTGOING) return undefined;
  const from = ports.get(Number(f('sll.ifindex')));
  const time = f('frame.time_epoch');
  if (from === undefined || time === undefined) return undefined;

  let vrrp: VrrpFields | undefined;
  const version = num(f('vrrp.version'));
  if (version !== undefined) {
    const status = num(f('vrrp.checksum.status'));
    vrrp = {
      version,
      type: num(f('vrrp.type')) ?? 0,
      vrid: num(f('vrrp.virt_rtr_id')) ?? 0,
      priority: num(f('vrrp.prio')) ?? 0,
      addressCount: num(f('vrrp.addr_count')) ?? 0,
      intervalCs: version === 2 ? (num(f('vrrp.adver_int')) ?? 0) * 100 : (num(f('vrrp.short_adver_int')) ?? 0),
      authType: num(f('vrrp.auth_type')),
      addresses: [...list(f('vrrp.ip_addr')), ...list(f('vrrp.ipv6_addr'))],
      // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
      checksum: status === 1 ? 'good' : status === 0 ? 'bad' : 'unverified',
    };
  }
  const opcode = num(f('arp.opcode'));
  const target = f('icmpv6.nd.na.target_address');
  const spi = num(f('ah.spi'));
  return {
    // Epoch seconds with nanosecond digits; keep microseconds in a millisecond float.
    time: Number(time) * 1000,
    from,
    srcMac: f('sll.src.eth') ?? '',
    ipSrc: f('ip.src') ?? f('ipv6.src'),
    ipDst: f('ip.dst') ?? f('ipv6.dst'),
    ttl: num(f('ip.ttl')) ?? num(f('ipv6.hlim')),
    ah: spi === undefined ? undefined : { spi, sequence: num(f('ah.sequence')) ?? 0 },
    vrrp,
    arp: opcode === undefined ? undefined : {
      opcode,
      senderMac: f('arp.src.hw_mac') ?? '',
      senderIp: f('arp.src.proto_ipv4') ?? '',
      targetIp: f('arp.dst.proto_ipv4') ?? '',
    },
    neighbourAdvert: target === undefined ? undefined : { target },
    icmpType: num(f('icmp.type')) ?? num(f('icmpv6.type')),
  };
}

/** A growing list of records from a child process, with a way to wait for one that matches. */
export class RecordStream<T> {
  readonly records: T[] = [];
  private waiters = new Set<() => void>();
  protected failure: Error | undefined;

  protected push(record: T): void {
    this.records.push(record);
    for (const wake of this.waiters) wake();
  }

  protected fail(error: Error): void {
    this.failure ??= error;
    for (const wake of this.waiters) wake();
  }

  /** Resolves with the first record (already seen or still to come) that matches, or rejects after timeoutMs. */
  async waitFor(what: string, match: (r: T) => boolean, timeoutMs = 15_000): Promise<T> {
    let seen = 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (; seen < this.records.length; seen++) {
        const r = this.records[seen] as T;
        if (match(r)) return r;
      }
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void { clearTimeout(timer); waiters.delete(done); resolve(); }
        const waiters = this.waiters;
        waiters.add(done);
      });
    }
  }
}

/** Starts a line-oriented observer process and feeds its parsed lines into a RecordStream. */
export abstract class ProcessStream<T> extends RecordStream<T> implements AsyncDisposable {
  protected readonly child: ChildProcess;
  private stderr = '';
  private readonly closed: Promise<unknown>;

  constructor(argv: readonly string[], env: NodeJS.ProcessEnv) {
    super();
    const [file, ...args] = argv;
    this.child = spawn(file as string, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.closed = once(this.child, 'close');
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const record = this.parse(line);
      if (record !== undefined) this.push(record);
    });
    this.child.stderr!.on('data', (b: Buffer) => { this.stderr = (this.stderr + b.toString()).slice(-4096); });
    this.child.on('close', (code, signal) => {
      if (!this.stopping) this.fail(new Error(`${argv[0]} exited (${signal ?? code}): ${this.stderr.trim()}`));
    });
  }

  private stopping = false;

  get pid(): number | undefined { return this.child.pid; }

  protected abstract parse(line: string): T | undefined;

  /** Resolves once isReady() holds, polling; rejects if the process dies first or timeoutMs passes. */
  protected async ready(isReady: (stderr: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!isReady(this.stderr)) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`observer not ready after ${timeoutMs} ms: ${this.stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stopping = true;
    // INT, as from a terminal: tshark then stops capturing but still decodes what was captured.
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.closed;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> { await this.stop(); }
}

/** tshark on every port of one segment. Each frame is reported once, stamped when its sender sent it. */
export class SegmentCapture extends ProcessStream<Frame> {
  private readonly ports: ReadonlyMap<number, string>;

  private constructor(argv: string[], env: NodeJS.ProcessEnv, ports: ReadonlyMap<number, string>) {
    super(argv, env);
    this.ports = ports;
  }

  static async start(nsExec: readonly string[], ports: ReadonlyMap<number, string>, captureFilter: string, env: NodeJS.ProcessEnv): Promise<SegmentCapture> {
    const capture = new SegmentCapture([...nsExec, ...tsharkArgs(captureFilter)], env, ports);
    // tshark announces "Capturing on" before dumpcap has opened the interfaces; "Capture started" comes after.
    await capture.ready((stderr) => stderr.includes('Capture started'), 15_000);
    return capture;
  }

  protected parse(line: string): Frame | undefined { return parseFrameLine(line, this.ports); }

  /**
   * Resolves once the capture has reported a frame sent after `time`. tshark reports frames some
   * milliseconds after they are sent, in order, so after this every frame sent before `time` is in.
   */
  async catchUp(time: number, timeoutMs = 5_000): Promise<void> {
    await this.waitFor(`the capture to catch up with ${new Date(time).toISOString()}`, (f) => f.time > time, timeoutMs);
  }

  /** VRRP adverts, optionally of one VRID. */
  adverts(vrid?: number): Frame[] {
    return this.records.filter((r) => r.vrrp && (vrid === undefined || r.vrrp.vrid === vrid));
  }
}

export interface AddressEvent {
  /** Milliseconds since the epoch, as stamped by `ip -ts monitor`. */
  time: number;
  kind: 'added' | 'deleted';
  device: string;
  family: 4 | 6;
  /** "198.18.0.100/24" */
  address: string;
}

/** Parses one line of `ip -ts monitor address`; continuation lines (lifetimes) return undefined. */
export function parseAddressLine(line: string): AddressEvent | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?\d+: (\S+)\s+inet(6?) (\S+)/.exec(line);
  if (!m) return undefined;
  const [, wall = '', micros = '0', deleted, device = '', six, address = ''] = m;
  // `ip` prints local wall time without a zone; Date parses a zone-less date-time as local time too.
  const time = new Date(wall).getTime() + Number(micros) / 1000;
  return { time, kind: deleted ? 'deleted' : 'added', device, family: six ? 6 : 4, address };
}

function subscribedToRoute(pid: number): boolean {
  let table: string;
  try { table = readFileSync(`/proc/${pid}/net/netlink`, 'utf8'); } catch { return false; }
  // Columns: sk Eth Pid Groups ...; protocol 0 is NETLINK_ROUTE, and Pid is the socket's port id,
  // which the kernel sets to the process id for a process's first netlink socket.
  return table.split('\n').slice(1).some((row) => {
    const [, eth, portId, groups] = row.trim().split(/\s+/);
    return eth === '0' && portId === String(pid) && groups !== undefined && /[1-9a-f]/.test(groups);
  });
}

/** `ip -ts monitor address` inside a host. */
export class AddressWatch extends ProcessStream<AddressEvent> {
  static async start(nsExec: readonly string[], env: NodeJS.ProcessEnv): Promise<AddressWatch> {
    const watch = new AddressWatch([...nsExec, 'ip', '-ts', 'monitor', 'address'], env);
    // ip monitor prints nothing when it is ready: it is ready once its rtnetlink socket has joined
    // multicast groups, which the kernel shows in the process's own /proc/PID/net/netlink.
    await watch.ready(() => watch.pid !== undefined && subscribedToRoute(watch.pid), 5_000);
    return watch;
  }

  protected parse(line: string): AddressEvent | undefined { return parseAddressLine(line); }
}

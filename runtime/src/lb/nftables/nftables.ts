// The nftables dataplane: renders the services (render.ts) and hands the script to `nft -f -`, in
// the calling process's network namespace. It reads its table back with `nft -j list table` to tell
// whether someone changed it since the last apply (drift), and repairs drift by applying again; its
// traffic counters with `nft -j list counters`.
import { spawn } from 'node:child_process';
import type { Dataplane, DataplaneDescription, ServiceTraffic, TrafficCounters, VirtualService } from '../model.ts';
import {
  TABLE_FAMILY, TABLE_NAME, checkServices, countedServices, renderRemoval, renderTable, type CounterValues, type RememberedClient, type TrafficDirection,
} from './render.ts';

export interface NftablesOptions {
  /** The nft binary; default "nft" from PATH. */
  nft?: string;
  /** Upper bound on one nft run; it is killed after that. Default 10 s. */
  timeoutMs?: number;
  /** Why this dataplane was chosen, for `keepalive status`. */
  reason?: string;
}

/** nft failed: the message carries its stderr, which names the line and the problem. */
export class NftError extends Error {
  override name = 'NftError';
  readonly args: readonly string[];
  readonly stderr: string;
  constructor(nft: string, args: readonly string[], how: string, stderr: string) {
    super(`${[nft, ...args].join(' ')}: ${how}${stderr.trim() ? `\n${stderr.trim()}` : ''}`);
    this.args = args;
    this.stderr = stderr;
  }
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Runs nft with `input` on its standard input; resolves with its stdout, rejects with NftError. */
export function runNft(nft: string, args: readonly string[], input: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(nft, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // Our own timer rather than spawn's `timeout`, whose timer outlives a binary that failed to start.
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else stdout.push(b);
    });
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new NftError(nft, args, `cannot run ${nft}: ${error.message}`, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const err = Buffer.concat(stderr).toString();
      if (size > MAX_OUTPUT_BYTES) reject(new NftError(nft, args, `output over ${MAX_OUTPUT_BYTES} bytes`, err));
      else if (timedOut) reject(new NftError(nft, args, `killed after ${timeoutMs} ms`, err));
      else if (signal) reject(new NftError(nft, args, `signal ${signal}`, err));
      else if (code !== 0) reject(new NftError(nft, args, `exit ${code}`, err));
      else resolve(Buffer.concat(stdout).toString());
    });
    child.stdin.on('error', () => {}); // nft may exit (with an error we report) before reading everything
    child.stdin.end(input);
  });
}

type JsonObject = Record<string, unknown>;

/** The table's objects (maps, chains, rules) as `nft -j` lists them, each as [kind, body]. */
type Listing = [string, JsonObject][];

/**
 * The table as the kernel lists it, minus what changes without anyone editing it: handles (new on
 * every re-creation), the elements of the persistence maps (the packet path adds and expires them)
 * and the counters' values. One line per object, sorted, so two readings compare as text and
 * differences read as lines.
 */
function normalize(listing: Listing): string[] {
  return listing.map(([kind, body]) => {
    const { handle: _handle, elem: _elem, ...rest } = body;
    if (kind === 'counter') {
      delete rest.packets;
      delete rest.bytes;
    }
    return `${kind} ${JSON.stringify(rest)}`;
  }).sort();
}

/** The named counters' values in a listing, by name. */
function counterValues(listing: Listing): Map<string, CounterValues> {
  const values = new Map<string, CounterValues>();
  for (const [kind, body] of listing) {
    if (kind === 'counter' && typeof body.name === 'string' && typeof body.packets === 'number' && typeof body.bytes === 'number') {
      values.set(body.name, { packets: body.packets, bytes: body.bytes });
    }
  }
  return values;
}

/**
 * The clients in the table's persistence maps, by map name. A key reads {"elem": {"val", "expires"}};
 * a value is an address, or {"concat": [address, port]}.
 */
function rememberedClients(listing: Listing): Map<string, RememberedClient[]> {
  const byMap = new Map<string, RememberedClient[]>();
  for (const [kind, body] of listing) {
    if (kind !== 'map' || typeof body.name !== 'string' || !body.name.startsWith('persist_') || !Array.isArray(body.elem)) continue;
    const clients: RememberedClient[] = [];
    for (const entry of body.elem as unknown[]) {
      if (!Array.isArray(entry)) continue;
      const [key, value] = entry as [unknown, unknown];
      const elem = (key as { elem?: { val?: unknown; expires?: unknown } } | undefined)?.elem;
      if (typeof elem?.val !== 'string' || typeof elem.expires !== 'number') continue;
      const concat = (value as { concat?: unknown } | undefined)?.concat;
      if (typeof value === 'string') {
        clients.push({ client: elem.val, address: value, expiresSeconds: elem.expires });
      } else if (Array.isArray(concat) && typeof concat[0] === 'string' && typeof concat[1] === 'number') {
        clients.push({ client: elem.val, address: concat[0], port: concat[1], expiresSeconds: elem.expires });
      }
    }
    byMap.set(body.name, clients);
  }
  return byMap;
}

export class NftablesDataplane implements Dataplane {
  private readonly nft: string;
  private readonly timeoutMs: number;
  private readonly reason: string;
  /** The services and the table listing of the last successful apply. */
  private applied: { services: readonly VirtualService[]; listing: string[] } | undefined;

  constructor({ nft = 'nft', timeoutMs = 10_000, reason = 'chosen in the configuration' }: NftablesOptions = {}) {
    this.nft = nft;
    this.timeoutMs = timeoutMs;
    this.reason = reason;
  }

  /**
   * Replaces the runtime's table in one transaction. Invalid services throw InvalidServicesError and
   * change nothing. Persistent clients are read first and carried over; one that a new connection adds
   * between that read and the replacement (milliseconds) is forgotten, and its next connection is
   * scheduled afresh.
   */
  async apply(services: readonly VirtualService[]): Promise<void> {
    checkServices(services); // bad input is refused before nft is asked anything
    const before = await this.read();
    const script = renderTable(services, before ? rememberedClients(before) : new Map(), before ? counterValues(before) : new Map());
    await runNft(this.nft, ['-f', '-'], script, this.timeoutMs);
    this.applied = { services, listing: (await this.listing()) ?? [] };
  }

  /** The runtime's table as the kernel lists it (or only its counters), or undefined when there is none. */
  private async read(what: 'table' | 'counters' = 'table'): Promise<Listing | undefined> {
    let output: string;
    try {
      output = await runNft(this.nft, ['-j', 'list', ...(what === 'counters' ? ['counters'] : []), 'table', TABLE_FAMILY, TABLE_NAME], '', this.timeoutMs);
    } catch (error) {
      if (error instanceof NftError && /No such file or directory/.test(error.stderr)) return undefined;
      throw error;
    }
    return (JSON.parse(output) as { nftables: JsonObject[] }).nftables
      .map((object) => Object.entries(object)[0] as [string, JsonObject])
      .filter(([kind]) => kind !== 'metainfo');
  }

  /** The runtime's table as the kernel has it now, normalized for comparison, or undefined when there is none. */
  async listing(): Promise<string[] | undefined> {
    const table = await this.read();
    return table && normalize(table);
  }

  /**
   * How the kernel's table differs from the last apply: lines prefixed "- " were applied and are
   * gone, "+ " are there and were not applied. Empty when nothing drifted (or nothing was applied).
   */
  async drift(): Promise<string[]> {
    if (!this.applied) return [];
    const now = await this.listing();
    if (!now) return ['- table inet keepalive'];
    const before = new Set(this.applied.listing);
    const after = new Set(now);
    return [
      ...this.applied.listing.filter((l) => !after.has(l)).map((l) => `- ${l}`),
      ...now.filter((l) => !before.has(l)).map((l) => `+ ${l}`),
    ];
  }

  /** Applies the last services again if the table drifted; returns the drift it repaired. */
  async repair(): Promise<string[]> {
    const drift = await this.drift();
    if (drift.length > 0 && this.applied) await this.apply(this.applied.services);
    return drift;
  }

  describe(): DataplaneDescription {
    return { kind: 'nftables', reason: this.reason };
  }

  /**
   * The counters of the last applied services, read now; a service or destination whose counters are
   * not all in the table (someone deleted one) is left out rather than shown as a reset.
   */
  async traffic(): Promise<ServiceTraffic[]> {
    if (!this.applied) return [];
    const values = counterValues((await this.read('counters')) ?? []);
    const counters = (names: Record<TrafficDirection, string>): TrafficCounters | undefined => {
      const [inward, outward, conn] = [values.get(names.in), values.get(names.out), values.get(names.conn)];
      if (!inward || !outward || !conn) return undefined;
      return { connections: conn.packets, inPackets: inward.packets, inBytes: inward.bytes, outPackets: outward.packets, outBytes: outward.bytes };
    };
    const traffic: ServiceTraffic[] = [];
    for (const s of countedServices(this.applied.services)) {
      const service = counters(s.names);
      if (!service) continue;
      const destinations = s.destinations.flatMap((d) => {
        const c = counters(d.names);
        return c ? [{ address: d.address, port: d.port, counters: c }] : [];
      });
      traffic.push({ service: s.service, counters: service, destinations });
    }
    return traffic;
  }

  /** Removes the runtime's table, as keepalived removes its virtual servers when it stops. */
  async close(): Promise<void> {
    await runNft(this.nft, ['-f', '-'], renderRemoval(), this.timeoutMs);
    this.applied = undefined;
  }
}

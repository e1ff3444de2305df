// From the configuration model to what the checker child runs: each virtual server as a pool of real
// servers (pool.ts) and the kernel services it stands for, and every real server's checks, fully
// resolved (timings, targets, Host headers) into CheckSpecs. Pure, except for looking up script users.
import type {
  Checker, GlobalDefs, KeepaliveConfig, LbDataplane, RealServer, SslSettings, TrackFile, VirtualServer, VirtualServerGroup,
} from '../config/model.ts';
import {
  checkerSmtpAlert, checkerTarget, checkerTiming, httpVirtualhost, miscTimeoutMs, realServerInhibitOnFailure, realServerMethod,
  realServerPort, smtpCheckHeloName, virtualServerFamily, virtualServerKey,
} from '../config/resolve.ts';
import { parseHexString } from '../config/values.ts';
import { ipFromBigInt, ipToBigInt } from '../net/ip.ts';
import { notifierSettings, type NotifierSettings } from '../notify/notifier.ts';
import { lookupUser } from '../notify/script.ts';
import type { VirtualService } from '../lb/model.ts';
import type { CheckSpec, HttpCheckSpec } from './check.ts';
import type { PoolSpec } from './pool.ts';
import type { CheckTiming } from './scheduler.ts';

export interface PlannedCheck {
  /** Unique within its real server: "TCP_CHECK#1", "HTTP_GET#2 /health". */
  id: string;
  timing: CheckTiming;
  /** warmup: the first run waits a random time up to this. */
  warmupMs: number;
  spec: CheckSpec;
}

export interface PlannedRealServer {
  /** Unique among all real servers of all virtual servers: "<virtual server key> <address> <port>". */
  id: string;
  /** How messages name it: "198.18.1.11:80". */
  name: string;
  /** How keepalived's notify FIFO names it: "[198.18.1.11]:tcp:80". */
  fifoName: string;
  weight: number;
  notifyUp?: string;
  notifyDown?: string;
  checks: PlannedCheck[];
}

export interface PlannedVirtualServer {
  pool: PoolSpec;
  /** How keepalived's notify FIFO names it: "[198.18.0.100]:tcp:80", "FWM 7", "[group]:80". */
  fifoName: string;
  realServers: PlannedRealServer[];
  /** Real servers start down until their checks pass. */
  alpha: boolean;
  /** At shutdown, run quorum_down and the real servers' notify_down. */
  omega: boolean;
  /** ha_suspend: its address services stay out of the kernel while the host does not hold their address. */
  haSuspend: boolean;
  quorumUp?: string;
  quorumDown?: string;
  smtpAlert: boolean;
}

export interface CheckerPlan {
  dataplane: LbDataplane;
  virtualServers: PlannedVirtualServer[];
  notifier: NotifierSettings;
}

const hostPort = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** keepalived's "[address]:protocol:port" (inet_sockaddrtotrio). */
const fifoTrio = (address: string, protocol: string, port: number): string => `[${address}]:${protocol.toLowerCase()}:${port}`;

/** keepalived's format_vs: a group by name and port, a fwmark, else the address trio. */
function virtualServerFifoName(vs: VirtualServer): string {
  if (vs.group !== undefined) return `[${vs.group}]:${vs.port ?? 0}`;
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  return fifoTrio(vs.address!, vs.protocol, vs.port!);
}

/** The kernel services one virtual server stands for: itself, or one per address (range) and fwmark of its group. */
function services(vs: VirtualServer, groups: readonly VirtualServerGroup[]): Omit<VirtualService, 'destinations'>[] {
  const family = virtualServerFamily(vs, groups);
  const base = {
    protocol: vs.protocol === 'TCP' ? 'tcp' as const : 'udp' as const,
    scheduler: vs.lvsSched as VirtualService['scheduler'],
    ...(vs.persistenceTimeoutMs !== undefined ? { persistenceSeconds: vs.persistenceTimeoutMs / 1000 } : {}),
    ...(vs.persistenceGranularity !== undefined ? { persistencePrefix: vs.persistenceGranularity } : {}),
  };
  const anyAddress = family === 4 ? '0.0.0.0' : '::';
  const fwmarkService = (fwmark: number) => ({ ...base, key: `fwmark ${fwmark}`, address: anyAddress, port: 0, fwmark });
  if (vs.fwmark !== undefined) return [fwmarkService(vs.fwmark)];
  if (vs.group === undefined) return [{ ...base, key: virtualServerKey(vs), address: vs.address!, port: vs.port! }];
  const group = groups.find((g) => g.name === vs.group)!;
  return group.entries.flatMap((e) => {
    if (e.fwmark !== undefined) return [fwmarkService(e.fwmark)];
    const first = ipToBigInt(e.address!);
    const last = e.lastAddress === undefined ? first.value : ipToBigInt(e.lastAddress).value;
    const out = [];
    for (let v = first.value; v <= last; v++) {
      const address = ipFromBigInt(first.family, v);
      out.push({ ...base, key: `${vs.protocol} ${address} ${e.port}`, address, port: e.port! });
    }
    return out;
  });
}

/** One checker as the runs it takes: an HTTP checker with several urls checks each (all must pass). */
function checks(g: GlobalDefs, trackFiles: readonly TrackFile[], vs: VirtualServer, rs: RealServer, checker: Checker, index: number): PlannedCheck[] {
  const timing = checkerTiming(vs, rs, checker);
  const planned = { timing: { delayLoopMs: timing.delayLoopMs, retry: timing.retry, delayBeforeRetryMs: timing.delayBeforeRetryMs }, warmupMs: timing.warmupMs };
  const id = `${checker.kind}#${index + 1}`;
  if (checker.kind === 'MISC_CHECK') {
    return [{
      ...planned, id,
      spec: {
        kind: 'MISC_CHECK', path: checker.miscPath, timeoutMs: miscTimeoutMs(vs, rs, checker), dynamic: checker.miscDynamic,
        ...(checker.user ? { user: lookupUser(checker.user.user, checker.user.group) } : {}),
      },
    }];
  }
  if (checker.kind === 'FILE_CHECK') {
    // Validated already: the track_file exists.
    const file = trackFiles.find((f) => f.name === checker.trackFile)!;
    return [{
      ...planned, id,
      spec: { kind: 'FILE_CHECK', path: file.file, weight: checker.weight ?? file.weight, reverse: checker.reverse ?? file.reverse, baseWeight: rs.weight },
    }];
  }
  const { address, port } = checkerTarget(vs, rs, checker);
  const target = {
    host: address, port, timeoutMs: timing.connectTimeoutMs,
    ...(checker.bindto ? { bindto: checker.bindto } : {}), ...(checker.bindPort !== undefined ? { bindPort: checker.bindPort } : {}),
  };
  switch (checker.kind) {
    case 'TCP_CHECK': return [{ ...planned, id, spec: { kind: 'TCP_CHECK', ...target } }];
    case 'DNS_CHECK': return [{ ...planned, id, spec: { kind: 'DNS_CHECK', ...target, type: checker.type, name: checker.name } }];
    case 'SMTP_CHECK': return [{ ...planned, id, spec: { kind: 'SMTP_CHECK', ...target, helo: smtpCheckHeloName(g, checker) } }];
    case 'PING_CHECK': return [{ ...planned, id, spec: { kind: 'PING_CHECK', ...target } }];
    case 'UDP_CHECK': return [{
      ...planned, id,
      spec: {
        kind: 'UDP_CHECK', ...target, requireReply: checker.requireReply, minReplyLength: checker.minReplyLength, maxReplyLength: checker.maxReplyLength,
        // Validated already (validate.ts), so these parse.
        ...(checker.payload !== undefined && { payload: parseHexString(checker.payload) }),
        ...(checker.replyPattern !== undefined && { replyPattern: parseHexString(checker.replyPattern, true) }),
      },
    }];
    case 'HTTP_GET':
    case 'SSL_GET':
      return checker.url.map((url) => {
        const virtualhost = httpVirtualhost(vs, checker, url);
        const sni = checker.kind === 'SSL_GET' && checker.enableSni ? checker.sniName ?? virtualhost : undefined;
        return {
          ...planned,
          id: checker.url.length === 1 ? id : `${id} ${url.path}`,
          spec: {
            kind: checker.kind, ...target, path: url.path, statusCodes: url.statusCode,
            ...(url.digest !== undefined ? { digest: url.digest } : {}),
            ...(url.regex !== undefined ? { regex: url.regex, regexNoMatch: url.regexNoMatch } : {}),
            ...(virtualhost !== undefined ? { virtualhost } : {}),
            ...(sni !== undefined ? { sni } : {}),
            // keepalived's SSL_GET never verifies the certificate; this does when tls_verify asks,
            // against the check's own tls_ca, else the SSL block's ca.
            verifyTls: checker.tlsVerify,
            ...(checker.kind === 'SSL_GET' ? sslFiles(checker.tlsCa, g.ssl) : {}),
          },
        };
      });
  }
}

/** What an SSL_GET presents and trusts: keepalived's SSL block, the check's own tls_ca first. */
function sslFiles(tlsCa: string | undefined, ssl: SslSettings | undefined): Pick<HttpCheckSpec, 'caFile' | 'clientCertFile' | 'clientKeyFile' | 'keyPassword'> {
  const caFile = tlsCa ?? ssl?.ca;
  return {
    ...(caFile !== undefined && { caFile }),
    ...(ssl?.certificate !== undefined && { clientCertFile: ssl.certificate }),
    ...(ssl?.key !== undefined && { clientKeyFile: ssl.key }),
    ...(ssl?.password !== undefined && { keyPassword: ssl.password }),
  };
}

export function checkerPlan(input: unknown): CheckerPlan {
  const config = input as KeepaliveConfig;
  const g = config.globalDefs;
  const virtualServers = config.virtualServers.map((vs): PlannedVirtualServer => {
    const key = virtualServerKey(vs);
    const realServers = vs.realServers.map((rs): PlannedRealServer => {
      const port = realServerPort(vs, rs);
      return {
        id: `${key} ${rs.address} ${port}`,
        name: hostPort(rs.address, port),
        fifoName: fifoTrio(rs.address, vs.protocol, port),
        weight: rs.weight,
        ...(rs.notifyUp ? { notifyUp: rs.notifyUp } : {}),
        ...(rs.notifyDown ? { notifyDown: rs.notifyDown } : {}),
        checks: rs.checkers.flatMap((c, i) => checks(g, config.trackFiles, vs, rs, c, i)),
      };
    });
    const pool: PoolSpec = {
      key,
      services: services(vs, config.virtualServerGroups),
      realServers: vs.realServers.map((rs, i) => ({
        id: realServers[i]!.id,
        address: rs.address,
        port: realServerPort(vs, rs),
        weight: rs.weight,
        inhibitOnFailure: realServerInhibitOnFailure(vs, rs),
        method: realServerMethod(vs, rs),
        ...(rs.uthreshold ? { upperThreshold: rs.uthreshold } : {}),
        ...(rs.lthreshold ? { lowerThreshold: rs.lthreshold } : {}),
      })),
      quorum: vs.quorum,
      hysteresis: vs.hysteresis,
      ...(vs.sorryServer ? {
        sorryServer: { address: vs.sorryServer.address, port: vs.sorryServer.port, method: vs.lvsMethod, inhibit: vs.sorryServerInhibit },
      } : {}),
    };
    return {
      pool, fifoName: virtualServerFifoName(vs), realServers, alpha: vs.alpha, omega: vs.omega, haSuspend: vs.haSuspend,
      ...(vs.quorumUp ? { quorumUp: vs.quorumUp } : {}),
      ...(vs.quorumDown ? { quorumDown: vs.quorumDown } : {}),
      smtpAlert: checkerSmtpAlert(g, vs),
    };
  });
  return { dataplane: g.lbDataplane, virtualServers, notifier: notifierSettings(g, 'checker') };
}

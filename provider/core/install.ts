// A Host's install, over SSH: what is there (one probe command), the runtime bundle uploaded only when
// the host lacks that exact content, a Node binary (gzip-compressed, unpacked there) only when the
// host has none new enough, then one command that verifies the upload, switches the `current` link
// atomically and restarts a runtime that was running an older bundle. An upload goes to a staging
// directory that is renamed into place once complete, so a connection lost halfway leaves the old
// runtime installed and running, and the next deploy starts over. Uninstall stops the runtime and
// removes what the install made.
import { randomBytes } from 'node:crypto';
import { MIN_NODE_MAJOR, nodeBinaryFor, unameArch, type NodeBinary, type RuntimeBundle } from './bundle.ts';
import type { DaemonStatus } from '../../runtime/src/control/status.ts';
import type { HostConnection } from './schema.ts';
import { hostPaths, serviceShell, shellVars, systemdUnit, UNIT_NAME, UNIT_PATH, type HostPaths } from './service.ts';
import { sha256, type SshSession } from './ssh.ts';

/** Marks an install directory as made by keepalive, so uninstall never removes a directory it did not make. */
const MARKER = '.keepalive-install';

export interface HostInterfaceFacts {
  readonly name: string;
  readonly mac: string;
  readonly state: string;
  readonly addresses: readonly string[];
}

export interface HostFacts {
  readonly arch: string;
  readonly kernel: string;
  readonly interfaces: readonly HostInterfaceFacts[];
}

/** What a probe finds on a host. */
export interface HostProbe {
  readonly machine: string;
  readonly kernel: string;
  /** The bundle id `current` points at, if any. */
  readonly current?: string;
  /** True when the wanted bundle is installed completely (its manifest verifies). */
  readonly bundleInstalled: boolean;
  /** Where INSTALL/node points, and that Node's version. */
  readonly nodeLink?: string;
  readonly nodeLinkVersion?: string;
  /** The node on the login PATH, and its version. */
  readonly pathNode?: string;
  readonly pathNodeVersion?: string;
  /** Node binaries keepalive uploaded earlier (INSTALL/node-v*), with their versions. */
  readonly pinned: readonly { path: string; version: string }[];
  readonly systemd: boolean;
  /** The running runtime's pid and the bundle id it runs from. */
  readonly pid?: number;
  readonly runningId?: string;
  readonly version?: string;
  readonly runtimeHash?: string;
  readonly interfaces: readonly HostInterfaceFacts[];
  /** The virtual addresses the runtime holds as master, which are not the host's own. */
  readonly heldVips: readonly string[];
  /** The running runtime's `keepalive status --json` (with `live`). */
  readonly status?: DaemonStatus;
}

/** Splits a deploy script's output: `key=value` lines, then `--- name` sections of free text. */
export function parseOutput(stdout: string): { values: Map<string, string[]>; sections: Map<string, string> } {
  const values = new Map<string, string[]>();
  const sections = new Map<string, string>();
  let section: string | undefined;
  let body: string[] = [];
  for (const line of stdout.split('\n')) {
    const header = /^--- (\S+)$/.exec(line);
    if (header) {
      if (section !== undefined) sections.set(section, body.join('\n'));
      section = header[1]!;
      body = [];
    } else if (section !== undefined) {
      body.push(line);
    } else {
      const eq = line.indexOf('=');
      if (eq > 0) values.set(line.slice(0, eq), [...(values.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
    }
  }
  if (section !== undefined) sections.set(section, body.join('\n'));
  return { values, sections };
}

const nodeMajor = (version: string | undefined): number => Number(/^v(\d+)\./.exec(version ?? '')?.[1] ?? 0);

interface IpAddressJson {
  ifname: string;
  address?: string;
  operstate?: string;
  addr_info?: { local: string; prefixlen: number }[];
}

export function parseFacts(ipJson: string, heldVips: readonly string[]): HostInterfaceFacts[] {
  let links: IpAddressJson[];
  try {
    links = JSON.parse(ipJson) as IpAddressJson[];
  } catch {
    return [];
  }
  const held = new Set(heldVips.map((v) => v.split('/')[0]));
  return links.filter((l) => l.ifname !== 'lo').map((l) => ({
    name: l.ifname,
    mac: l.address ?? '',
    state: (l.operstate ?? 'UNKNOWN').toLowerCase(),
    addresses: (l.addr_info ?? []).filter((a) => !held.has(a.local)).map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

/**
 * One command: the CPU, what is installed, which Node the host has, whether systemd runs, the
 * running runtime, and (with `live`) its version and the host's addresses.
 */
export async function probeHost(session: SshSession, host: HostConnection, bundleId: string, live: boolean): Promise<HostProbe> {
  const paths = hostPaths(host);
  const script = `${serviceShell(paths, host.serviceManager)}
${shellVars({ ID: bundleId })}
say "machine=$(uname -m)"
say "kernel=$(uname -r)"
say "current=$(readlink "$I/current" 2>/dev/null)"
[ -f "$I/$ID/manifest" ] && (cd "$I/$ID" && sha256sum -c --quiet manifest >/dev/null 2>&1) && say "bundle=ok"
say "nodelink=$(readlink "$I/node" 2>/dev/null)"
v=$("$I/node" --version 2>/dev/null) && say "nodelinkversion=$v"
p=$(command -v node 2>/dev/null) && { say "pathnode=$p"; v=$("$p" --version 2>/dev/null) && say "pathnodeversion=$v"; }
for n in "$I"/node-v*-linux-*/bin/node; do [ -x "$n" ] && v=$("$n" --version 2>/dev/null) && say "pinned=$n $v"; done
[ -d /run/systemd/system ] && say "systemd=yes"
if p=$(runtime_pid); then say "pid=$p"; say "cmdline=$(tr '\\0' ' ' < "/proc/$p/cmdline")"; fi
${live ? `[ -f "$I/current/manifest" ] && say "runtimehash=$(sha256sum < "$I/current/manifest" | cut -d' ' -f1)"
v=$("$K" --version 2>/dev/null) && say "version=$v"` : ''}
say '--- ip'
ip -j address 2>/dev/null || echo '[]'
${live ? `if running; then say '--- status'; "$K" status --json --state-dir "$S" 2>/dev/null; fi` : ''}
true`;
  const result = await session.exec(script);
  if (result.code !== 0) throw new Error(`probing ${host.name} (${host.address}) failed: ${result.stderr.trim()}`);
  const { values, sections } = parseOutput(result.stdout);
  const one = (key: string): string | undefined => values.get(key)?.[0] || undefined;
  const cmdline = one('cmdline') ?? '';
  const runningId = new RegExp(`${escapeRegExp(paths.install)}/([0-9a-f]{16})/keepalive\\.mjs`).exec(cmdline)?.[1];
  let heldVips: string[] = [];
  let status: DaemonStatus | undefined;
  const statusText = sections.get('status');
  if (statusText) {
    try {
      status = JSON.parse(statusText) as DaemonStatus;
      const parsed = status as { children?: Record<string, { status?: { instances?: { state: string; virtualAddresses: string[] }[] } }> };
      heldVips = (parsed.children?.['vrrp']?.status?.instances ?? []).filter((i) => i.state === 'master').flatMap((i) => i.virtualAddresses);
    } catch { /* a runtime that does not answer holds nothing we can tell */ }
  }
  return {
    machine: one('machine') ?? '',
    kernel: one('kernel') ?? '',
    ...(one('current') !== undefined && { current: one('current')! }),
    bundleInstalled: one('bundle') === 'ok',
    ...(one('nodelink') !== undefined && { nodeLink: one('nodelink')! }),
    ...(one('nodelinkversion') !== undefined && { nodeLinkVersion: one('nodelinkversion')! }),
    ...(one('pathnode') !== undefined && { pathNode: one('pathnode')! }),
    ...(one('pathnodeversion') !== undefined && { pathNodeVersion: one('pathnodeversion')! }),
    pinned: (values.get('pinned') ?? []).map((line) => {
      const [path = '', version = ''] = line.split(' ');
      return { path, version };
    }),
    systemd: one('systemd') === 'yes',
    ...(one('pid') !== undefined && { pid: Number(one('pid')) }),
    ...(runningId !== undefined && { runningId }),
    ...(one('version') !== undefined && { version: one('version')! }),
    ...(one('runtimehash') !== undefined && { runtimeHash: one('runtimehash')! }),
    interfaces: parseFacts(sections.get('ip') ?? '[]', heldVips),
    heldVips,
    ...(status && { status }),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Which Node the runtime will run on: a link target under the install dir, and a binary to upload if needed. */
interface NodePlan {
  /** The `node` link's target: absolute (the host's own node) or relative to the install dir. */
  readonly target: string;
  readonly upload?: NodeBinary;
  /** For the output: "v24.21.0 (/usr/bin/node)". */
  readonly description: string;
}

function planNode(host: HostConnection, probe: HostProbe, paths: HostPaths): NodePlan {
  if (probe.nodeLink !== undefined && nodeMajor(probe.nodeLinkVersion) >= MIN_NODE_MAJOR) {
    return { target: probe.nodeLink, description: `${probe.nodeLinkVersion} (${absolute(paths, probe.nodeLink)})` };
  }
  if (probe.pathNode !== undefined && nodeMajor(probe.pathNodeVersion) >= MIN_NODE_MAJOR) {
    return { target: probe.pathNode, description: `${probe.pathNodeVersion} (${probe.pathNode})` };
  }
  const pinned = probe.pinned.find((p) => nodeMajor(p.version) >= MIN_NODE_MAJOR);
  if (pinned) return { target: pinned.path.slice(paths.install.length + 1), description: `${pinned.version} (${pinned.path})` };
  const arch = unameArch(probe.machine);
  if (!arch) throw new Error(`${host.name} (${host.address}) is a ${probe.machine} machine: keepalive runs on x86_64 and aarch64 Linux`);
  const binary = nodeBinaryFor(arch, `${host.name} (${host.address})`);
  const target = `${binary.dirName}/bin/node`;
  return { target, upload: binary, description: `v${binary.version} (${paths.install}/${target}, uploaded)` };
}

function absolute(paths: HostPaths, target: string): string {
  return target.startsWith('/') ? target : `${paths.install}/${target}`;
}

export interface InstallResult {
  readonly runtimeHash: string;
  readonly runtimeVersion: string;
  readonly node: string;
  readonly running: boolean;
  readonly facts: HostFacts;
  /** What was written: bundle files, the Node binary, links, the unit. */
  readonly writes: number;
  readonly restarted: boolean;
}

/**
 * Installs `bundle` on the host (uploading only what is missing), makes `current` point at it, writes
 * the systemd unit where systemd manages the runtime, and restarts a runtime that runs another bundle.
 */
export async function installRuntime(session: SshSession, host: HostConnection, bundle: RuntimeBundle): Promise<InstallResult> {
  const paths = hostPaths(host);
  const probe = await probeHost(session, host, bundle.id, false);
  if (host.serviceManager === 'systemd' && !probe.systemd) {
    throw new Error(`${host.name} (${host.address}): serviceManager is systemd, but systemd does not run there (no /run/systemd/system); set serviceManager to none for a pid-file service`);
  }
  const arch = unameArch(probe.machine);
  if (arch !== bundle.arch) {
    throw new Error(`${host.name} (${host.address}) is ${probe.machine}, but the runtime's socket addon is built for ${bundle.arch}: build the runtime for ${arch ?? probe.machine} to deploy there`);
  }
  const node = planNode(host, probe, paths);
  const nonce = randomBytes(4).toString('hex');
  const partial = probe.bundleInstalled ? '' : `${paths.install}/.partial-${bundle.id}-${nonce}`;
  const nodePartial = node.upload ? `${paths.install}/.partial-node-${nonce}` : '';
  let writes = 0;

  if (partial || nodePartial) {
    // Leftovers of an upload that was cut off go first.
    const prepare = await session.exec(`${shellVars({ I: paths.install, P: partial, N: nodePartial })}
mkdir -p "$I" && touch "$I/${MARKER}" && rm -rf "$I"/.partial-* || exit 1
[ -z "$P" ] || mkdir "$P" || exit 1
[ -z "$N" ] || mkdir -p "$N/bin" || exit 1`);
    if (prepare.code !== 0) throw new Error(`${host.name}: cannot prepare ${paths.install}: ${prepare.stderr.trim()}`);
    if (node.upload) {
      // Compressed (44 MB, not 126): unpacked on the host, under the lock, before it is moved into place.
      await session.putFile(`${nodePartial}/bin/node.gz`, await node.upload.gzip(), 0o644);
      writes++;
    }
    if (partial) {
      for (const file of bundle.files) {
        await session.putFile(`${partial}/${file.name}`, file.content, file.mode);
        writes++;
      }
      await session.putFile(`${partial}/manifest`, bundle.manifest);
      writes++;
    }
  }

  const unit = host.serviceManager === 'systemd' ? systemdUnit(paths) : '';
  const activate = await session.exec(`${serviceShell(paths, host.serviceManager)}
${shellVars({ ID: bundle.id, P: partial, N: nodePartial, NODEDIR: node.upload?.dirName ?? '', NODE: node.target, UNIT: UNIT_PATH, UNITHASH: unit ? sha256(unit) : '' })}
lock
mkdir -p "$I" "$D" && touch "$I/${MARKER}" || exit 1
if [ -n "$P" ]; then
  (cd "$P" && sha256sum -c --quiet manifest) || fail "the uploaded runtime does not match its manifest"
  rm -rf "$I/$ID" && mv -T "$P" "$I/$ID" || exit 1
  say "write=bundle"
fi
if [ -n "$N" ]; then
  command -v gzip >/dev/null 2>&1 || fail "gzip is not installed: it unpacks the uploaded Node"
  gzip -dc "$N/bin/node.gz" > "$N/bin/node" && chmod 755 "$N/bin/node" && rm -f "$N/bin/node.gz" || fail "the uploaded Node does not unpack: $(gzip -t "$N/bin/node.gz" 2>&1 | tail -n 1)"
  rm -rf "$I/$NODEDIR" && mv -T "$N" "$I/$NODEDIR" || exit 1
  say "write=node"
fi
if [ "$(readlink "$I/node")" != "$NODE" ]; then
  ln -sfn "$NODE" "$I/.node.new" && mv -T "$I/.node.new" "$I/node" || exit 1
  say "write=node-link"
fi
"$I/$ID/keepalive" --version >/dev/null 2>&1 || fail "the runtime does not run on $NODE: $("$I/$ID/keepalive" --version 2>&1 | tail -n 3)"
previous=$(readlink "$I/current" 2>/dev/null)
if [ "$previous" != "$ID" ]; then
  ln -sfn "$ID" "$I/.current.new" && mv -T "$I/.current.new" "$I/current" || exit 1
  say "write=current"
fi
if [ -n "$UNITHASH" ] && [ "$(sha256sum "$UNIT" 2>/dev/null | cut -d' ' -f1)" != "$UNITHASH" ]; then
  cat > "$UNIT.new" && mv -f "$UNIT.new" "$UNIT" && systemctl daemon-reload || exit 1
  say "write=unit"
fi
# A runtime running another bundle is restarted on this one (when it has something to run).
if p=$(runtime_pid) && ! tr '\\0' ' ' < "/proc/$p/cmdline" | grep -q "$I/$ID/keepalive.mjs"; then
  stop
  if [ -n "$(fragments)" ]; then start || exit 1; say "restarted=yes"; fi
fi
# Kept: this bundle, and the one before it for a manual rollback.
for m in "$I"/*/manifest; do
  d=\${m%/manifest}; n=\${d##*/}
  [ -L "$d" ] || [ "$n" = "$ID" ] || [ "$n" = "$previous" ] || rm -rf "$d"
done
for n in "$I"/node-v*-linux-*; do [ -d "$n" ] && [ "$NODE" != "\${n##*/}/bin/node" ] && rm -rf "$n"; done
running && say "running=yes"
say "version=$("$K" --version)"`, unit);
  if (activate.code !== 0) throw new Error(`installing keepalive on ${host.name} (${host.address}) failed: ${activate.stderr.trim()}`);
  const { values } = parseOutput(activate.stdout);
  writes += (values.get('write') ?? []).filter((w) => w !== 'bundle' && w !== 'node').length;
  return {
    runtimeHash: bundle.hash,
    runtimeVersion: values.get('version')?.[0] ?? '',
    node: node.description,
    running: values.get('running')?.[0] === 'yes',
    facts: { arch: probe.machine, kernel: probe.kernel, interfaces: probe.interfaces },
    writes,
    restarted: values.get('restarted')?.[0] === 'yes',
  };
}

/** The live state of an installed host, for Read. */
export async function readHost(session: SshSession, host: HostConnection, bundleId: string): Promise<{ probe: HostProbe; node: string }> {
  const paths = hostPaths(host);
  const probe = await probeHost(session, host, bundleId, true);
  const node = probe.nodeLink === undefined ? '' : `${probe.nodeLinkVersion ?? 'missing'} (${absolute(paths, probe.nodeLink)})`;
  return { probe, node };
}

/**
 * Stops the runtime (gracefully: TERM, so a master sends its priority-0 advert), removes the unit, the
 * install directory (only one keepalive made), the fragments and the state directory.
 */
export async function uninstallRuntime(session: SshSession, host: HostConnection): Promise<{ stop?: string }> {
  const paths = hostPaths(host);
  const result = await session.exec(`${serviceShell(paths, host.serviceManager)}
${shellVars({ UNIT: UNIT_PATH })}
lock
# Refused before anything is stopped: a directory keepalive did not make is not its to take down.
[ ! -e "$I" ] || [ -f "$I/${MARKER}" ] || fail "not removing $I: keepalive did not make it (no $I/${MARKER})"
stop
if [ -d /run/systemd/system ] && [ -f "$UNIT" ]; then
  systemctl disable ${UNIT_NAME} >/dev/null 2>&1; rm -f "$UNIT"; systemctl daemon-reload
fi
rm -rf "$I" || exit 1
rm -rf "$D" "$C/resources" "$S" || exit 1
rm -f "$L"
rmdir "$C" 2>/dev/null
true`);
  if (result.code !== 0) throw new Error(`removing keepalive from ${host.name} (${host.address}) failed: ${result.stderr.trim()}`);
  const stop = parseOutput(result.stdout).values.get('stop')?.[0];
  return stop === undefined ? {} : { stop };
}

// What the provider installs on a host: the bundled runtime (esbuild's one-file keepalive.mjs with its
// socket addon, see scripts/build-runtime.ts) plus a launcher, identified by one content hash; and,
// for a host whose Node is older than 24, a pinned Node binary for the host's CPU, taken from the
// registry's node-linux-<arch> package installed in this project.
//
// On the host (INSTALL is the Host's installDir):
//   INSTALL/<id>/keepalive.mjs, keepalive_socket.node   the bundle
//   INSTALL/<id>/keepalive                              the launcher: runs the bundle on INSTALL/node
//   INSTALL/<id>/manifest                               sha256sum lines of the three; <id> is its hash
//   INSTALL/current -> <id>                             switched atomically once <id> is complete
//   INSTALL/node -> node-v24.x-linux-<arch>/bin/node    or the host's own node when it is new enough
// The launcher is the same text for every host, so the id depends on the bundle only, and which Node
// a host uses is the `node` link's business.
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sha256 } from './ssh.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The oldest Node major the bundle runs on (it targets node24: `using`, type stripping off, etc.). */
export const MIN_NODE_MAJOR = 24;

export interface BundleFile {
  readonly name: string;
  readonly content: Buffer;
  readonly mode: number;
}

export interface RuntimeBundle {
  readonly files: readonly BundleFile[];
  /** The `sha256sum` manifest of the files: `HASH  NAME` lines, in name order. */
  readonly manifest: string;
  /** The hash of the manifest: the runtime's identity, the `runtimeHash` output. */
  readonly hash: string;
  /** The directory name on hosts: the first 16 hex digits of the hash. */
  readonly id: string;
  /** The CPU the socket addon is built for ('x64', 'arm64'). */
  readonly arch: Arch;
}

export type Arch = 'x64' | 'arm64';

/** ELF e_machine values of the CPUs keepalive can run on. */
const ELF_MACHINE: Readonly<Record<number, Arch>> = { 0x3e: 'x64', 0xb7: 'arm64' };

/** The CPU an ELF file (a binary or a .node addon) is built for, or undefined for anything else. */
export function elfArch(path: string): Arch | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return ELF_MACHINE[header.readUInt16LE(18)];
}

/** `uname -m` as a Node arch name, or undefined for a CPU keepalive has no build for. */
export function unameArch(machine: string): Arch | undefined {
  switch (machine.trim()) {
    case 'x86_64': case 'amd64': return 'x64';
    case 'aarch64': case 'arm64': return 'arm64';
    default: return undefined;
  }
}

/**
 * The launcher: resolves its own directory (through the `current` link, so a running process names
 * the exact bundle it runs from) and runs the bundle on the Node the install directory's `node` link
 * names.
 */
export const LAUNCHER = `#!/bin/sh
# keepalive, installed by the keepalive Pulumi provider: this directory's bundle on ../node.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P) || exit 1
exec "$here/../node" "$here/keepalive.mjs" "$@"
`;

export function bundleFrom(files: readonly BundleFile[], arch: Arch): RuntimeBundle {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest = sorted.map((f) => `${sha256(f.content)}  ${f.name}\n`).join('');
  const hash = sha256(manifest);
  return { files: sorted, manifest, hash, id: hash.slice(0, 16), arch };
}

let cached: RuntimeBundle | undefined;

/**
 * The runtime this provider installs. KEEPALIVE_RUNTIME_BUNDLE names a directory holding a built
 * keepalive.mjs and keepalive_socket.node (a release); without it the bundle is built from this
 * checkout once per provider process, so a deploy always carries the source it sits next to.
 */
export function runtimeBundle(): RuntimeBundle {
  if (cached) return cached;
  let dir = process.env.KEEPALIVE_RUNTIME_BUNDLE;
  if (dir === undefined) {
    const built = spawnSync(process.execPath, [`${ROOT}scripts/build-runtime.ts`], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building the runtime bundle failed: ${(built.stderr || built.stdout).trim()}`);
    dir = `${ROOT}dist/runtime`;
  }
  const addon = `${dir}/keepalive_socket.node`;
  const arch = existsSync(addon) ? elfArch(addon) : undefined;
  if (!arch) throw new Error(`${addon} is missing or not a Linux x64/arm64 addon: the runtime bundle is incomplete`);
  cached = bundleFrom([
    { name: 'keepalive.mjs', content: readFileSync(`${dir}/keepalive.mjs`), mode: 0o644 },
    { name: 'keepalive_socket.node', content: readFileSync(addon), mode: 0o755 },
    { name: 'keepalive', content: Buffer.from(LAUNCHER), mode: 0o755 },
  ], arch);
  return cached;
}

export interface NodeBinary {
  readonly path: string;
  readonly version: string;
  readonly arch: Arch;
  /** The directory it goes to under the install directory: node-v24.21.0-linux-x64. */
  readonly dirName: string;
}

function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * A Node binary for `arch` available on this machine: the registry's node-linux-<arch> package when
 * it is installed here, or the binary the `node` package put in place (for this machine's CPU; its
 * ELF header says which). Throws, saying what to install, when there is none.
 */
export function nodeBinaryFor(arch: Arch, host: string): NodeBinary {
  const candidates = [`${ROOT}node_modules/node-linux-${arch}`, `${ROOT}node_modules/node`];
  for (const dir of candidates) {
    const path = `${dir}/bin/node`;
    const version = packageVersion(dir);
    if (version === undefined || !existsSync(path) || elfArch(path) !== arch) continue;
    if (Number(version.split('.')[0]) < MIN_NODE_MAJOR) continue;
    return { path, version, arch, dirName: `node-v${version}-linux-${arch}` };
  }
  throw new Error(`${host} is linux-${arch} and has no Node >= ${MIN_NODE_MAJOR}, and no Node binary for linux-${arch} is available to upload: install the registry package node-linux-${arch} (Node ${MIN_NODE_MAJOR}) into this project's node_modules, or install Node ${MIN_NODE_MAJOR} on the host`);
}

// What the provider installs on a host: the bundled runtime (esbuild's keepalive.mjs with its socket
// addon and the libraries beside it, scripts/runtime-files.ts) plus a launcher, identified by one
// content hash; and,
// for a host whose Node is older than 24, a pinned Node binary for the host's CPU, sent gzip-compressed
// (about 44 MB instead of 126) and unpacked on the host.
//
// Where they come from (the one seam, `fromSea`): run as the single executable plugin
// (scripts/build-plugin.ts), from the executable's own assets (the runtime's files, node-linux-<arch>.gz
// and node.json); run from a checkout, from the checkout: the bundle built by
// scripts/build-runtime.ts, and the registry's node-linux-<arch> package (or the `node` package)
// installed in this project, compressed once and kept in dist/node/.
//
// On the host (INSTALL is the Host's installDir):
//   INSTALL/<id>/keepalive.mjs, keepalive_socket.node,  the bundle
//                keepalive-<library>.cjs
//   INSTALL/<id>/keepalive                              the launcher: runs the bundle on INSTALL/node
//   INSTALL/<id>/manifest                               sha256sum lines of all of them; <id> is its hash
//   INSTALL/current -> <id>                             switched atomically once <id> is complete
//   INSTALL/node -> node-v24.x-linux-<arch>/bin/node    or the host's own node when it is new enough
// The launcher is the same text for every host, so the id depends on the bundle only, and which Node
// a host uses is the `node` link's business.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { sha256 } from './ssh.ts';
import { RUNTIME_FILES } from '../../scripts/runtime-files.ts';

/** The checkout this module sits in; never asked for inside the single executable, which has none. */
const root = (): string => fileURLToPath(new URL('../..', import.meta.url));

/** True when this process is the single executable plugin, which carries what it installs as assets. */
export const fromSea = (): boolean => isSea();

/** One asset of the single executable, as a Buffer (`getAsset` copies it out of the executable). */
function seaAsset(name: string): Buffer {
  return Buffer.from(getAsset(name));
}

/** The single executable's description of the Node binaries it carries (its `node.json` asset). */
export interface SeaNodeEntry { readonly arch: Arch; readonly version: string; readonly asset: string; readonly size: number }

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
  return elfArchOf(header);
}

/** The same, from a file's first bytes. */
export function elfArchOf(header: Buffer): Arch | undefined {
  if (header.length < 20 || header.readUInt32BE(0) !== 0x7f454c46) return undefined;
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
 * The runtime this provider installs. KEEPALIVE_RUNTIME_BUNDLE names a directory holding the built
 * runtime's files (a release); without it, the single executable plugin installs the bundle it
 * carries, and a plugin run from a checkout builds the bundle from the checkout once per provider
 * process, so a deploy always carries the source it sits next to.
 */
export function runtimeBundle(): RuntimeBundle {
  if (cached) return cached;
  let dir = process.env.KEEPALIVE_RUNTIME_BUNDLE;
  const files = new Map<string, Buffer>();
  let where: string;
  if (dir === undefined && fromSea()) {
    for (const name of RUNTIME_FILES) files.set(name, seaAsset(name));
    where = 'the plugin\'s keepalive_socket.node asset';
  } else {
    if (dir === undefined) {
      const built = spawnSync(process.execPath, [`${root()}scripts/build-runtime.ts`], { encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`building the runtime bundle failed: ${(built.stderr || built.stdout).trim()}`);
      dir = `${root()}dist/runtime`;
    }
    for (const name of RUNTIME_FILES) {
      const path = `${dir}/${name}`;
      if (!existsSync(path)) throw new Error(`${path} is missing: the runtime bundle is incomplete`);
      files.set(name, readFileSync(path));
    }
    where = `${dir}/keepalive_socket.node`;
  }
  const arch = elfArchOf(files.get('keepalive_socket.node')!);
  if (!arch) throw new Error(`${where} is not a Linux x64/arm64 addon: the runtime bundle is incomplete`);
  cached = bundleFrom([
    ...[...files].map(([name, content]) => ({ name, content, mode: name.endsWith('.node') ? 0o755 : 0o644 })),
    { name: 'keepalive', content: Buffer.from(LAUNCHER), mode: 0o755 },
  ], arch);
  return cached;
}

export interface NodeBinary {
  /** Where it comes from: a file of the checkout, or `sea:<asset>` inside the single executable. */
  readonly path: string;
  readonly version: string;
  readonly arch: Arch;
  /** The directory it goes to under the install directory: node-v24.21.0-linux-x64. */
  readonly dirName: string;
  /** The binary gzip-compressed, as it is uploaded (hosts unpack it with gzip). */
  gzip(): Promise<Buffer>;
}

const gzipAsync = promisify(gzip);
const gzipping = new Map<string, Promise<Buffer>>();

/**
 * A checkout's Node binary, gzip-compressed: kept in dist/node/<name>.gz with the size and mtime of the
 * binary it was made from, so it is compressed once (about 4 s), not once per provider process.
 * Written beside its place and renamed, as provider processes may run side by side.
 */
function gzipOfFile(path: string, name: string): Promise<Buffer> {
  const known = gzipping.get(path);
  if (known) return known;
  const made = (async () => {
    const { size, mtimeMs } = statSync(path);
    const stamp = `${size} ${mtimeMs}\n`;
    const dir = `${root()}dist/node`;
    const out = `${dir}/${name}.gz`;
    try {
      if (readFileSync(`${out}.source`, 'utf8') === stamp) return readFileSync(out);
    } catch { /* not made yet */ }
    const compressed = await gzipAsync(readFileSync(path), { level: 6 });
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${out}.${process.pid}`, compressed);
      renameSync(`${out}.${process.pid}`, out);
      writeFileSync(`${out}.source.${process.pid}`, stamp);
      renameSync(`${out}.source.${process.pid}`, `${out}.source`);
    } catch { /* a read-only checkout: compressed again next time */ }
    return compressed;
  })();
  gzipping.set(path, made);
  made.catch(() => gzipping.delete(path));
  return made;
}

/** The Node binaries the single executable carries. */
export function seaNodes(): readonly SeaNodeEntry[] {
  return JSON.parse(seaAsset('node.json').toString('utf8')) as SeaNodeEntry[];
}

function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * A Node binary for `arch` to upload: in the single executable, the one it carries for that CPU; in a
 * checkout, the registry's node-linux-<arch> package when it is installed here, or the binary the
 * `node` package put in place (for this machine's CPU; its ELF header says which). Throws, saying
 * what to install, when there is none.
 */
export function nodeBinaryFor(arch: Arch, host: string): NodeBinary {
  if (fromSea()) {
    const entry = seaNodes().find((n) => n.arch === arch);
    if (entry) {
      return {
        path: `sea:${entry.asset}`, version: entry.version, arch, dirName: `node-v${entry.version}-linux-${arch}`,
        gzip: () => Promise.resolve(seaAsset(entry.asset)),
      };
    }
    throw new Error(`${host} is linux-${arch} and has no Node >= ${MIN_NODE_MAJOR}, and this plugin carries no Node binary for linux-${arch}: install Node ${MIN_NODE_MAJOR} on the host`);
  }
  const candidates = [`${root()}node_modules/node-linux-${arch}`, `${root()}node_modules/node`];
  for (const dir of candidates) {
    const path = `${dir}/bin/node`;
    const version = packageVersion(dir);
    if (version === undefined || !existsSync(path) || elfArch(path) !== arch) continue;
    if (Number(version.split('.')[0]) < MIN_NODE_MAJOR) continue;
    const dirName = `node-v${version}-linux-${arch}`;
    return { path, version, arch, dirName, gzip: () => gzipOfFile(path, dirName) };
  }
  throw new Error(`${host} is linux-${arch} and has no Node >= ${MIN_NODE_MAJOR}, and no Node binary for linux-${arch} is available to upload: install the registry package node-linux-${arch} (Node ${MIN_NODE_MAJOR}) into this project's node_modules, or install Node ${MIN_NODE_MAJOR} on the host`);
}

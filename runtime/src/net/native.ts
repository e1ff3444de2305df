// The socket addon (runtime/native/socket.c), loaded on first use and given types. The addon only
// moves bytes between Node and the socket calls; every address, option value and ancillary payload
// is built by the TypeScript around it. Build it with runtime/native/build.sh (scripts/setup does).
//
// Errors thrown by these functions carry .code (the errno name, e.g. 'EPERM'), .errno and .syscall.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeCmsgs, encodeCmsgs, type Cmsg } from './ancillary.ts';
import { int32 } from './host-order.ts';

/** An opaque libuv poll handle; pass it back to unpoll/pollRef. */
export type PollHandle = { readonly __brand: 'PollHandle' };

interface Addon {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void;
  getsockopt(fd: number, level: number, name: number, maxBytes: number): Buffer;
  bind(fd: number, addr: Uint8Array): void;
  getsockname(fd: number): Buffer;
  sendmsg(fd: number, data: Uint8Array, addr: Uint8Array | null, control: Uint8Array | null): number;
  recvmsg(fd: number, maxBytes: number): { data: Buffer; addr: Buffer; control: Buffer; flags: number } | null;
  close(fd: number): void;
  raiseFileLimit(wanted: number): number;
  setns(fd: number, nstype: number): void;
  releaseFreedMemory(): void;
  ifNameToIndex(name: string): number;
  ifIndexToName(index: number): string;
  poll(fd: number, callback: (error: Error | null) => void): PollHandle;
  unpoll(handle: PollHandle): void;
  pollRef(handle: PollHandle, ref: boolean): void;
  signal(signum: number, callback: () => void): PollHandle;
  realtimeSignals(): { min: number; max: number };
}

/** An Error from a socket call. */
export interface SystemError extends Error { code: string; errno: number; syscall: string }

/**
 * Where the addon is: KEEPALIVE_NATIVE if set; beside this module when it is part of the bundled
 * runtime (scripts/build-runtime.ts copies it there); else where runtime/native/build.sh puts it.
 */
const BESIDE = fileURLToPath(new URL('./keepalive_socket.node', import.meta.url));
export const ADDON_PATH = process.env.KEEPALIVE_NATIVE
  ?? (existsSync(BESIDE) ? BESIDE : fileURLToPath(new URL('../../native/build/keepalive_socket.node', import.meta.url)));

let addon: Addon | undefined;

function load(): Addon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`the socket addon is not built (${ADDON_PATH}); run runtime/native/build.sh (scripts/setup does)`);
  }
  addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  return addon;
}

/** A received datagram: payload, the sender's raw sockaddr, ancillary messages and MSG_* flags. */
export interface Received { data: Buffer; addr: Buffer; cmsgs: Cmsg[]; flags: number }

/** socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC added. */
export function socket(domain: number, type: number, protocol: number): number { return load().socket(domain, type, protocol); }
export function setsockopt(fd: number, level: number, name: number, value: Uint8Array): void { load().setsockopt(fd, level, name, value); }
/** setsockopt with a C int value, the common case. */
export function setsockoptInt(fd: number, level: number, name: number, value: number): void { load().setsockopt(fd, level, name, int32(value)); }
export function getsockopt(fd: number, level: number, name: number, maxBytes: number): Buffer { return load().getsockopt(fd, level, name, maxBytes); }
export function bind(fd: number, addr: Uint8Array): void { load().bind(fd, addr); }
export function getsockname(fd: number): Buffer { return load().getsockname(fd); }
/** sendto(2): addr null for a connected or bound-to-destination socket (packet, netlink). */
export function sendto(fd: number, data: Uint8Array, addr: Uint8Array | null): number { return load().sendmsg(fd, data, addr, null); }
/** sendmsg(2) with ancillary messages, e.g. IP_PKTINFO to choose the source address. */
export function sendmsg(fd: number, data: Uint8Array, addr: Uint8Array | null, cmsgs: readonly Cmsg[]): number {
  return load().sendmsg(fd, data, addr, cmsgs.length > 0 ? encodeCmsgs(cmsgs) : null);
}
/** recvmsg(2) of one datagram, or null when none is waiting. */
export function recvmsg(fd: number, maxBytes: number): Received | null {
  const r = load().recvmsg(fd, maxBytes);
  return r && { data: r.data, addr: r.addr, cmsgs: decodeCmsgs(r.control), flags: r.flags };
}
export function close(fd: number): void { load().close(fd); }
/**
 * Raises this process's open-file limit (RLIMIT_NOFILE) to at least `wanted` where it may (the hard
 * limit too, as root), else as far as the hard limit allows; returns the soft limit now in force.
 */
export function raiseFileLimit(wanted: number): number { return load().raiseFileLimit(wanted); }
/**
 * Gives the C heap's free pages back to the system (malloc_trim): start-up and configuration loads
 * free megabytes that malloc would otherwise keep. Called when each is done.
 */
export function releaseFreedMemory(): void { since('releaseFreedMemory')(); }
/** if_nametoindex(3) in the calling process's network namespace; throws ENODEV for an unknown name. */
export function ifNameToIndex(name: string): number { return load().ifNameToIndex(name); }
export function ifIndexToName(index: number): string { return load().ifIndexToName(index); }
/**
 * Calls `callback` on the main thread whenever fd is readable (level-triggered: again while data is
 * left). The handle keeps the process alive until unpoll, or while pollRef(handle, true).
 * Always unpoll before closing the fd.
 */
export function poll(fd: number, callback: (error: Error | null) => void): PollHandle { return load().poll(fd, callback); }
export function unpoll(handle: PollHandle): void { load().unpoll(handle); }
export function pollRef(handle: PollHandle, ref: boolean): void { load().pollRef(handle, ref); }
/**
 * Calls `callback` on the main thread each time the process receives signal `signum`, whatever its
 * number: Node's process.on('SIG...') knows the named signals only, not the real-time ones. The
 * handle does not keep the process alive; unpoll(handle) stops it.
 */
export function onSignal(signum: number, callback: () => void): PollHandle { return since('signal')(signum, callback); }
/** SIGRTMIN and SIGRTMAX as the C library numbers them (glibc keeps the first real-time signals). */
export function realtimeSignals(): { min: number; max: number } { return since('realtimeSignals')(); }

/** A function the addon gained later: an addon built before it says so, rather than "not a function". */
function since<K extends 'signal' | 'realtimeSignals' | 'releaseFreedMemory'>(name: K): Addon[K] {
  const f = load()[name];
  if (typeof f !== 'function') throw new Error(`the socket addon (${ADDON_PATH}) is older than runtime/native/socket.c and has no ${name}(); run runtime/native/build.sh`);
  return f;
}

export function isSystemError(e: unknown, code?: string): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && (code === undefined || (e as SystemError).code === code);
}
/** setns(2) for the calling thread (Node's main thread): `nstype` is a CLONE_NEW* flag. */
export function setns(fd: number, nstype: number): void { load().setns(fd, nstype); }

// The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC; the kernel's
// include/uapi/linux/connector.h and cn_proc.h): a multicast of every fork, exec, comm change and
// exit, which keepalived's vrrp_track_process listens to. The kernel serves it only in the initial
// network namespace: elsewhere the subscription fails with ECONNREFUSED, and the caller falls back.
//
//   struct cn_msg     { u32 idx, val; u32 seq, ack; u16 len, flags; u8 data[len]; }           20 bytes + data
//   struct proc_event { u32 what, cpu; u64 timestamp_ns; union { fork, exec, comm, exit, ... } }
// The codec is pure; ProcessEvents is the thin socket around it.
import { AF_NETLINK, MSG_TRUNC, SOCK_RAW, SOL_NETLINK, SOL_SOCKET, SO_RCVBUF, NETLINK_ADD_MEMBERSHIP } from './linux.ts';
import { readI32, readU16, readU32, writeU16, writeU32 } from './host-order.ts';
import * as native from './native.ts';
import { decodeSockaddr, encodeSockaddrNl } from './sockaddr.ts';
import { NLMSG_DONE, NetlinkFormatError, decodeMessages, encodeMessage } from './netlink.ts';

export const NETLINK_CONNECTOR = 11;
export const CN_IDX_PROC = 1;
export const CN_VAL_PROC = 1;
export const PROC_CN_MCAST_LISTEN = 1;
export const PROC_CN_MCAST_IGNORE = 2;

const PROC_EVENT_FORK = 0x1;
const PROC_EVENT_EXEC = 0x2;
const PROC_EVENT_COMM = 0x200;
const PROC_EVENT_EXIT = 0x80000000;

const CN_MSG = 20;
/** what, cpu, timestamp_ns: the union starts after them. */
const PROC_EVENT_HEAD = 16;

/** The events process tracking needs, for whole processes (thread group leaders) only. */
export type ProcessEvent =
  | { kind: 'fork'; parent: number; child: number }
  | { kind: 'exec' | 'comm' | 'exit'; pid: number };

/** The subscription message (listen or ignore), as a whole netlink datagram from `portId`. */
export function subscriptionMessage(portId: number, op: typeof PROC_CN_MCAST_LISTEN | typeof PROC_CN_MCAST_IGNORE): Buffer {
  const cn = Buffer.alloc(CN_MSG + 4);
  writeU32(cn, CN_IDX_PROC, 0);
  writeU32(cn, CN_VAL_PROC, 4);
  writeU16(cn, 4, 16);
  writeU32(cn, op, CN_MSG);
  // The connector takes a bare message, with no request or ack flags (it never acks).
  return encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 0, pid: portId, payload: cn });
}

/**
 * One connector message's event; undefined for what process tracking ignores (another connector,
 * uid/gid/sid/ptrace/coredump events, threads that are not their group's leader).
 */
export function decodeProcessEvent(payload: Buffer): ProcessEvent | undefined {
  if (payload.length < CN_MSG) throw new NetlinkFormatError(`cn_msg: ${payload.length} bytes, need ${CN_MSG}`);
  if (readU32(payload, 0) !== CN_IDX_PROC || readU32(payload, 4) !== CN_VAL_PROC) return undefined;
  const len = readU16(payload, 16);
  const data = payload.subarray(CN_MSG, CN_MSG + len);
  if (data.length < len) throw new NetlinkFormatError(`cn_msg: ${len} bytes of data announced, ${data.length} present`);
  if (data.length < PROC_EVENT_HEAD) return undefined; // the kernel's answer to a subscription
  const what = readU32(data, 0);
  const need = (bytes: number): void => {
    if (data.length < PROC_EVENT_HEAD + bytes) throw new NetlinkFormatError(`proc_event ${what}: ${data.length} bytes, need ${PROC_EVENT_HEAD + bytes}`);
  };
  const i32 = (k: number): number => readI32(data, PROC_EVENT_HEAD + 4 * k);
  switch (what) {
    case PROC_EVENT_FORK: {
      // parent_pid, parent_tgid, child_pid, child_tgid: a new thread is no new process.
      need(16);
      return i32(2) === i32(3) ? { kind: 'fork', parent: i32(1), child: i32(3) } : undefined;
    }
    case PROC_EVENT_EXEC: case PROC_EVENT_COMM: case PROC_EVENT_EXIT: {
      // process_pid, process_tgid first in each.
      need(8);
      if (i32(0) !== i32(1)) return undefined;
      return { kind: what === PROC_EVENT_EXEC ? 'exec' : what === PROC_EVENT_COMM ? 'comm' : 'exit', pid: i32(0) };
    }
    default:
      return undefined;
  }
}

const RECEIVE_BYTES = 64 * 1024;

/**
 * A subscription to process events. The constructor throws where the connector does not serve
 * (ECONNREFUSED outside the initial network namespace; EPERM without CAP_NET_ADMIN). `onLost` is
 * told when events were dropped for want of buffer (ENOBUFS): whoever mirrors processes rescans.
 */
export class ProcessEvents {
  private readonly fd: number;
  private readonly poller: native.PollHandle;
  private closed = false;

  constructor(onEvent: (event: ProcessEvent) => void, onLost: () => void) {
    this.fd = native.socket(AF_NETLINK, SOCK_RAW, NETLINK_CONNECTOR);
    try {
      native.setsockoptInt(this.fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
      native.bind(this.fd, encodeSockaddrNl());
      native.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, CN_IDX_PROC);
      const self = decodeSockaddr(native.getsockname(this.fd));
      native.sendto(this.fd, subscriptionMessage(self.family === 'netlink' ? self.portId : 0, PROC_CN_MCAST_LISTEN), encodeSockaddrNl());
    } catch (error) {
      native.close(this.fd);
      throw error;
    }
    this.poller = native.poll(this.fd, (error) => {
      if (error) { onLost(); return; }
      for (let i = 0; i < 256 && !this.closed; i++) {
        let got: native.Received | null;
        try {
          got = native.recvmsg(this.fd, RECEIVE_BYTES);
        } catch {
          onLost(); // ENOBUFS: events were dropped
          continue;
        }
        if (!got) return;
        if (got.flags & MSG_TRUNC) { onLost(); continue; }
        try {
          for (const m of decodeMessages(got.data)) {
            const event = decodeProcessEvent(m.payload);
            if (event) onEvent(event);
          }
        } catch {
          onLost(); // a datagram that did not decode: what it held is unknown
        }
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native.unpoll(this.poller);
    native.close(this.fd);
  }
}

// A netlink socket on the socket addon: requests matched to their replies by sequence number, with a
// timeout, and unsolicited messages (multicast events) handed to a listener. Protocol-neutral: the
// rtnetlink adapter uses it, and a generic netlink one (IPVS) can.
import { AF_NETLINK, MSG_TRUNC, NETLINK_ADD_MEMBERSHIP, NETLINK_CAP_ACK, NETLINK_EXT_ACK, SOCK_RAW, SOL_NETLINK, SOL_SOCKET, SO_RCVBUF } from './linux.ts';
import * as native from './native.ts';
import { decodeSockaddr, encodeSockaddrNl } from './sockaddr.ts';
import {
  NetlinkError, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN,
  decodeDone, decodeError, decodeMessages, encodeMessage, type NetlinkMessage,
} from './netlink.ts';

/** Kernel netlink datagrams are at most 32 KiB (dumps); room to spare. */
const RECEIVE_BYTES = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 5_000;

export interface NetlinkRequest {
  type: number;
  /** NLM_F_* beyond REQUEST and ACK, which are always set (DUMP for dumps). */
  flags?: number;
  payload: Buffer;
}

export interface DumpResult { messages: NetlinkMessage[]; interrupted: boolean }

interface Pending {
  operation: string;
  dump: boolean;
  messages: NetlinkMessage[];
  interrupted: boolean;
  resolve(result: DumpResult): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface NetlinkSocketOptions {
  /** Multicast groups to join (NETLINK_ADD_MEMBERSHIP group numbers, e.g. RTNLGRP_LINK). */
  groups?: readonly number[];
  /** Unsolicited messages: events from joined groups. */
  onEvent?: (message: NetlinkMessage) => void;
  /**
   * Failures that end no request: ENOBUFS when events came faster than they were read (the listener
   * should then re-read the state it mirrors), or a datagram that did not decode.
   */
  onError?: (error: Error) => void;
  /** Receive buffer size to ask for (SO_RCVBUF); event sockets want more than the default. */
  receiveBuffer?: number;
  timeoutMs?: number;
}

export class NetlinkSocket {
  readonly fd: number;
  readonly portId: number;
  private readonly poller: native.PollHandle;
  private readonly pending = new Map<number, Pending>();
  private readonly options: NetlinkSocketOptions;
  private seq = Math.floor(Math.random() * 0x3fffffff) + 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Event sockets keep the process alive; request sockets only while a request is out. */
  private readonly holdsProcess: boolean;

  constructor(protocol: number, options: NetlinkSocketOptions = {}) {
    this.options = options;
    this.fd = native.socket(AF_NETLINK, SOCK_RAW, protocol);
    try {
      // Extended acks carry the kernel's reason text; capped acks do not echo the whole request back.
      native.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
      native.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
      if (options.receiveBuffer) native.setsockoptInt(this.fd, SOL_SOCKET, SO_RCVBUF, options.receiveBuffer);
      native.bind(this.fd, encodeSockaddrNl());
      for (const group of options.groups ?? []) native.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
      const self = decodeSockaddr(native.getsockname(this.fd));
      this.portId = self.family === 'netlink' ? self.portId : 0;
      this.poller = native.poll(this.fd, (error) => this.readable(error));
    } catch (error) {
      native.close(this.fd);
      throw error;
    }
    this.holdsProcess = (options.groups?.length ?? 0) > 0;
    native.pollRef(this.poller, this.holdsProcess);
  }

  /**
   * Sends one request and resolves with its replies once the kernel acks it (or, for a dump, sends
   * NLMSG_DONE). A kernel error rejects with a NetlinkError named after `operation`. Requests go out
   * one at a time: the kernel serves one dump per socket, and order is then what the caller wrote.
   */
  request(operation: string, req: NetlinkRequest, { dump = false, timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS } = {}): Promise<DumpResult> {
    const run = this.queue.then(() => this.send(operation, req, dump, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private send(operation: string, req: NetlinkRequest, dump: boolean, timeoutMs: number): Promise<DumpResult> {
    if (this.closed) return Promise.reject(new Error(`${operation}: the netlink socket is closed`));
    const seq = this.seq = (this.seq % 0x7fffffff) + 1;
    const flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0) | (req.flags ?? 0);
    return new Promise<DumpResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(seq);
        reject(Object.assign(new Error(`${operation}: no answer from the kernel within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      this.pending.set(seq, { operation, dump, messages: [], interrupted: false, resolve, reject, timer });
      native.pollRef(this.poller, true);
      try {
        native.sendto(this.fd, encodeMessage({ type: req.type, flags, seq, pid: this.portId, payload: req.payload }), encodeSockaddrNl());
      } catch (error) {
        this.settle(seq);
        const errno = (error as Partial<native.SystemError>).errno;
        reject(errno ? new NetlinkError(operation, errno, 'send') : error as Error);
      }
    });
  }

  private settle(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.holdsProcess && !this.closed) native.pollRef(this.poller, false);
    return p;
  }

  private readable(error: Error | null): void {
    if (error) { this.failAll(error); return; }
    for (let i = 0; i < 256 && !this.closed; i++) {
      let got: native.Received | null;
      try {
        got = native.recvmsg(this.fd, RECEIVE_BYTES);
      } catch (e) {
        // ENOBUFS: the kernel dropped messages for want of buffer. Replies may be among them.
        this.failAll(e as Error);
        this.options.onError?.(e as Error);
        continue;
      }
      if (!got) return;
      if (got.flags & MSG_TRUNC) {
        const e = new Error(`netlink datagram of more than ${RECEIVE_BYTES} bytes was truncated`);
        this.failAll(e);
        this.options.onError?.(e);
        continue;
      }
      let messages: NetlinkMessage[];
      try {
        messages = decodeMessages(got.data);
      } catch (e) {
        this.options.onError?.(e as Error);
        continue;
      }
      for (const m of messages) this.dispatch(m);
    }
  }

  private dispatch(m: NetlinkMessage): void {
    const p = m.seq !== 0 ? this.pending.get(m.seq) : undefined;
    if (!p) {
      if (m.type !== NLMSG_NOOP && m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE) this.options.onEvent?.(m);
      return;
    }
    if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
    if (m.type === NLMSG_ERROR) {
      // For a dump, an ack (error 0) may precede NLMSG_DONE only if the kernel was asked to; wait for DONE.
      let ack;
      try { ack = decodeError(m); } catch (e) { this.settle(m.seq); p.reject(e as Error); return; }
      if (ack.errno !== 0) { this.settle(m.seq); p.reject(new NetlinkError(p.operation, ack.errno, ack.message)); return; }
      if (!p.dump) { this.settle(m.seq); p.resolve({ messages: p.messages, interrupted: p.interrupted }); }
      return;
    }
    if (m.type === NLMSG_DONE) {
      const errno = decodeDone(m);
      this.settle(m.seq);
      if (errno !== 0) p.reject(new NetlinkError(p.operation, errno));
      else p.resolve({ messages: p.messages, interrupted: p.interrupted });
      return;
    }
    if (m.type === NLMSG_OVERRUN || m.type === NLMSG_NOOP) return;
    p.messages.push(m);
  }

  private failAll(error: Error): void {
    for (const seq of [...this.pending.keys()]) {
      const p = this.settle(seq);
      if (!p) continue;
      const errno = (error as Partial<native.SystemError>).errno;
      p.reject(errno ? new NetlinkError(p.operation, errno) : new Error(`${p.operation}: ${error.message}`));
    }
  }

  /** Whether an idle event socket keeps the process alive (default yes). */
  ref(keep: boolean): void {
    if (!this.closed && this.holdsProcess) native.pollRef(this.poller, keep);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native.unpoll(this.poller);
    native.close(this.fd);
    for (const seq of [...this.pending.keys()]) {
      const p = this.settle(seq);
      p?.reject(new Error(`${p.operation}: the netlink socket was closed`));
    }
  }
}

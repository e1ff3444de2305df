// What the watchdog and its children say to each other over their IPC channel (a unix domain socket
// pair that Node sets up for fork()). Structured clones, so Buffers and nested objects pass as they are.

export type ChildRoleName = 'vrrp' | 'checker';

export type ToChild =
  | { type: 'config'; generation: number; config: unknown }
  /** `traffic`: with the dataplane's traffic counters (the metrics endpoint asks; `keepalive status` does not). */
  | { type: 'status'; id: number; traffic?: boolean }
  | { type: 'stop' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'applied'; generation: number; error?: string }
  | { type: 'status'; id: number; status: unknown }
  | { type: 'stopped' };

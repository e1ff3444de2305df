// What the watchdog and its children say to each other over their IPC channel (a unix domain socket
// pair that Node sets up for fork()). Structured clones, so Buffers and nested objects pass as they are.

export type ChildRoleName = 'vrrp' | 'checker';

/** What a status request asks for beyond the status. */
export interface StatusOptions {
  /** The dataplane's traffic counters (the metrics endpoint asks; `keepalive status` does not). */
  traffic?: boolean;
  /** The facts keepalived's dumps show (the VRRP child's). */
  dump?: boolean;
  /** keepalived's STATS_CLEAR: the counters cleared as they are read. */
  clearStats?: boolean;
}

export type ToChild =
  | { type: 'config'; generation: number; config: unknown }
  | ({ type: 'status'; id: number } & StatusOptions)
  | { type: 'stop' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'applied'; generation: number; error?: string }
  | { type: 'status'; id: number; status: unknown }
  | { type: 'stopped' };

// Respawn backoff for the watchdog's children. Pure: given how long the child lived and the previous
// delay, the delay before the next start.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A child that ran at least this long is considered healthy again: the delay starts over. */
  healthyAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 30_000, healthyAfterMs: 60_000 };

export function nextRespawnDelay(previousMs: number | undefined, livedMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (previousMs === undefined || livedMs >= policy.healthyAfterMs) return policy.initialMs;
  return Math.min(policy.maxMs, previousMs * 2);
}

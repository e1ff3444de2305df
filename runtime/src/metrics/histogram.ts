// A histogram counted where its observations happen (the checker child, for check durations) and
// passed as plain numbers in that child's status; the endpoint renders it (metrics.ts). Pure.

/**
 * Upper bounds, in seconds, of the check duration buckets: from a TCP connect on a LAN (under a
 * millisecond) to a connect_timeout of several seconds.
 */
export const CHECK_DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface HistogramCounts {
  /** Observations per bucket, not cumulative: one count per bound, then one for above the last bound. */
  counts: number[];
  /** The sum of the observations. */
  sum: number;
}

export function emptyHistogram(bounds: readonly number[]): HistogramCounts {
  return { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0 };
}

/** Counts `value` in the first bucket whose bound it does not exceed (Prometheus's `le`). */
export function observe(histogram: HistogramCounts, bounds: readonly number[], value: number): void {
  const at = bounds.findIndex((bound) => value <= bound);
  histogram.counts[at < 0 ? bounds.length : at]!++;
  histogram.sum += value;
}

/** The cumulative counts Prometheus exposes, by bound ("+Inf" last), and the total. */
export function cumulative(histogram: HistogramCounts, bounds: readonly number[]): { buckets: [le: string, count: number][]; count: number } {
  let running = 0;
  const buckets = histogram.counts.map((n, i): [string, number] => {
    running += n;
    return [i < bounds.length ? String(bounds[i]) : '+Inf', running];
  });
  return { buckets, count: running };
}

// A Prometheus-like scraper for benchmarks: a process in a lab host that GETs each target once a
// second for a bounded number of seconds, then reports how many scrapes were answered.
import type { Host } from './host.ts';
import { waitFor } from './exec.ts';

/** Where keepalive serves metrics in the benchmarks (metrics_listen HOST:METRICS_PORT). */
export const METRICS_PORT = 9650;

/** keepalived.conf text with metrics_listen on `address` added to its global_defs. */
export function withMetrics(conf: string, address: string): string {
  return conf.replace('global_defs {\n', `global_defs {\n  metrics_listen ${address}:${METRICS_PORT}\n`);
}

export interface ScrapeReport { ok: number; failed: number; bytes: number }

/** Starts scraping `targets` (URLs) from `host` every second for `seconds`; finish() waits for the report. */
export async function startScraper(host: Host, targets: readonly string[], seconds: number): Promise<{ finish(): Promise<ScrapeReport> }> {
  const daemon = await host.startDaemon('scraper', [process.execPath, '-e', `
    const targets = ${JSON.stringify(targets)};
    let ok = 0, failed = 0, bytes = 0;
    for (let i = 0; i < ${Math.ceil(seconds)}; i++) {
      const next = Date.now() + 1000;
      for (const t of targets) {
        try { const r = await fetch(t, { signal: AbortSignal.timeout(900) }); bytes += (await r.text()).length; ok += r.ok ? 1 : 0; failed += r.ok ? 0 : 1; } catch { failed++; }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    console.log(JSON.stringify({ ok, failed, bytes }));
  `]);
  return {
    async finish() {
      await waitFor('the scraper to finish', () => (/"ok"/.test(daemon.log()) ? true : undefined), { timeoutMs: (seconds + 10) * 1000 });
      const report = JSON.parse(daemon.log().trim().split('\n').at(-1)!) as ScrapeReport;
      await daemon.stop();
      return report;
    },
  };
}

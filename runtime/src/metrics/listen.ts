// metrics_listen's value, checked by the configuration's validation and by `run --metrics-listen`.
import { isIP } from 'node:net';

/** ADDR:PORT or [ADDR6]:PORT; the address must be given (the endpoint binds only where told). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:\[\]]+):(\d+)$/.exec(text);
  const host = m?.[1] ?? '';
  const port = m ? Number(m[2]) : NaN;
  if (!m || isIP(host) !== (text.startsWith('[') ? 6 : 4) || !(port >= 1 && port <= 65535)) {
    throw new Error(`${JSON.stringify(text)}: expected ADDR:PORT or [ADDR6]:PORT, an IP address and a port in 1..65535`);
  }
  return { host, port };
}

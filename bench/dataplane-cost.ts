#!/usr/bin/env node
// Dataplane cost: HTTP requests through the nftables dataplane's DNAT on the NAT director, against the
// same client reaching the same backend by plain routing through the same director. Goal: at least
// 95% of the routed rate. Alternating rounds, best of each, so that the figure is the dataplane's
// cost more than the machine's noise; new connections (DNAT on every one) and keep-alive connections.
//   npm run bench:dataplane -- [--requests 2000] [--rounds 3]
import { parseArgs } from 'node:util';
import { createNatDirectorLab } from '../test/lab/nat-director.ts';
import { waitFor } from '../test/lab/exec.ts';
import type { VirtualService } from '../runtime/src/lb/model.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } } });
const requests = Number(values.requests);
const rounds = Number(values.rounds);
if (!(requests >= 100 && requests <= 100_000 && rounds >= 1 && rounds <= 20)) throw new Error('--requests 100..100000, --rounds 1..20');
const FIXTURES = new URL('../test/fixtures/lb/', import.meta.url).pathname;

const { lab, client, lb, vip } = await createNatDirectorLab();
try {
  const rs1 = lab.host('rs1');
  const backend = await rs1.startDaemon('backend', [process.execPath, `${FIXTURES}backend.ts`, 'rs1', rs1.ipv4(), '80']);
  await waitFor('the backend', () => (backend.log().includes('listening') ? true : undefined));
  const service: VirtualService = { key: 'web', protocol: 'tcp', address: vip, port: 80, scheduler: 'rr', destinations: [{ address: rs1.ipv4(), port: 80, weight: 1 }] };
  await lb.exec([process.execPath, `${FIXTURES}dataplane.ts`, 'apply', JSON.stringify([service])]);
  const rate = async (to: string, reuse: boolean): Promise<number> => {
    const { stdout } = await client.exec([process.execPath, `${FIXTURES}client.ts`, reuse ? 'count-reusing' : 'count', `http://${to}/`, String(requests), '20'], { timeoutMs: 120_000 });
    const r = JSON.parse(stdout) as { counts: Record<string, number>; errors: Record<string, number>; ms: number };
    if (Object.keys(r.errors).length > 0 || r.counts['rs1'] !== requests) throw new Error(`failed requests: ${stdout}`);
    return requests / (r.ms / 1000);
  };
  console.log(`dataplane cost: ${requests} HTTP requests per round, 20 at a time, ${rounds} alternating rounds, best of each`);
  for (const reuse of [false, true]) {
    const viaVip: number[] = [];
    const routed: number[] = [];
    for (let round = 0; round < rounds; round++) {
      viaVip.push(await rate(vip, reuse));
      routed.push(await rate(rs1.ipv4(), reuse));
    }
    const [best, bestRouted] = [Math.max(...viaVip), Math.max(...routed)];
    console.log(`${reuse ? '20 keep-alive connections' : 'a new connection per request'}: nftables DNAT ${best.toFixed(0)}/s, routed ${bestRouted.toFixed(0)}/s, `
      + `ratio ${(best / bestRouted * 100).toFixed(1)}% (goal 95%); rounds DNAT ${viaVip.map((v) => v.toFixed(0)).join(', ')}, routed ${routed.map((v) => v.toFixed(0)).join(', ')}`);
  }
} finally {
  lab.destroy();
}

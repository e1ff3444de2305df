#!/usr/bin/env node
// Failover benchmark: how close an implementation's takeover comes to RFC 5798's formula.
//
//   npm run bench:failover -- [--impl keepalived,keepalive] [--runs N] [--config v2,v3] [--json FILE]
//
// For VRRPv2 at advert_int 1 and VRRPv3 at advert_int 0.1, and for each fault (KILL of the master's
// process tree, TERM, partition of the master), it prints the measured takeover minus the formula
// (Master_Down_Interval after a silent master, Skew_Time after a priority-0 advert) and the time until
// a client in another host gets an answer from the new master. Several implementations named in one
// run are measured in that same run, so their figures compare.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { implementation } from '../test/lab/implementations.ts';
import { FailoverRig, type Fault, type FailoverMeasurement } from '../test/lab/failover.ts';

const { values } = parseArgs({
  options: {
    impl: { type: 'string', default: 'keepalived' },
    runs: { type: 'string', default: '3' },
    config: { type: 'string', default: 'v2,v3' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs takes a whole number from 1 to 50');
const impls = values.impl.split(',').map(implementation);

const ALL_CONFIGS = {
  v2: { label: 'v2 advert_int 1', version: 2, advertInt: 1 },
  v3: { label: 'v3 advert_int 0.1', version: 3, advertInt: 0.1 },
} as const;
const CONFIGS = values.config.split(',').map((name) => {
  const config = ALL_CONFIGS[name as keyof typeof ALL_CONFIGS];
  if (!config) throw new Error(`--config takes v2, v3 or both, not ${JSON.stringify(name)}`);
  return config;
});
const FAULTS: Fault[] = ['kill', 'term', 'partition'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const ms = (x: number | undefined, sign = false): string =>
  x === undefined ? '—' : `${sign && x >= 0 ? '+' : ''}${x.toFixed(1)}`;

interface Row { impl: string; config: string; fault: Fault; samples: FailoverMeasurement[] }
const rows: Row[] = [];

for (const config of CONFIGS) {
  for (const impl of impls) {
    await using rig = await FailoverRig.create(impl, config.version, config.advertInt);
    for (const fault of FAULTS) {
      const row: Row = { impl: impl.name, config: config.label, fault, samples: [] };
      for (let i = 0; i < runs; i++) row.samples.push(await rig.measure(fault));
      rows.push(row);
      const over = row.samples.map((s) => s.takeoverMs - s.formulaMs);
      process.stderr.write(`${impl.name} ${config.label} ${fault}: ${over.map((o) => ms(o, true)).join(' ')} ms over the formula\n`);
    }
  }
}

const header = ['implementation', 'config', 'fault', 'formula ms', 'takeover median', 'over formula: median', 'worst', 'client reach median ms', 'worst'];
const table = rows.map((r) => {
  const over = r.samples.map((s) => s.takeoverMs - s.formulaMs);
  const reach = r.samples.map((s) => s.clientReachMs).filter((x): x is number => x !== undefined);
  return [
    r.impl, r.config, r.fault === 'term' ? 'term (skew)' : `${r.fault} (MDI)`,
    ms(r.samples[0]?.formulaMs), ms(median(r.samples.map((s) => s.takeoverMs))),
    ms(median(over), true), ms(Math.max(...over), true),
    reach.length ? ms(median(reach)) : '—', reach.length === r.samples.length ? ms(Math.max(...reach)) : 'no answer',
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
console.log(`failover benchmark, ${runs} run(s) per cell; takeover measured on the wire (kernel capture timestamps)`);
console.log(line(header));
for (const row of table) console.log(line(row));

// Ratios against keepalived when it was measured in this run.
const reference = rows.filter((r) => r.impl === 'keepalived');
for (const r of rows.filter((x) => x.impl !== 'keepalived')) {
  const ref = reference.find((x) => x.config === r.config && x.fault === r.fault);
  if (!ref) continue;
  const ratio = median(r.samples.map((s) => s.takeoverMs)) / median(ref.samples.map((s) => s.takeoverMs));
  console.log(`${r.impl} / keepalived takeover, ${r.config} ${r.fault}: ${ratio.toFixed(4)}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));

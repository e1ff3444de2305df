#!/usr/bin/env node
// IPVS programming: N services x M destinations applied by the runtime's own generic netlink code,
// against `ipvsadm --restore` of the same table, in the same user-mode-linux kernel, as a ratio. Also
// the cost of a reconcile that finds nothing to change (the drift check a reload does).
//   npm run bench:ipvs -- [--services 1000] [--destinations 10]
// Both run inside the UML guest, where everything is several times slower than on the host (node
// especially): the ratio is the figure to read.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Lab } from '../test/lab/lab.ts';
import { runInUml } from '../test/lab/uml.ts';

const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, destinations: { type: 'string', default: '10' } } });
const services = Number(values.services);
const destinations = Number(values.destinations);
if (!(services >= 1 && services <= 5000 && destinations >= 1 && destinations <= 100)) throw new Error('--services 1..5000, --destinations 1..100');
const fixture = fileURLToPath(new URL('../test/fixtures/ipvs/program-bench.ts', import.meta.url));

await using lab = await Lab.create({ hosts: ['client'], ssh: false, management: false });
const result = await runInUml(lab, [
  'set -e',
  `${process.execPath} ${fixture} ${services} ${destinations} /tmp/ipvs.restore`,
  'test "$(ipvsadm -Sn | wc -l)" -eq $(( ' + `${services} * (${destinations} + 1)` + ' ))',
  'ipvsadm -C',
  'start=$(date +%s%N)',
  'ipvsadm -R < /tmp/ipvs.restore',
  'end=$(date +%s%N)',
  'echo "{\\"ipvsadmMs\\": $(( (end - start) / 1000000 ))}"',
].join('\n'), { timeoutMs: 600_000, memoryMb: 512 });
if (result.code !== 0) throw new Error(`the guest run failed (${result.code}): ${result.stderr}`);
const [ours, theirs] = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
console.log(`IPVS programming, ${services} services x ${destinations} destinations, in the UML kernel:`);
console.log(`  keepalive (generic netlink, ${ours!.operations} operations): ${ours!.programMs.toFixed(0)} ms`);
console.log(`  ipvsadm --restore: ${theirs!.ipvsadmMs} ms`);
console.log(`  ratio keepalive / ipvsadm: ${(ours!.programMs / theirs!.ipvsadmMs).toFixed(2)}`);
console.log(`  a reconcile with nothing to change: ${ours!.noopOperations} operations, ${ours!.noopMs.toFixed(0)} ms`);

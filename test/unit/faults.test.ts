import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../lab/exec.ts';
import { renderFaultTable, type PortFault } from '../lab/faults.ts';

test('faults render as drops in both directions, sorted by port', () => {
  const table = renderFaultTable(new Map<string, PortFault>([['h2', { kind: 'loss', percent: 30 }], ['h1', { kind: 'partition' }]]));
  const rules = table.split('\n').filter((l) => l.includes('ifname'));
  assert.deepEqual(rules.map((l) => l.trim()), [
    'iifname "h1" drop',
    'iifname "h2" numgen random mod 100 < 30 drop',
    'oifname "h1" drop',
    'oifname "h2" numgen random mod 100 < 30 drop',
  ]);
});

test('lost FINs drop only what the host sends, and only its TCP FIN segments', () => {
  const table = renderFaultTable(new Map<string, PortFault>([['h1', { kind: 'lose-fin' }], ['h2', { kind: 'partition' }]]));
  const rules = table.split('\n').filter((l) => l.includes('ifname'));
  assert.deepEqual(rules.map((l) => l.trim()), [
    'iifname "h1" tcp flags & fin == fin drop',
    'iifname "h2" drop',
    'oifname "h2" drop',
  ]);
});

test('no faults render an empty table that still replaces the old one', () => {
  const table = renderFaultTable(new Map());
  assert.match(table, /^table bridge lab_faults\ndelete table bridge lab_faults\n/);
  assert.ok(!table.includes('ifname'));
});

test('bad fault input is refused', () => {
  assert.throws(() => renderFaultTable(new Map([['h1', { kind: 'loss', percent: 101 }]])), /0 to 100/);
  assert.throws(() => renderFaultTable(new Map([['h1', { kind: 'loss', percent: 2.5 }]])), /integer/);
  assert.throws(() => renderFaultTable(new Map([['h1"; flush ruleset; "', { kind: 'partition' }]])), /bad bridge port name/);
});

test('nft accepts the rendered table (checked with nft -c, which changes nothing)', async () => {
  const table = renderFaultTable(new Map<string, PortFault>([['h1', { kind: 'partition' }], ['h2', { kind: 'loss', percent: 5 }], ['h3', { kind: 'lose-fin' }]]));
  await run(['nft', '-c', '-f', '-'], { input: table });
});

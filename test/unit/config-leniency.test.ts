// keepalived's leniency where it is safe: keywords that only tune keepalived's C implementation are
// accepted with a warning at file:line:col; keepalived 2.2.7 accepts the same file; the same keywords
// elsewhere, and keywords whose meaning keepalive does not carry out, stay refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { errorsOf, instance, lines } from '../fixtures/config/support.ts';

const file = fileURLToPath(new URL('../fixtures/config/c-tuning.conf', import.meta.url));
const text = readFileSync(file, 'utf8');
/** The fixture's tuning keywords with their positions: every indented line but the ones that configure. */
const tuned = text.split('\n').flatMap((line, i) => {
  const m = /^(\s+)(\S+)/.exec(line);
  return m && !['router_id', 'interface', 'virtual_router_id', 'priority', 'virtual_ipaddress', '198.18.0.100', '}'].includes(m[2]!) ? [{ keyword: m[2]!, at: `${file}:${i + 1}:${m[1]!.length + 1}` }] : [];
});

test('keywords that only tune keepalived\'s C implementation: accepted, one warning each at file:line:col', () => {
  assert.equal(tuned.length, 29);
  const { config, warnings } = parseConfigText(text, file);
  assert.equal(config.globalDefs.routerId, 'tuned');
  assert.deepEqual(warnings.map((w) => w.replace(/: ".*$/, '')), tuned.map((t) => t.at));
  for (const [i, t] of tuned.entries()) assert.match(warnings[i]!, new RegExp(`"${t.keyword}" is ignored: it only tunes keepalived's C implementation \\(.+\\)$`));
});

test('keepalived 2.2.7 accepts the same file without an unknown keyword', { skip: spawnSync('keepalived', ['-v']).error && 'keepalived is not installed' }, () => {
  const run = spawnSync('keepalived', ['-t', '-l', '-D', '-n', '-f', file], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /[Uu]nknown keyword/);
});

test('outside their block, and for keywords whose meaning keepalive does not carry out, still refused', () => {
  assert.deepEqual(errorsOf(lines(...instance('VI', 1, '  vrrp_no_swap', '  lvs_flush'), 'global_defs {', '  kernel_rx_buf_size 4096', '  vrrp_iptables', '}')), [
    'test.conf:4:3: unknown keyword "vrrp_no_swap" in vrrp_instance VI',
    'test.conf:5:3: "lvs_flush" is not supported yet: keepalive changes the IPVS table by differences and never flushes it',
    'test.conf:8:3: unknown keyword "kernel_rx_buf_size" in global_defs',
    'test.conf:9:3: "vrrp_iptables" is a keepalived keyword that keepalive does not support',
  ]);
});

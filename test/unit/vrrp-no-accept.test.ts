// The accept-mode-off table's nft script (no-accept.ts), checked by nft itself in a throwaway network
// namespace of its own (nft --check parses and validates without touching any table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renderNoAccept } from '../../runtime/src/vrrp/no-accept.ts';

test('the table drops exactly the given addresses, lets neighbour discovery through, and goes when empty', () => {
  const script = renderNoAccept(['198.18.0.101', '2001:db8:0::100', '198.18.0.100', '198.18.0.101']);
  assert.equal(script, [
    'table inet keepalive_vrrp',
    'delete table inet keepalive_vrrp',
    'table inet keepalive_vrrp {',
    '  set v4 { type ipv4_addr; elements = { 198.18.0.100, 198.18.0.101 } }',
    '  set v6 { type ipv6_addr; elements = { 2001:db8::100 } }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    ip6 daddr @v6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept',
    '    ip daddr @v4 drop',
    '    ip6 daddr @v6 drop',
    '  }',
    '}',
    '',
  ].join('\n'));
  assert.equal(renderNoAccept([]), 'table inet keepalive_vrrp\ndelete table inet keepalive_vrrp\n');
  assert.doesNotMatch(renderNoAccept(['198.18.0.100']), /ip6|v6/, 'no empty IPv6 set');
  for (const s of [script, renderNoAccept([]), renderNoAccept(['2001:db8::1'])]) {
    execFileSync('unshare', ['--net', 'nft', '--check', '-f', '-'], { input: s });
  }
});

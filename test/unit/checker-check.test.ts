// The pure parts of the checkers: status_code ranges, misc_dynamic exit codes, SMTP replies, Host headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { miscVerdict, parseStatusRanges, statusAccepted } from '../../runtime/src/checker/check.ts';
import { takeSmtpReplies } from '../../runtime/src/checker/smtp.ts';
import { hostHeader } from '../../runtime/src/checker/http.ts';

test('status codes: 2xx by default, else exactly the configured ranges', () => {
  for (const code of [200, 204, 299]) assert.equal(statusAccepted(code, []), true, String(code));
  for (const code of [199, 300, 301, 404, 500]) assert.equal(statusAccepted(code, []), false, String(code));
  const ranges = parseStatusRanges('200-204, 301 404');
  assert.deepEqual(ranges, [{ from: 200, to: 204 }, { from: 301, to: 301 }, { from: 404, to: 404 }]);
  for (const code of [200, 204, 301, 404]) assert.equal(statusAccepted(code, ranges), true, String(code));
  for (const code of [205, 299, 302, 403, 405]) assert.equal(statusAccepted(code, ranges), false, String(code));
});

test('status code lists that make no sense are refused', () => {
  for (const bad of ['20', '2000', '299-200', '600', '099', 'abc', '200-']) assert.throws(() => parseStatusRanges(bad), /bad status code/, bad);
});

test('misc_dynamic: 0 up with the configured weight, 1 down, 2..255 up with weight code - 2', () => {
  assert.deepEqual(miscVerdict(0, true), { ok: true });
  assert.deepEqual(miscVerdict(1, true), { ok: false });
  assert.deepEqual(miscVerdict(2, true), { ok: true, weight: 0 });
  assert.deepEqual(miscVerdict(12, true), { ok: true, weight: 10 });
  assert.deepEqual(miscVerdict(255, true), { ok: true, weight: 253 });
  assert.deepEqual(miscVerdict(0, false), { ok: true });
  for (const code of [1, 2, 12, 255]) assert.deepEqual(miscVerdict(code, false), { ok: false }, `plain MISC_CHECK exit ${code}`);
});

test('SMTP replies: continuation lines join one reply, partial lines wait', () => {
  assert.deepEqual(takeSmtpReplies('220-hello\r\n220-more\r\n220 ready\r\n250 ok\r\n25'), { codes: [220, 250], rest: '25' });
  assert.deepEqual(takeSmtpReplies('220-hello\r\n'), { codes: [], rest: '' });
  assert.deepEqual(takeSmtpReplies('250\r\n'), { codes: [250], rest: '' });
  assert.deepEqual(takeSmtpReplies('HTTP/1.1 400 Bad\r\n'), { codes: [0], rest: '' }, 'not SMTP');
});

test('the Host header: virtualhost, else the address with a non-default port', () => {
  const base = { kind: 'HTTP_GET' as const, host: '198.18.0.2', port: 80, timeoutMs: 1000, path: '/', statusCodes: [], verifyTls: false };
  assert.equal(hostHeader(base), '198.18.0.2');
  assert.equal(hostHeader({ ...base, port: 8080 }), '198.18.0.2:8080');
  assert.equal(hostHeader({ ...base, host: 'fd00::2' }), '[fd00::2]');
  assert.equal(hostHeader({ ...base, kind: 'SSL_GET', port: 443 }), '198.18.0.2');
  assert.equal(hostHeader({ ...base, virtualhost: 'www.example.test' }), 'www.example.test');
});

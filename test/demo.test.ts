// `npm run demo`, the README's main job, run as a user runs it: each of its three parts must say what
// the README promises, and it must end with nothing left behind on the machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

test('npm run demo: the HA pair through the real engine, a measured takeover, a killed backend, and nothing left behind', { timeout: 600_000 }, (t) => {
  const started = performance.now();
  const demo = spawnSync('npm', ['run', '--silent', 'demo'], { cwd: root, encoding: 'utf8', timeout: 540_000 });
  const out = demo.stdout;
  assert.equal(demo.status, 0, `${out}\n${demo.stderr}`);

  // Part 1: the preview speaks of the master, up puts the VIP on it, a priority change moves it.
  assert.match(out, /pulumi preview .*in the provider's words:\n(?: {2}.*\n)*? {2}keepalive:index:VrrpGroup \S+ {2}vrid 51: master lb1/);
  assert.match(out, /up: succeeded in [\d.]+ s; expected master lb1/);
  assert.match(out, /the client pings \S+: answered by lb1\n/);
  assert.match(out, /lb2's priority raised to 250; pulumi preview says:\n(?: {2}.*\n)*? {2}.*master lb1 -> lb2/);
  assert.match(out, /pulumi up: the client's ping is now answered by lb2\n/);
  assert.match(out, /destroy: succeeded; nobody answers for \S+ any more: true/);

  // Part 2: the takeover is measured on the wire against RFC 5798's formula, and the client reaches h2.
  const takeover = /takeover: h2 sent its first advert ([\d.]+) ms after h1's last one\n\s+RFC 5798 Master_Down_Interval for priority 100: ([\d.]+) ms/.exec(out);
  assert.ok(takeover, out);
  assert.match(out, /client: first answer from h2 [\d.]+ ms after the kill/);

  // Part 3: round robin over three, rs2 killed and out of the pool, the rest served by rs1 and rs3 only.
  assert.match(out, /the client sends 300 requests to \S+, each on a new connection: rs1 100, rs2 100, rs3 100\n/);
  assert.match(out, /rs2 failed its TCP check and left the pool \d+ ms later/);
  assert.match(out, /the client sends 300 more requests: rs1 150, rs3 150\n/);

  assert.match(out, /done: nothing left behind\n$/);
  t.diagnostic(`demo ${((performance.now() - started) / 1000).toFixed(0)} s; takeover ${takeover[1]} ms against the formula's ${takeover[2]} ms`);
});

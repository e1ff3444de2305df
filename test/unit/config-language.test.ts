// keepalived.conf's config language: @ID / @^ID conditional lines, $NAME definitions (one line and
// multi-line) with $NAME and ${NAME} substitution, and ~SEQ / ~SEQx lines; checked against our model
// and, for conditional lines, against Debian's keepalived 2.2.7 (keepalived -t) on the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseConfigText } from '../../runtime/src/config/load.ts';
import { errorsOf, lines } from '../fixtures/config/support.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/config/language/${name}`, import.meta.url), 'utf8');

const vi = (id: string) => parseConfigText(fixture('conditional.conf'), 'c.conf', id).config;

test('@ID lines are read only under that config id, @^ID lines under any other', () => {
  const main = vi('main');
  assert.equal(main.globalDefs.routerId, 'main_router');
  assert.equal(main.vrrpInstances[0]!.priority, 200);
  assert.deepEqual(main.vrrpInstances[0]!.unicastPeer.map((p) => p.address), ['198.18.0.3']);
  const backup = vi('backup');
  assert.equal(backup.globalDefs.routerId, 'backup_router');
  assert.equal(backup.vrrpInstances[0]!.priority, 100);
  assert.deepEqual(backup.vrrpInstances[0]!.unicastPeer.map((p) => p.address), ['198.18.0.2']);
  const other = vi('other');
  assert.equal(other.globalDefs.routerId, undefined);
  assert.deepEqual(other.vrrpInstances[0]!.unicastPeer.map((p) => p.address), ['198.18.0.2', '198.18.0.3']);
});

test('$NAME definitions: $NAME before whitespace, ${NAME} anywhere, resolved when used, undefined names left alone', () => {
  const { config } = parseConfigText(fixture('parameters.conf'), '/etc/keepalived/d.conf', 'main');
  const [a, b] = config.vrrpInstances;
  assert.equal(a!.priority, 240);
  assert.equal(a!.virtualIpaddress[0]!.address, '198.18.0.100');
  assert.equal(b!.virtualIpaddress[0]!.address, '198.18.10.100');
  assert.equal(a!.notify, '/bin/echo $UNDEFINED');
  assert.equal(b!.notify, '/etc/keepalived/notify.sh main');
});

test('multi-line definitions, nested, expand to whole blocks; ~SEQ and ~SEQx repeat a line', () => {
  const { config } = parseConfigText(fixture('sequences.conf'), 's.conf');
  assert.deepEqual(config.vrrpInstances.map((i) => [i.name, i.virtualRouterId, i.virtualIpaddress.map((v) => v.address)]), [
    ['VI_1', 1, ['198.18.1.1', '198.19.1.1', '198.20.1.5', '198.20.1.7', '198.20.1.9']],
    ['VI_2', 2, ['198.18.2.1', '198.19.2.1', '198.20.2.5', '198.20.2.7', '198.20.2.9']],
    ['V6', 9, ['fe80::20:90:1', 'fe80::20:a0:1', 'fe80::20:b0:1', 'fe80::20:c0:1', 'fe80::21:3', 'fe80::21:2', 'fe80::21:1']],
  ]);
  // Positions stay those of the line written: the repeated addresses point at the ~SEQ line.
  assert.deepEqual(config.vrrpInstances[2]!.virtualIpaddress[0]!.at.line, 19);
});

test('a malformed ~SEQ and a self-referring definition are errors with file:line:col', () => {
  assert.deepEqual(errorsOf(lines('  ~SEQ(N, 1, x) foo', '~SEQ(N, 1, 2 foo', '~SEQ(N, 1, 0, 3) foo', '~SEQ(1N, 3) foo'), 'q.conf'), [
    'q.conf:1:3: malformed ~SEQ(N, 1, x): expected ~SEQ(VAR, [[START,] [STEP,]] END) with integers',
    'q.conf:2:1: ~SEQ( is not closed with ")"',
    'q.conf:3:1: malformed ~SEQ(N, 1, 0, 3): the step is 0',
    'q.conf:4:1: malformed ~SEQ(1N, 3): expected ~SEQ(VAR, [[START,] [STEP,]] END) with integers',
  ]);
  assert.match(errorsOf(lines('$LOOP=a $LOOP', '$LOOP'), 'r.conf')[0]!, /^r\.conf:2:1: parameter substitution nested deeper than/);
});

test('keepalived 2.2.7 skips and reads the same @ID lines (keepalived -t --config-id)', { skip: spawnSync('keepalived', ['-v']).error && 'keepalived is not installed' }, () => {
  const dir = mkdtempSync(`${tmpdir()}/keepalive-lang-`);
  try {
    const file = `${dir}/k.conf`;
    // An unknown keyword behind a condition: refused by both only where the condition lets it in.
    writeFileSync(file, lines('global_defs {', '  @main router_id r1', '  @backup no_such_keyword_here', '  @^main also_not_a_keyword', '}', ''));
    for (const id of ['main', 'backup', 'other']) {
      const run = spawnSync('keepalived', ['-t', '-l', '-D', '-n', '-f', file, '-i', id], { encoding: 'utf8', timeout: 20_000 });
      const theirs = ['no_such_keyword_here', 'also_not_a_keyword'].filter((k) => `${run.stdout}${run.stderr}`.includes(k));
      let ours: string[] = [];
      try { parseConfigText(readFileSync(file, 'utf8'), file, id); } catch (error) { ours = ['no_such_keyword_here', 'also_not_a_keyword'].filter((k) => (error as Error).message.includes(k)); }
      assert.deepEqual(ours, theirs, `config id ${id}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keepalived 2.4\'s ${_ENV NAME} and ${_RANDOM MIN MAX}; wrong parameters stay as written', () => {
  process.env['KEEPALIVE_TEST_PEER'] = '198.18.0.7';
  delete process.env['KEEPALIVE_TEST_UNSET'];
  try {
    const { config } = parseConfigText(lines(
      'vrrp_instance VI_1 {',
      '  interface eth0',
      '  virtual_router_id 51',
      '  priority ${_RANDOM 10 12}',
      '  unicast_peer {',
      '    ${_ENV KEEPALIVE_TEST_PEER}',
      '  }',
      '  notify "/bin/echo [${_ENV KEEPALIVE_TEST_UNSET}] ${_ENV} ${_RANDOM x}"',
      '}',
    ), 'env.conf');
    const vi1 = config.vrrpInstances[0]!;
    assert.ok([10, 11, 12].includes(vi1.priority), String(vi1.priority));
    assert.deepEqual(vi1.unicastPeer.map((p) => p.address), ['198.18.0.7']);
    assert.equal(vi1.notify, '/bin/echo [] ${_ENV} ${_RANDOM x}');
  } finally {
    delete process.env['KEEPALIVE_TEST_PEER'];
  }
});

// The sync daemon's pure core: from the roles the kernel reports to the one the VRRP instance's state
// wants, and the settings lvs_sync_daemon gives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syncDaemonSettings, syncDaemonSteps } from '../../runtime/src/lb/ipvs/sync-daemon.ts';
import type { IpvsSyncDaemon } from '../../runtime/src/lb/ipvs/codec.ts';

const settings = { interface: 'eth1', syncId: 51 };
/** As the kernel reports a role started with only the required settings: its defaults filled in. */
const running = (state: 'master' | 'backup', more: Partial<IpvsSyncDaemon> = {}): IpvsSyncDaemon => ({ state, interface: 'eth1', syncId: 51, maxLen: 1472, port: 8848, ttl: 1, group: '224.0.0.81', ...more });

test('nothing running: start the wanted role', () => {
  assert.deepEqual(syncDaemonSteps([], 'backup', settings), [{ kind: 'start', daemon: { state: 'backup', interface: 'eth1', syncId: 51 } }]);
});

test('becoming master: the backup stops first, then the master starts (as keepalived\'s ipvs_syncd_master)', () => {
  assert.deepEqual(syncDaemonSteps([running('backup')], 'master', settings), [
    { kind: 'stop', state: 'backup' },
    { kind: 'start', daemon: { state: 'master', interface: 'eth1', syncId: 51 } },
  ]);
  assert.deepEqual(syncDaemonSteps([running('master')], 'backup', settings), [
    { kind: 'stop', state: 'master' },
    { kind: 'start', daemon: { state: 'backup', interface: 'eth1', syncId: 51 } },
  ]);
});

test('the wanted role already running as asked (kernel defaults for what is unset): nothing to do', () => {
  assert.deepEqual(syncDaemonSteps([running('master')], 'master', settings), []);
  assert.deepEqual(syncDaemonSteps([running('master', { port: 8850 })], 'master', { ...settings, port: 8850 }), []);
});

test('running with other settings, or both roles: restarted or stopped so only the wanted role runs as asked', () => {
  assert.deepEqual(syncDaemonSteps([running('master', { syncId: 9 })], 'master', settings), [
    { kind: 'stop', state: 'master' },
    { kind: 'start', daemon: { state: 'master', interface: 'eth1', syncId: 51 } },
  ]);
  assert.deepEqual(syncDaemonSteps([running('master'), running('backup')], 'backup', settings), [{ kind: 'stop', state: 'master' }]);
  assert.deepEqual(syncDaemonSteps([running('master', { interface: 'eth2' })], 'master', { ...settings, port: 8850 }), [
    { kind: 'stop', state: 'master' },
    { kind: 'start', daemon: { state: 'master', interface: 'eth1', syncId: 51, port: 8850 } },
  ]);
});

test('nothing wanted (lvs_sync_daemon removed, or the child stopping): every role stops', () => {
  assert.deepEqual(syncDaemonSteps([running('master'), running('backup')], undefined, undefined), [{ kind: 'stop', state: 'master' }, { kind: 'stop', state: 'backup' }]);
  assert.deepEqual(syncDaemonSteps([], undefined, undefined), []);
});

test('settings: the sync id defaults to the instance\'s VRID, as in keepalived; only what is set is sent', () => {
  const at = { file: 'k.conf', line: 2, col: 3 };
  assert.deepEqual(syncDaemonSettings({ at, fieldAt: {}, interface: 'eth1', instance: 'VI_1' }, 51), { interface: 'eth1', syncId: 51 });
  assert.deepEqual(syncDaemonSettings({ at, fieldAt: {}, interface: 'eth1', instance: 'VI_1', syncId: 0, ttl: 2, group: 'ff02::1:5' }, 51), { interface: 'eth1', syncId: 0, ttl: 2, group: 'ff02::1:5' });
});

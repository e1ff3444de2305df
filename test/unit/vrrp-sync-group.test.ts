// A sync group's own state from its members' (what its notify scripts announce), over every
// combination of member states for groups of one to three members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextSyncGroupState, type SyncGroupState } from '../../runtime/src/vrrp/sync-group.ts';
import type { VrrpState } from '../../runtime/src/vrrp/state-machine.ts';

const STATES: readonly VrrpState[] = ['initialize', 'backup', 'master', 'fault'];
const PREVIOUS: readonly (SyncGroupState | undefined)[] = [undefined, 'MASTER', 'BACKUP', 'FAULT', 'STOP'];

function combinations(n: number): VrrpState[][] {
  return n === 0 ? [[]] : combinations(n - 1).flatMap((c) => STATES.map((s) => [...c, s]));
}

test('over every combination of member states: fault wins, master needs a master, backup and stop need all', () => {
  for (const members of [1, 2, 3].flatMap(combinations)) {
    for (const previous of PREVIOUS) {
      const next = nextSyncGroupState(previous, members);
      const what = `${previous} with [${members.join(', ')}] gave ${next}`;
      if (next !== undefined) assert.notEqual(next, previous, `announced without a change: ${what}`);
      if (members.includes('fault')) assert.equal(next, previous === 'FAULT' ? undefined : 'FAULT', what);
      if (next === 'MASTER') assert.ok(members.includes('master'), what);
      if (next === 'BACKUP') assert.ok(members.every((s) => s === 'backup'), what);
      if (next === 'STOP') assert.ok(previous !== undefined && members.every((s) => s === 'initialize'), what);
      // A group with a master and no fault is MASTER: announced unless it already was.
      if (members.includes('master') && !members.includes('fault')) assert.equal(next, previous === 'MASTER' ? undefined : 'MASTER', what);
    }
  }
});

test('a group\'s life: starting, taking over, handing over, a fault, stopping', () => {
  const steps: [VrrpState[], SyncGroupState | undefined][] = [
    [['initialize', 'initialize'], undefined], // nothing to announce before it ran
    [['backup', 'initialize'], undefined], // one member still starting
    [['backup', 'backup'], 'BACKUP'],
    [['master', 'backup'], 'MASTER'], // the other follows
    [['master', 'master'], undefined],
    [['backup', 'master'], undefined], // handing over: not backup until both are
    [['backup', 'backup'], 'BACKUP'],
    [['fault', 'backup'], 'FAULT'],
    [['fault', 'fault'], undefined],
    [['backup', 'backup'], 'BACKUP'],
    [['initialize', 'backup'], undefined], // stopping
    [['initialize', 'initialize'], 'STOP'],
  ];
  let state: SyncGroupState | undefined;
  for (const [members, announced] of steps) {
    const next = nextSyncGroupState(state, members);
    assert.equal(next, announced, `[${members.join(', ')}] after ${state}`);
    state = next ?? state;
  }
});

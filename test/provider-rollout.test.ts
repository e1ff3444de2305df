// The order in which a group's members take a change (provider/core/rollout.ts): the master moves at
// most once, only when the change means it to, and ends where the preview said.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRollout, type MemberChange } from '../provider/core/rollout.ts';

const member = (name: string, address: string, before?: number, after?: number): MemberChange => ({
  name, address, ...(before !== undefined && { before }), ...(after !== undefined && { after }),
});

test('rollout: a raised backup takes over once, backups first and the master last', () => {
  const plan = planRollout([member('h1', '198.18.0.1', 200, 200), member('h2', '198.18.0.2', 150, 250), member('h3', '198.18.0.3', 100, 100)], true, 'h1');
  assert.deepEqual(plan.order, ['h2', 'h3', 'h1']);
  assert.deepEqual(plan.masters, ['h2', 'h2', 'h2']);
  assert.equal(plan.transitions, 1);
  assert.equal(plan.clean, true);
});

test('rollout: raising the master and a backup past its old priority updates the master first', () => {
  // Backups first would let h2 (220) preempt h1 (still 200), and h1 (250) take it back.
  const plan = planRollout([member('h1', '198.18.0.1', 200, 250), member('h2', '198.18.0.2', 150, 220)], true, 'h1');
  assert.deepEqual(plan.order, ['h1', 'h2']);
  assert.equal(plan.transitions, 0);
  assert.equal(plan.clean, true);
});

test('rollout: the master lowered and two backups raised hands over once, to the expected master', () => {
  const plan = planRollout([member('h1', '198.18.0.1', 200, 100), member('h2', '198.18.0.2', 150, 150), member('h3', '198.18.0.3', 100, 175)], true, 'h1');
  assert.equal(plan.masters.at(-1), 'h3');
  assert.equal(plan.transitions, 1);
  // h3 goes before h1 steps down, or h2 would take over first.
  assert.ok(plan.order.indexOf('h3') < plan.order.indexOf('h1'), plan.order.join());
});

test('rollout: a new group starts on its future master first; deleting takes the master last', () => {
  const create = planRollout([member('h3', '198.18.0.3', undefined, 100), member('h1', '198.18.0.1', undefined, 200), member('h2', '198.18.0.2', undefined, 150)], true, undefined);
  assert.deepEqual(create.order, ['h1', 'h2', 'h3']);
  assert.deepEqual(create.masters, ['h1', 'h1', 'h1']);
  const remove = planRollout([member('h1', '198.18.0.1', 200), member('h2', '198.18.0.2', 150), member('h3', '198.18.0.3', 100)], true, 'h1');
  assert.equal(remove.order.at(-1), 'h1');
  assert.equal(remove.transitions, 0);
});

test('rollout: with preempt off, a raised backup stays backup and nothing moves', () => {
  const plan = planRollout([member('h1', '198.18.0.1', 200, 200), member('h2', '198.18.0.2', 150, 250)], false, 'h1');
  assert.deepEqual(plan.masters, ['h1', 'h1']);
  assert.equal(plan.transitions, 0);
});

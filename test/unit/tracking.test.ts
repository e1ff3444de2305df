import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { effectivePriority, FileTracker } from '../../runtime/src/vrrp/tracking.ts';

test('unweighted trackers put the instance into fault when they fail; reverse swaps the sense', () => {
  assert.deepEqual(effectivePriority(100, [{ label: 'interface eth1', weight: 0, reverse: false, ok: false }]), { priority: 100, faults: ['interface eth1 down'] });
  assert.deepEqual(effectivePriority(100, [{ label: 'script chk', weight: 0, reverse: false, ok: false }]), { priority: 100, faults: ['script chk failing'] });
  assert.deepEqual(effectivePriority(100, [{ label: 'script chk', weight: 0, reverse: true, ok: true }]).faults, ['script chk failing']);
  assert.deepEqual(effectivePriority(100, [{ label: 'script chk', weight: 0, reverse: true, ok: false }]).faults, []);
});

test('a positive weight is added while ok, a negative one while failing', () => {
  assert.equal(effectivePriority(100, [{ label: 'script a', weight: 20, reverse: false, ok: true }]).priority, 120);
  assert.equal(effectivePriority(100, [{ label: 'script a', weight: 20, reverse: false, ok: false }]).priority, 100);
  assert.equal(effectivePriority(100, [{ label: 'script a', weight: -30, reverse: false, ok: false }]).priority, 70);
  assert.equal(effectivePriority(100, [{ label: 'script a', weight: -30, reverse: false, ok: true }]).priority, 100);
  assert.equal(effectivePriority(100, [{ label: 'script a', weight: -30, reverse: true, ok: true }]).priority, 70);
  const several = effectivePriority(100, [
    { label: 'interface eth1', weight: -50, reverse: false, ok: false },
    { label: 'script a', weight: 10, reverse: false, ok: true },
  ]);
  assert.deepEqual(several, { priority: 60, faults: [] });
});

test('track files multiply their number by the weight; with weight 0 a non-zero number is a fault', () => {
  assert.equal(effectivePriority(100, [{ label: 'file f', weight: 5, reverse: false, value: 3 }]).priority, 115);
  assert.equal(effectivePriority(100, [{ label: 'file f', weight: 5, reverse: true, value: 3 }]).priority, 85);
  assert.deepEqual(effectivePriority(100, [{ label: 'file f', weight: 0, reverse: false, value: 2 }]).faults, ['file f holds 2']);
  assert.deepEqual(effectivePriority(100, [{ label: 'file f', weight: 0, reverse: false, value: 0 }]).faults, []);
});

test('init_file: a missing tracked file is created with its value; overwrite replaces one that exists', async () => {
  const dir = mkdtempSync(`${tmpdir()}/track-file-`);
  try {
    const created = new FileTracker(`${dir}/missing`, () => {}, { value: 5, overwrite: false });
    await created.start(60_000);
    created.stop();
    assert.equal(readFileSync(`${dir}/missing`, 'utf8'), '5\n');
    assert.equal(created.value, 5);

    writeFileSync(`${dir}/kept`, '7\n');
    const kept = new FileTracker(`${dir}/kept`, () => {}, { value: 0, overwrite: false });
    await kept.start(60_000);
    kept.stop();
    assert.equal(kept.value, 7, 'without overwrite an existing file keeps its value');

    const replaced = new FileTracker(`${dir}/kept`, () => {}, { value: 0, overwrite: true });
    await replaced.start(60_000);
    replaced.stop();
    assert.equal(replaced.value, 0);
    assert.equal(readFileSync(`${dir}/kept`, 'utf8'), '0\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { masterDownIntervalMs, skewTimeMs } from '../../runtime/src/vrrp/timers.ts';

test('RFC 5798 timers: the worked examples', () => {
  // Priority 100 at 1 s: 3 s + 156/256 s.
  assert.equal(skewTimeMs(100, 100), 609.375);
  assert.equal(masterDownIntervalMs(100, 100), 3609.375);
  // v3 at 0.1 s.
  assert.equal(masterDownIntervalMs(100, 10), 360.9375);
  // Priority 200 at 1 s (FRR's documentation truncates this to 210 ms and 3210 ms).
  assert.equal(skewTimeMs(200, 100), 218.75);
  // The owner (255) has the smallest skew; priority 0 is never a backup's own priority.
  assert.equal(skewTimeMs(255, 100), 1000 / 256);
});

test('skew falls as priority rises, and the down interval always exceeds three intervals', () => {
  for (const interval of [1, 10, 100, 4095]) {
    let previous = Infinity;
    for (let p = 1; p <= 255; p++) {
      const skew = skewTimeMs(p, interval);
      assert.ok(skew < previous && skew > 0);
      assert.ok(masterDownIntervalMs(p, interval) > 3 * interval * 10);
      previous = skew;
    }
  }
});

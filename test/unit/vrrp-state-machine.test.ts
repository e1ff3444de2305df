// The pure VRRP state machine, driven with a fake clock: every transition of RFC 5798 section 6.4,
// then whole simulated groups, checked against the RFC's election rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareAddresses, createInstance, nextDeadline, step,
  type Event, type Instance, type InstanceSettings,
} from '../../runtime/src/vrrp/state-machine.ts';
import { masterDownIntervalMs, skewTimeMs } from '../../runtime/src/vrrp/timers.ts';

const base: InstanceSettings = { version: 3, intervalCs: 100, priority: 100, preempt: true, preemptDelayMs: 0, primaryAddress: '198.18.0.2' };

const started = (settings: Partial<InstanceSettings> = {}, now = 0): Instance =>
  step(createInstance({ ...base, ...settings }), { type: 'startup' }, now).instance;

test('startup: a backup arms Master_Down_Interval; the address owner becomes master at once', () => {
  const r = step(createInstance(base), { type: 'startup' }, 1000);
  assert.equal(r.instance.state, 'backup');
  assert.equal(r.instance.downAt, 1000 + masterDownIntervalMs(100, 100));
  assert.deepEqual(r.actions, [{ type: 'transition', from: 'initialize', to: 'backup', reason: 'startup' }]);

  const claimed = step(createInstance(base), { type: 'startup', claimMaster: true }, 1000);
  assert.equal(claimed.instance.state, 'master', 'keepalived\'s state MASTER');
  assert.deepEqual(claimed.actions[0], { type: 'send', priority: 100 });

  const owner = step(createInstance({ ...base, priority: 255 }), { type: 'startup' }, 1000);
  assert.equal(owner.instance.state, 'master');
  assert.equal(owner.instance.advertAt, 2000);
  assert.deepEqual(owner.actions[0], { type: 'send', priority: 255 });
});

test('a backup that hears nothing becomes master exactly at the down deadline, then advertises every interval', () => {
  const i = started();
  const down = i.downAt!;
  assert.equal(nextDeadline(i), down);
  assert.equal(step(i, { type: 'timer' }, down - 1).instance.state, 'backup', 'not a millisecond early');
  const m = step(i, { type: 'timer' }, down);
  assert.equal(m.instance.state, 'master');
  assert.deepEqual(m.actions.map((a) => a.type), ['send', 'transition']);
  assert.equal(m.instance.masterAddress, base.primaryAddress);
  const again = step(m.instance, { type: 'timer' }, down + 1000);
  assert.deepEqual(again.actions, [{ type: 'send', priority: 100 }]);
  assert.equal(again.instance.advertAt, down + 2000);
});

test('backup: an advert of higher or equal priority re-arms the down timer; a v3 backup learns the interval', () => {
  let i = started();
  i = step(i, { type: 'advert', priority: 200, intervalCs: 10, source: '198.18.0.1' }, 500).instance;
  assert.equal(i.downAt, 500 + masterDownIntervalMs(100, 10));
  assert.equal(i.masterIntervalCs, 10);
  assert.equal(i.masterAddress, '198.18.0.1');
  i = step(i, { type: 'advert', priority: 100, intervalCs: 10, source: '198.18.0.1' }, 600).instance;
  assert.equal(i.downAt, 600 + masterDownIntervalMs(100, 10));

  const v2 = step(started({ version: 2 }), { type: 'advert', priority: 200, intervalCs: 300, source: '198.18.0.1' }, 0).instance;
  assert.equal(v2.masterIntervalCs, 100, 'v2 never learns an interval');
});

test('backup with preempt ignores a lower-priority master and takes over; without preempt it follows', () => {
  const i = started({ priority: 150 });
  const ignored = step(i, { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.9' }, 500);
  assert.equal(ignored.instance, i, 'the advert changes nothing');
  const follows = step(started({ priority: 150, preempt: false }), { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.9' }, 500);
  assert.equal(follows.instance.downAt, 500 + masterDownIntervalMs(150, 100));
});

test('preempt_delay: follow a lower-priority master until the delay is over, then preempt at that moment', () => {
  let i = started({ priority: 150, preemptDelayMs: 5000 });
  const lower = { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.9' } as const;
  i = step(i, lower, 1000).instance;
  assert.equal(i.preemptAt, 6000);
  for (let t = 2000; t <= 5000; t += 1000) i = step(i, lower, t).instance;
  assert.equal(i.preemptAt, 6000, 'the hold-off does not restart with every advert');
  assert.equal(i.downAt, 5000 + masterDownIntervalMs(150, 100), 'meanwhile the master is followed');
  assert.equal(nextDeadline(i), 6000);
  const m = step(i, { type: 'timer' }, 6000);
  assert.equal(m.instance.state, 'master');
  assert.match((m.actions[1] as { reason: string }).reason, /preempt delay of 5 s/);
  // A higher-priority master cancels the hold-off.
  const cancelled = step(step(started({ priority: 150, preemptDelayMs: 5000 }), lower, 1000).instance, { type: 'advert', priority: 200, intervalCs: 100, source: '198.18.0.8' }, 1500);
  assert.equal(cancelled.instance.preemptAt, undefined);
});

test('backup: a priority-0 advert means take over after Skew_Time', () => {
  let i = step(started(), { type: 'advert', priority: 200, intervalCs: 10, source: '198.18.0.1' }, 0).instance;
  i = step(i, { type: 'advert', priority: 0, intervalCs: 10, source: '198.18.0.1' }, 100).instance;
  assert.equal(i.downAt, 100 + skewTimeMs(100, 10));
  assert.equal(step(i, { type: 'timer' }, i.downAt!).instance.state, 'master');
});

test('master: steps down for a higher priority, or an equal one from a higher address; answers a resignation', () => {
  const master = step(started(), { type: 'timer' }, masterDownIntervalMs(100, 100)).instance;
  const t = 10_000;
  const higher = step(master, { type: 'advert', priority: 101, intervalCs: 50, source: '198.18.0.1' }, t);
  assert.equal(higher.instance.state, 'backup');
  assert.equal(higher.instance.masterIntervalCs, 50);
  assert.equal(higher.instance.downAt, t + masterDownIntervalMs(100, 50));
  assert.equal(higher.instance.advertAt, undefined);

  const tieHigherAddress = step(master, { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.3' }, t);
  assert.equal(tieHigherAddress.instance.state, 'backup');
  const tieLowerAddress = step(master, { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.1' }, t);
  assert.equal(tieLowerAddress.instance, master);
  const lower = step(master, { type: 'advert', priority: 99, intervalCs: 100, source: '198.18.0.250' }, t);
  assert.equal(lower.instance, master);

  const resigned = step(master, { type: 'advert', priority: 0, intervalCs: 100, source: '198.18.0.1' }, t);
  assert.deepEqual(resigned.actions, [{ type: 'send', priority: 100 }]);
  assert.equal(resigned.instance.advertAt, t + 1000);
});

test('shutdown: a master resigns with priority 0; a backup just stops', () => {
  const master = step(started(), { type: 'timer' }, 4000).instance;
  const r = step(master, { type: 'shutdown' }, 5000);
  assert.deepEqual(r.actions, [{ type: 'send', priority: 0 }, { type: 'transition', from: 'master', to: 'initialize', reason: 'shutdown' }]);
  assert.equal(nextDeadline(r.instance), undefined);
  assert.deepEqual(step(started(), { type: 'shutdown' }, 1).actions.map((a) => a.type), ['transition']);
});

test('faults: a master resigns into Fault, and clearing every fault starts over as a backup', () => {
  const master = step(started(), { type: 'timer' }, 4000).instance;
  const f = step(master, { type: 'faults', faults: ['eth1 down'] }, 5000);
  assert.deepEqual(f.actions, [{ type: 'send', priority: 0 }, { type: 'transition', from: 'master', to: 'fault', reason: 'eth1 down' }]);
  assert.equal(nextDeadline(f.instance), undefined);
  assert.equal(step(f.instance, { type: 'timer' }, 99_999).instance.state, 'fault');
  assert.equal(step(f.instance, { type: 'advert', priority: 1, intervalCs: 100, source: '198.18.0.1' }, 6000).instance.state, 'fault');
  const still = step(f.instance, { type: 'faults', faults: ['chk_nginx failed'] }, 6000);
  assert.deepEqual(still.actions, []);
  const cleared = step(still.instance, { type: 'faults', faults: [] }, 7000);
  assert.equal(cleared.instance.state, 'backup');
  assert.equal(cleared.instance.downAt, 7000 + masterDownIntervalMs(100, 100));
  // Faults known before startup put the instance straight into Fault.
  const early = step(step(createInstance(base), { type: 'faults', faults: ['eth0 down'] }, 0).instance, { type: 'startup' }, 1);
  assert.equal(early.instance.state, 'fault');
});

test('sync group members follow: a backup is forced to master, a master to backup', () => {
  const backup = started();
  const forced = step(backup, { type: 'follow', to: 'master', reason: 'sync group G: VI_2 is master' }, 500);
  assert.equal(forced.instance.state, 'master');
  assert.deepEqual(forced.actions.map((a) => a.type), ['send', 'transition']);
  const back = step(forced.instance, { type: 'follow', to: 'backup', reason: 'sync group G: VI_2 is backup' }, 900);
  assert.equal(back.instance.state, 'backup');
  assert.equal(back.instance.downAt, 900 + masterDownIntervalMs(100, 100));
  assert.equal(step(back.instance, { type: 'follow', to: 'backup', reason: 'x' }, 1000).actions.length, 0, 'already there: nothing');
  const fault = step(started(), { type: 'faults', faults: ['eth0 down'] }, 0).instance;
  assert.equal(step(fault, { type: 'follow', to: 'master', reason: 'x' }, 1).instance.state, 'fault', 'a faulty member does not follow');
});

test('resign (a virtual route deleted by hand): a master sends priority 0, goes backup and takes over again after Skew_Time', () => {
  const master = step(started({ priority: 200 }), { type: 'timer' }, masterDownIntervalMs(200, 100)).instance;
  assert.equal(master.state, 'master');
  const resigned = step(master, { type: 'resign', reason: 'route 198.18.5.0/24 was deleted' }, 5000);
  assert.deepEqual(resigned.actions, [{ type: 'send', priority: 0 }, { type: 'transition', from: 'master', to: 'backup', reason: 'route 198.18.5.0/24 was deleted' }]);
  assert.equal(resigned.instance.downAt, 5000 + skewTimeMs(200, 100));
  assert.equal(step(resigned.instance, { type: 'timer' }, 5000 + skewTimeMs(200, 100)).instance.state, 'master', 'back, unless a peer took over');
  const peer = step(resigned.instance, { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.9' }, 5001);
  assert.equal(step(peer.instance, { type: 'timer' }, 5000 + skewTimeMs(200, 100)).instance.state, 'master', 'a lower-priority peer is preempted as usual');
  assert.equal(step(started(), { type: 'resign', reason: 'x' }, 1).actions.length, 0, 'only a master resigns');
});

test('effective priority is clamped to 1..254; the address owner keeps 255', () => {
  assert.equal(step(started(), { type: 'priority', priority: 400 }, 0).instance.priority, 254);
  assert.equal(step(started(), { type: 'priority', priority: -50 }, 0).instance.priority, 1);
  assert.equal(step(started({ priority: 255 }), { type: 'priority', priority: 10 }, 0).instance.priority, 255);
  const master = step(started(), { type: 'timer' }, 4000).instance;
  const lowered = step(master, { type: 'priority', priority: 60 }, 4100).instance;
  assert.deepEqual(step(lowered, { type: 'timer' }, lowered.advertAt!).actions, [{ type: 'send', priority: 60 }]);
});

test('addresses compare numerically, not as text', () => {
  assert.ok(compareAddresses('198.18.0.10', '198.18.0.9') > 0);
  assert.ok(compareAddresses('2001:db8::10', '2001:db8::9') > 0);
  assert.ok(compareAddresses('2001:db8::a', '2001:db8::9') > 0);
  assert.equal(compareAddresses('2001:db8:0::1', '2001:db8::1'), 0);
});

// A whole group on a fake network: every advert reaches every other live router after a small delay.
// After any sequence of starts, crashes and restarts, once things settle, exactly one router is master,
// and it has the highest priority. Among equal priorities the RFC does not preempt: whoever was master
// first stays, and the higher address wins only when two are master at once (tested apart, below).
function simulate(seed: number, simultaneous: boolean): void {
  let rng = seed;
  const random = (): number => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const n = 2 + Math.floor(random() * 4);
  const version = random() < 0.5 ? 2 : 3;
  const intervalCs = version === 2 ? 100 : [1, 10, 100][Math.floor(random() * 3)]!;
  const routers = Array.from({ length: n }, (_, k) => ({
    address: `198.18.0.${k + 1}`,
    alive: false,
    instance: createInstance({
      version, intervalCs, priority: random() < 0.2 ? 100 : 1 + Math.floor(random() * 254), preempt: true,
      preemptDelayMs: 0, primaryAddress: `198.18.0.${k + 1}`,
    }),
  }));
  const latency = 0.2;
  const queue: { at: number; to: number; event: Event }[] = [];
  const apply = (k: number, event: Event, now: number): void => {
    const r = routers[k]!;
    const result = step(r.instance, event, now);
    r.instance = result.instance;
    for (const a of result.actions) {
      if (a.type !== 'send') continue;
      routers.forEach((_, j) => {
        if (j !== k) queue.push({ at: now + latency, to: j, event: { type: 'advert', priority: a.priority, intervalCs, source: r.address } });
      });
    }
  };
  const runUntil = (end: number, now: number): number => {
    for (let guard = 0; guard < 200_000; guard++) {
      const timers = routers.map((r, k) => ({ k, at: r.alive ? nextDeadline(r.instance) : undefined }))
        .filter((t): t is { k: number; at: number } => t.at !== undefined);
      const nextTimer = timers.reduce<{ k: number; at: number } | undefined>((m, t) => (!m || t.at < m.at ? t : m), undefined);
      queue.sort((a, b) => a.at - b.at);
      const nextMsg = queue[0];
      const at = Math.min(nextTimer?.at ?? Infinity, nextMsg?.at ?? Infinity);
      if (at > end) return end;
      now = at;
      if (nextMsg && nextMsg.at === at) {
        queue.shift();
        if (routers[nextMsg.to]!.alive) apply(nextMsg.to, nextMsg.event, now);
      } else if (nextTimer) {
        apply(nextTimer.k, { type: 'timer' }, now);
      }
    }
    throw new Error('simulation did not settle');
  };
  let now = 0;
  const settle = 5 * masterDownIntervalMs(1, intervalCs);
  for (let round = 0; round < 4; round++) {
    for (const [k, r] of routers.entries()) {
      if (!r.alive && random() < 0.8) {
        r.alive = true;
        r.instance = createInstance(r.instance.settings);
        apply(k, { type: 'startup' }, simultaneous ? now : now + random() * 50);
      }
      else if (r.alive && random() < 0.3) { r.alive = false; }
    }
    now = runUntil(now + settle, now);
    const live = routers.filter((r) => r.alive);
    if (live.length === 0) continue;
    const top = Math.max(...live.map((r) => r.instance.priority));
    const masters = live.filter((r) => r.instance.state === 'master');
    const context = `seed ${seed} round ${round}: ${live.map((r) => `${r.address}=${r.instance.priority}:${r.instance.state}`).join(' ')}`;
    assert.equal(masters.length, 1, context);
    assert.equal(masters[0]!.instance.priority, top, context);
  }
}

test('simulated groups always settle on one master of the highest priority (300 random scenarios, each way of starting)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    simulate(seed, false);
    simulate(seed, true);
  }
});

test('equal priorities started together: both time out, and the lower address yields to the higher', () => {
  const make = (address: string) => step(createInstance({ ...base, primaryAddress: address }), { type: 'startup' }, 0).instance;
  let [a, b] = [make('198.18.0.1'), make('198.18.0.2')];
  const at = a.downAt!;
  a = step(a, { type: 'timer' }, at).instance;
  b = step(b, { type: 'timer' }, at).instance;
  assert.deepEqual([a.state, b.state], ['master', 'master']);
  a = step(a, { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.2' }, at + 1).instance;
  b = step(b, { type: 'advert', priority: 100, intervalCs: 100, source: '198.18.0.1' }, at + 1).instance;
  assert.deepEqual([a.state, b.state], ['backup', 'master']);
});

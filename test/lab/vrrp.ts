// Reading a VRRP group's state from the outside, as a network engineer would: who holds the virtual
// address, and who sends adverts on the wire. Shared by the tests, the benchmarks and the demo, so
// that they all judge an implementation the same way, whichever implementation it is.
import { waitFor } from './exec.ts';
import type { Frame, SegmentCapture } from './capture.ts';
import type { Host } from './host.ts';

/** Names of the hosts that hold `address` right now. */
export async function holders(hosts: Iterable<Host>, address: string): Promise<string[]> {
  const result: string[] = [];
  for (const h of hosts) if (await h.hasAddress(address)) result.push(h.name);
  return result;
}

/** Waits until exactly the named host holds the address, and no other host does. */
export async function waitForSoleHolder(hosts: Iterable<Host>, address: string, expected: string, timeoutMs = 15_000): Promise<void> {
  const list = [...hosts];
  let last: string[] = [];
  try {
    await waitFor(`${address} on ${expected} alone`, async () => {
      last = await holders(list, address);
      return last.length === 1 && last[0] === expected ? true : undefined;
    }, { timeoutMs, intervalMs: 50 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; held by [${last.join(', ')}]`);
  }
}

/** The adverts of one VRID from one host, in capture order. */
export function advertsFrom(capture: SegmentCapture, vrid: number, host: string): Frame[] {
  return capture.adverts(vrid).filter((f) => f.from === host);
}

/**
 * The hosts that advertised the VRID at a non-zero priority in the last `windowMs`: once an election
 * has settled, exactly the master (a backup never advertises; priority 0 is a resignation).
 */
export async function currentAdvertisers(capture: SegmentCapture, vrid: number, windowMs: number): Promise<string[]> {
  const now = Date.now();
  await capture.catchUp(now, windowMs + 5_000);
  const senders = capture.adverts(vrid).filter((f) => f.time > now - windowMs && f.time <= now && (f.vrrp?.priority ?? 0) > 0).map((f) => f.from);
  return [...new Set(senders)].sort();
}

/** Waits for the first advert from `host` (at a non-zero priority) sent after `after`. */
export function nextAdvert(capture: SegmentCapture, vrid: number, host: string, after: number, timeoutMs = 15_000): Promise<Frame> {
  return capture.waitFor(`an advert from ${host} for VRID ${vrid}`, (f) => f.from === host && f.vrrp?.vrid === vrid && f.vrrp.priority > 0 && f.time > after, timeoutMs);
}

/** The last advert from `host` sent before `before`; throws if there was none. */
export async function lastAdvertBefore(capture: SegmentCapture, vrid: number, host: string, before: number): Promise<Frame> {
  await capture.catchUp(before);
  const frame = advertsFrom(capture, vrid, host).filter((f) => f.time < before).at(-1);
  if (!frame) throw new Error(`no advert from ${host} for VRID ${vrid} before ${new Date(before).toISOString()}`);
  return frame;
}

/**
 * Waits for `count` more adverts from `host` after `after`, and returns every host that advertised
 * the VRID at a non-zero priority in that span. Called once `host` is known to be master (say, the
 * sole holder of the VIP), it is the set of masters over a span the master's own schedule sets, long
 * enough (count intervals) for a backup that does not hear it to take over: just `host`, if the
 * group has settled.
 */
export async function advertisersOver(capture: SegmentCapture, vrid: number, host: string, after: number, count: number): Promise<string[]> {
  let last = after;
  for (let k = 0; k < count; k++) last = (await nextAdvert(capture, vrid, host, last)).time;
  // Frames come in the order they were sent: every advert sent before `last` is in.
  const senders = capture.adverts(vrid).filter((f) => f.time > after && f.time <= last && (f.vrrp?.priority ?? 0) > 0).map((f) => f.from);
  return [...new Set(senders)].sort();
}

// The order in which a VRRP group's members take a change, so that the group makes no transition
// that was not planned: the master moves at most once, and only when the change means it to (from the
// current master to the expected one). Pure.
//
// Each step changes one member: its priority, or its presence (joining or leaving the group). After
// each step the group elects as VRRP does (topology.ts's expectedMaster: the highest priority, ties by
// address, preempt respected); an order is valid when the elected master changes at most as often as
// planned and ends on the expected master. "Backups first, master last" is the usual answer, but not
// always: raising the master to 250 and a backup to 220 from 200 must update the master first, or the
// backup preempts in between. So the orders are tried, backups-first ones first, and the first valid
// one wins. Groups are small (a handful of members); past MAX_SEARCH members only the heuristic runs.
import { expectedMaster, type GroupView, type MemberView } from '../topology/change.ts';

export interface MemberChange {
  readonly name: string;
  /** The member's VRRP address, for tie-breaks. */
  readonly address: string;
  /** Its priority before the change; undefined: not a member before. */
  readonly before?: number;
  /** Its priority after; undefined: it leaves the group. */
  readonly after?: number;
}

export interface RolloutPlan {
  /** Member names, in the order to apply. */
  readonly order: readonly string[];
  /** The elected master after each step (undefined: none). */
  readonly masters: readonly (string | undefined)[];
  /** How many times the master changes along the way. */
  readonly transitions: number;
  /** Whether the order keeps to the plan (no transition beyond the planned one). */
  readonly clean: boolean;
}

const MAX_SEARCH = 7;

function elect(changes: readonly MemberChange[], applied: ReadonlySet<string>, preempt: boolean, incumbent: string | undefined): string | undefined {
  const members: MemberView[] = changes.flatMap((c) => {
    const priority = applied.has(c.name) ? c.after : c.before;
    return priority === undefined ? [] : [{ name: c.name, address: c.address, priority }];
  });
  const view: GroupView = { vrid: 0, interface: '', virtualIps: [], preempt, preemptDelayMs: 0, members };
  return expectedMaster(view, incumbent);
}

function simulate(order: readonly string[], changes: readonly MemberChange[], preempt: boolean, current: string | undefined) {
  const applied = new Set<string>();
  const masters: (string | undefined)[] = [];
  let master = current;
  let transitions = 0;
  for (const name of order) {
    applied.add(name);
    const next = elect(changes, applied, preempt, master);
    // A master that appears where there was none, or goes with the last member, is no flap.
    if (master !== undefined && next !== undefined && next !== master) transitions++;
    master = next;
    masters.push(master);
  }
  return { masters, transitions, final: master };
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const tail of permutations(rest)) yield [items[i]!, ...tail];
  }
}

/**
 * The order to apply `changes` in. `current` is the live master (undefined when none is known);
 * the master expected at the end is what the election gives with every change applied.
 */
export function planRollout(changes: readonly MemberChange[], preempt: boolean, current: string | undefined): RolloutPlan {
  const everything = new Set(changes.map((c) => c.name));
  const expected = elect(changes, everything, preempt, current);
  const planned = current !== undefined && expected !== undefined && current !== expected ? 1 : 0;
  // The heuristic order: backups by their new priority, highest first (a backup that will outrank
  // the others goes before them, so they never preempt in between), the current master last.
  const priority = (c: MemberChange): number => c.after ?? -1;
  const backups = changes.filter((c) => c.name !== current).sort((a, b) => priority(b) - priority(a)).map((c) => c.name);
  const heuristic = current !== undefined && everything.has(current) ? [...backups, current] : backups;
  const candidates: Iterable<string[]> = changes.length <= MAX_SEARCH
    ? (function* () { yield heuristic; yield* permutations(heuristic); })()
    : [heuristic];
  for (const order of candidates) {
    const run = simulate(order, changes, preempt, current);
    if (run.transitions <= planned && run.final === expected) return { order, masters: run.masters, transitions: run.transitions, clean: true };
  }
  const run = simulate(heuristic, changes, preempt, current);
  return { order: heuristic, masters: run.masters, transitions: run.transitions, clean: false };
}

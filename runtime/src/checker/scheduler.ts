// When each health check runs, and what its results mean for its real server.
//
// CheckSchedule is the pure core: it is told the time and each run's result, and answers which
// checks are due and which transitions happened. The semantics, as keepalived's checkers have them:
//
// - A check runs every delay_loop, counted from the end of its previous run.
// - A failure of a check that is up is retried `retry` times, delay_before_retry apart; only when
//   those fail too does the check go down. A failure of a check already down is not retried.
// - One success brings a check back up (keepalived's rise of 1).
// - A real server is up while all its checks are up (a server without checks is always up). Checks
//   start up, or down (keepalived's `alpha`, so that a server only joins the pool after passing, or
//   a check whose state a reload carries over).
// - A check's first run is at once, or after its own delay (keepalived's `warmup`).
// - A run reporting a weight (MISC_CHECK with misc_dynamic) sets the server's weight; a plain success
//   restores the configured one. With several such checks, the first one in order that reported wins.
// - A check is never run twice at once: it is not due again until its run finished.
//
// Due checks come off a min-heap, so a pass over 10,000 checks costs log n per check run, not n.
//
// CheckScheduler is the thin adapter: setTimeout for the clock, runCheck for the runs. Each run is
// bounded by its own check's timeout, and runs are independent promises, so a slow check never
// delays another.
import type { CheckResult, CheckSpec } from './check.ts';
import { runCheck } from './run-check.ts';

export interface CheckTiming {
  /** delay_loop, ms. */
  delayLoopMs: number;
  /** retry: further attempts after a failure before the check counts as down. */
  retry: number;
  /** delay_before_retry, ms. */
  delayBeforeRetryMs: number;
}

export interface ScheduledCheck {
  /** Unique within its server. */
  id: string;
  timing: CheckTiming;
  /** The state it starts in; default up. */
  startUp?: boolean;
  /** How long after the start its first run is due; default 0. */
  firstRunInMs?: number;
}

export interface ScheduledServer {
  /** Unique among the servers, e.g. "VIP:port/RIP:port". */
  id: string;
  /** The configured weight. */
  weight: number;
  checks: readonly ScheduledCheck[];
}

export interface ServerHealth {
  up: boolean;
  weight: number;
}

export type ScheduleEvent =
  | { kind: 'check'; server: string; check: string; up: boolean; reason: string }
  | { kind: 'server'; server: string; up: boolean; weight: number };

export interface CheckState {
  server: string;
  check: string;
  timing: CheckTiming;
  up: boolean;
  running: boolean;
  /** Failed attempts in the current round of retries. */
  failures: number;
  /** When the check is next due (not meaningful while running). */
  dueAt: number;
  /** The weight the last successful run asked for, if it asked. */
  weight: number | undefined;
  last: CheckResult | undefined;
  /** Bumped whenever dueAt changes or a run starts, which makes older queue entries stale. */
  generation: number;
  order: number;
}

/** A check's key in the schedule: its server's id and its own, separated by a NUL. */
export const checkKey = (server: string, check: string): string => `${server}\u0000${check}`;

/** One place of a check in the due queue; stale once the check's generation moved on. */
interface DueEntry {
  dueAt: number;
  /** Configuration order, which breaks ties. */
  order: number;
  key: string;
  generation: number;
}

const before = (a: DueEntry, b: DueEntry): boolean => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.order < b.order);

/** A binary min-heap of due entries. */
class DueQueue {
  private readonly heap: DueEntry[] = [];

  push(entry: DueEntry): void {
    const h = this.heap;
    h.push(entry);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  peek(): DueEntry | undefined {
    return this.heap[0];
  }

  pop(): DueEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < h.length && before(h[l]!, h[least]!)) least = l;
        if (r < h.length && before(h[r]!, h[least]!)) least = r;
        if (least === i) break;
        [h[i], h[least]] = [h[least]!, h[i]!];
        i = least;
      }
    }
    return top;
  }
}

export class CheckSchedule {
  private readonly checks = new Map<string, CheckState>();
  private readonly servers = new Map<string, { spec: ScheduledServer; health: ServerHealth }>();
  private readonly queue = new DueQueue();

  /** Every check is first due at `now` plus its firstRunInMs. */
  constructor(servers: readonly ScheduledServer[], now: number) {
    for (const server of servers) {
      if (this.servers.has(server.id)) throw new Error(`real server ${server.id} is listed twice`);
      for (const c of server.checks) {
        const key = checkKey(server.id, c.id);
        if (this.checks.has(key)) throw new Error(`real server ${server.id} has two checks named ${c.id}`);
        if (!(c.timing.delayLoopMs > 0) || !(c.timing.delayBeforeRetryMs >= 0) || !(Number.isInteger(c.timing.retry) && c.timing.retry >= 0)) {
          throw new Error(`check ${c.id} of ${server.id}: delay_loop must be positive, retry a whole number, delay_before_retry not negative`);
        }
        const state: CheckState = {
          server: server.id, check: c.id, timing: c.timing, up: c.startUp ?? true, running: false, failures: 0,
          dueAt: now + (c.firstRunInMs ?? 0), weight: undefined, last: undefined, generation: 0, order: this.checks.size,
        };
        this.checks.set(key, state);
        this.enqueue(key, state);
      }
      this.servers.set(server.id, { spec: server, health: { up: false, weight: server.weight } });
      this.servers.get(server.id)!.health = this.health(server.id);
    }
  }

  /** Keys of the checks due at `now` that are not running, in configuration order. */
  due(now: number): string[] {
    return [...this.checks].filter(([, c]) => !c.running && c.dueAt <= now).map(([key]) => key);
  }

  /** The earliest time a check that is not running is due, or undefined when all are running. */
  nextDueAt(): number | undefined {
    return this.validTop()?.dueAt;
  }

  /** Starts every check due at `now` and returns their keys, earliest due first. */
  startDue(now: number): string[] {
    const started: string[] = [];
    for (let top = this.validTop(); top !== undefined && top.dueAt <= now; top = this.validTop()) {
      this.queue.pop();
      this.start(top.key, now);
      started.push(top.key);
    }
    return started;
  }

  start(key: string, now: number): void {
    const c = this.get(key);
    if (c.running) throw new Error(`check ${c.check} of ${c.server} is already running`);
    if (c.dueAt > now) throw new Error(`check ${c.check} of ${c.server} is not due until ${c.dueAt}`);
    c.running = true;
    c.generation++;
  }

  finish(key: string, result: CheckResult, now: number): ScheduleEvent[] {
    const c = this.get(key);
    if (!c.running) throw new Error(`check ${c.check} of ${c.server} is not running`);
    c.running = false;
    c.last = result;
    const events: ScheduleEvent[] = [];
    if (result.ok) {
      c.failures = 0;
      c.weight = result.weight;
      c.dueAt = now + c.timing.delayLoopMs;
      if (!c.up) {
        c.up = true;
        events.push({ kind: 'check', server: c.server, check: c.check, up: true, reason: result.reason });
      }
    } else if (c.up && c.failures < c.timing.retry) {
      c.failures++;
      c.dueAt = now + c.timing.delayBeforeRetryMs;
    } else {
      c.failures = 0;
      c.dueAt = now + c.timing.delayLoopMs;
      if (c.up) {
        c.up = false;
        events.push({ kind: 'check', server: c.server, check: c.check, up: false, reason: result.reason });
      }
    }
    this.enqueue(key, c);
    const server = this.servers.get(c.server)!;
    const health = this.health(c.server);
    if (health.up !== server.health.up || health.weight !== server.health.weight) {
      server.health = health;
      events.push({ kind: 'server', server: c.server, ...health });
    }
    return events;
  }

  server(id: string): ServerHealth {
    const s = this.servers.get(id);
    if (!s) throw new Error(`no real server ${id}`);
    return { ...s.health };
  }

  check(key: string): Readonly<CheckState> {
    return { ...this.get(key) };
  }

  private enqueue(key: string, c: CheckState): void {
    c.generation++;
    this.queue.push({ dueAt: c.dueAt, order: c.order, key, generation: c.generation });
  }

  /** The queue's first entry that is still current, dropping stale ones on the way. */
  private validTop(): DueEntry | undefined {
    for (let top = this.queue.peek(); top !== undefined; top = this.queue.peek()) {
      if (this.checks.get(top.key)!.generation === top.generation) return top;
      this.queue.pop();
    }
    return undefined;
  }

  private get(key: string): CheckState {
    const c = this.checks.get(key);
    if (!c) throw new Error(`no check ${JSON.stringify(key)}`);
    return c;
  }

  private health(id: string): ServerHealth {
    const { spec } = this.servers.get(id)!;
    const checks = spec.checks.map((c) => this.checks.get(checkKey(id, c.id))!);
    const dynamic = checks.find((c) => c.weight !== undefined)?.weight;
    return { up: checks.every((c) => c.up), weight: dynamic ?? spec.weight };
  }
}

export interface ServerChecks extends ScheduledServer {
  checks: readonly (ScheduledCheck & { spec: CheckSpec })[];
}

/** The last LatenessWindow.SIZE lateness samples, in ms, and their percentiles. */
export class LatenessWindow {
  static readonly SIZE = 10_000;
  private readonly samples = new Float64Array(LatenessWindow.SIZE);
  private count = 0;

  record(ms: number): void {
    this.samples[this.count % LatenessWindow.SIZE] = ms;
    this.count++;
  }

  /** Percentiles over the window; undefined before the first run. */
  summary(): { runs: number; p50: number; p99: number; max: number } | undefined {
    const n = Math.min(this.count, LatenessWindow.SIZE);
    if (n === 0) return undefined;
    const sorted = this.samples.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { runs: this.count, p50: at(0.5), p99: at(0.99), max: sorted[n - 1]! };
  }
}

export interface CheckSchedulerOptions {
  /** Transitions, as they happen. */
  onEvent: (event: ScheduleEvent) => void;
  /** Every run, with when it started (performance.now()). */
  onRun?: (server: string, check: string, result: CheckResult, startedAt: number) => void;
  /** Runs one check (started at the given performance.now()); runCheck unless a test substitutes it. */
  run?: (spec: CheckSpec, startedAt: number) => Promise<CheckResult>;
}

export class CheckScheduler {
  private readonly schedule: CheckSchedule;
  private readonly specs = new Map<string, { server: string; check: string; spec: CheckSpec }>();
  private readonly options: CheckSchedulerOptions;
  private timer: NodeJS.Timeout | undefined;
  /** The due time the timer is armed for. */
  private timerDueAt: number | undefined;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** How late runs started against when they were due: the measure of an overloaded checker. */
  readonly lateness = new LatenessWindow();

  /**
   * Nothing runs until start(): a caller can read the initial health (and decide against it) first.
   * First runs are counted from the construction.
   */
  constructor(servers: readonly ServerChecks[], options: CheckSchedulerOptions) {
    this.options = options;
    this.schedule = new CheckSchedule(servers, performance.now());
    for (const s of servers) for (const c of s.checks) this.specs.set(checkKey(s.id, c.id), { server: s.id, check: c.id, spec: c.spec });
  }

  /** Runs the checks that are due, then each on its own schedule until stop(). */
  start(): void {
    this.wake();
  }

  server(id: string): ServerHealth {
    return this.schedule.server(id);
  }

  check(server: string, check: string): Readonly<CheckState> {
    return this.schedule.check(checkKey(server, check));
  }

  /**
   * Stops scheduling, and resolves once the runs under way have ended (each within its own bound;
   * their results are ignored). Waiting matters: a process that exits with a MISC_CHECK still
   * running would take the script's TERM-then-KILL timer with it and leave the script behind.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.inFlight);
  }

  /** `now`: a clock reading the caller already has (see run-check.ts on what each one costs). */
  private wake(now = performance.now()): void {
    if (this.stopped) return;
    for (const key of this.schedule.startDue(now)) {
      this.lateness.record(now - this.schedule.check(key).dueAt);
      this.launch(key, now);
    }
    // Every run's end wakes this too (thousands a second at scale), and its next run is due a
    // delay_loop later, rarely before what the timer waits for: the timer is re-armed only when the
    // earliest due time moved.
    const next = this.schedule.nextDueAt();
    if (this.timer !== undefined && next === this.timerDueAt) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = next;
    if (next !== undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake();
      }, Math.max(0, next - now));
    }
  }

  private launch(key: string, startedAt: number): void {
    const { server, check, spec } = this.specs.get(key)!;
    const run = this.options.run ?? runCheck;
    const done = run(spec, startedAt)
      .catch((error: unknown): CheckResult => ({ ok: false, reason: `checker failed: ${(error as Error).message}`, ms: performance.now() - startedAt }))
      .then((result) => {
        this.inFlight.delete(done);
        if (this.stopped) return;
        this.options.onRun?.(server, check, result, startedAt);
        // The run's own end, as it measured it: no second clock reading.
        const end = startedAt + result.ms;
        for (const event of this.schedule.finish(key, result, end)) this.options.onEvent(event);
        this.wake(end);
      });
    this.inFlight.add(done);
  }
}

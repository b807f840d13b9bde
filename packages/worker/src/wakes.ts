import type { Logger, Store } from '@reel/sdk';
import type { Doorbell } from './doorbell.ts';
import { timerDelay } from './driver-timers.ts';

/**
 * How long the second worker a wake names waits before claiming the run in case the first neither
 * claimed it nor passed the wake on (dead, or its listener reconnecting); every worker with room
 * claims at least every `pollIntervalMs` besides.
 */
const WAKE_FALLBACK_MS = 250;
/**
 * How long a worker passes over a worker named before it whose run it had to claim at its fallback
 * (dead with its heartbeat fresh, for up to 30 s after a crash): it claims such wakes at once, so
 * that one start in this long, not every start, waits the fallback.
 */
const PASS_OVER_MS = 5000;

export interface WakesHost {
  identity: string;
  store: Store;
  bell: Doorbell;
  clock: () => Date;
  /** How many more runs the worker would claim now: its free slots, 0 while it drains. */
  room: () => number;
  logger: Logger;
}

/**
 * When a worker's claim loop looks for work on being told of runs that no worker holds
 * (`StoreListener.onWake`'s `to`), and at the wake times of the runs it suspended. The first worker a
 * wake names claims at once if it has room for it, or else passes the wake on to the others it names,
 * so that a fleet fills one worker before the next; the second claims a moment later, in case the
 * first did neither. The wakes a turn of the event loop could not take go on in one pass per set of
 * workers named, counting the runs: a burst of starts costs each full worker one pass, not one each.
 */
export class Wakes {
  /** Wakes this worker took as the first named since its last claim was sent: each may be a run. */
  private taken = 0;
  private timer: NodeJS.Timeout | undefined;
  private time = Infinity;
  /** The runs this worker was named second for, whose fallback is pending: who was first, and when. */
  private readonly seconds = new Map<string, { first: string; at: number }>();
  /** Of those, the ones the claim under way may take at its fallback: who was first. */
  private readonly due = new Map<string, string>();
  /** Workers passed over (as if not named) until a time (`performance.now()`). */
  private readonly passedOver = new Map<string, number>();
  /** The wakes to pass on at the end of this turn, by the workers they go to: the latest run, how many. */
  private readonly passing = new Map<string, { runId: string; to: string[]; runs: number }>();

  constructor(private readonly host: WakesHost) {}

  /** A wake of `runs` runs (the latest `runId`) that this worker does not hold, naming `to` (or any). */
  heard(runId: string, to: string[] | undefined, runs = 1): void {
    const { identity, bell } = this.host;
    const named = to && this.skipPassedOver(to);
    if (!named) bell.ring();
    else if (named[0] === identity) {
      const take = named.length > 1 ? Math.min(runs, Math.max(0, this.host.room() - this.taken)) : runs;
      if (take > 0) {
        this.taken += take;
        bell.ring();
      }
      if (take < runs) this.pass(runId, named.slice(1), runs - take);
    } else if (named[1] === identity) {
      const now = performance.now();
      // In the order heard: those a full worker never claimed for go after a few fallbacks.
      for (const [id, { at }] of this.seconds) {
        if (at > now - 10 * WAKE_FALLBACK_MS) break;
        this.seconds.delete(id);
      }
      this.seconds.set(runId, { first: named[0] as string, at: now });
      bell.ringAfter(WAKE_FALLBACK_MS);
    }
  }

  /** A claim is being sent: it takes every ready run told of so far, up to the free slots. */
  claiming(): void {
    this.taken = 0;
    this.due.clear();
    // Half the fallback: its timer may fire a little early by `performance.now()`.
    const dueBy = performance.now() - WAKE_FALLBACK_MS / 2;
    for (const [runId, { first, at }] of this.seconds) {
      if (at > dueBy) break;
      this.due.set(runId, first);
      this.seconds.delete(runId);
    }
  }

  /** The runs the claim took: one still there at its fallback was neither claimed nor passed on. */
  claimed(runIds: string[]): void {
    for (const runId of runIds) {
      const first = this.due.get(runId);
      if (first) this.passedOver.set(first, performance.now() + PASS_OVER_MS);
    }
  }

  /** Rings the claim loop at `at` (a suspended run's wake time), unless it is to ring sooner. */
  at(at: Date): void {
    const t = at.getTime();
    if (t >= this.time) return;
    clearTimeout(this.timer);
    this.time = t;
    this.timer = setTimeout(
      () => {
        this.time = Infinity;
        this.host.bell.ring();
      },
      timerDelay(t - this.host.clock().getTime()),
    );
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** `to` less the workers passed over at its front; never less than its last. */
  private skipPassedOver(to: string[]): string[] {
    let i = 0;
    for (; i < to.length - 1; i++) {
      const until = this.passedOver.get(to[i] as string);
      if (until === undefined) break;
      if (until > performance.now()) continue;
      this.passedOver.delete(to[i] as string);
      break;
    }
    return i === 0 ? to : to.slice(i);
  }

  private pass(runId: string, to: string[], runs: number): void {
    if (this.passing.size === 0) setImmediate(() => this.flushPasses());
    const key = to.join(' ');
    this.passing.set(key, { runId, to, runs: runs + (this.passing.get(key)?.runs ?? 0) });
  }

  /** If a pass fails, the second worker's fallback still claims the runs. */
  private flushPasses(): void {
    for (const { runId, to, runs } of this.passing.values())
      this.host.store
        .passWake(runId, to, runs)
        .catch((err) => this.host.logger.warn({ err, runId, to }, 'passing a wake on failed'));
    this.passing.clear();
  }
}

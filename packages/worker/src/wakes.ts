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
 * first did neither.
 */
export class Wakes {
  /** Wakes this worker took as the first named since its last claim was sent: each may be a run. */
  private taken = 0;
  private timer: NodeJS.Timeout | undefined;
  private time = Infinity;
  /** The runs this worker was named second for, whose fallback is pending: who was first, and when. */
  private readonly seconds = new Map<string, { first: string; at: number }>();
  /** Of those, the ones the claim under way may take at its fallback: who was first. */
  private due = new Map<string, string>();
  /** Workers passed over (as if not named) until a time (`performance.now()`). */
  private readonly passedOver = new Map<string, number>();

  constructor(private readonly host: WakesHost) {}

  /** A wake of a run this worker does not hold, naming `to` (undefined: any worker). */
  heard(runId: string, to: string[] | undefined): void {
    const { identity, bell } = this.host;
    const named = to && this.skipPassedOver(to);
    if (!named) bell.ring();
    else if (named[0] === identity) {
      if (named.length > 1 && this.taken >= this.host.room()) this.pass(runId, named.slice(1));
      else {
        this.taken++;
        bell.ring();
      }
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
    const dueBy = performance.now() - WAKE_FALLBACK_MS;
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

  /** If this fails, the second worker's fallback still claims the run. */
  private pass(runId: string, to: string[]): void {
    this.host.store
      .passWake(runId, to)
      .catch((err) => this.host.logger.warn({ err, runId, to }, 'passing a wake on failed'));
  }
}

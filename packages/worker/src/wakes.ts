import type { Logger, Store } from '@reel/sdk';
import type { Doorbell } from './doorbell.ts';
import { timerDelay } from './driver-timers.ts';

/**
 * How long the second worker a wake names waits before claiming the run in case the first neither
 * claimed it nor passed the wake on (dead, or its listener reconnecting); every worker with room
 * claims at least every `pollIntervalMs` besides.
 */
const WAKE_FALLBACK_MS = 250;

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

  constructor(private readonly host: WakesHost) {}

  /** A wake of a run this worker does not hold, naming `to` (undefined: any worker). */
  heard(runId: string, to: string[] | undefined): void {
    const { identity, bell } = this.host;
    if (!to) bell.ring();
    else if (to[0] === identity) {
      if (to.length > 1 && this.taken >= this.host.room()) this.pass(runId, to.slice(1));
      else {
        this.taken++;
        bell.ring();
      }
    } else if (to[1] === identity) bell.ringAfter(WAKE_FALLBACK_MS);
  }

  /** A claim was sent: it takes every ready run told of so far, up to the free slots. */
  claiming(): void {
    this.taken = 0;
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

  /** If this fails, the second worker's fallback still claims the run. */
  private pass(runId: string, to: string[]): void {
    this.host.store
      .passWake(runId, to)
      .catch((err) => this.host.logger.warn({ err, runId, to }, 'passing a wake on failed'));
  }
}

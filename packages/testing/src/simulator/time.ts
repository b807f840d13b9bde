import { setImmediate as realSetImmediate, setTimeout as realSetTimeout } from 'node:timers';
import { type Clock, withGlobal } from '@sinonjs/fake-timers';
import { type BaseTimers, TIMER_FUNCTIONS } from './timers.ts';

// Captured when this module loads, before any fake clock is installed.
const immediate = realSetImmediate;
const timeout = realSetTimeout;
const clearRealTimeout = clearTimeout;
const clearRealImmediate = clearImmediate;

/** Why a simulation stopped. */
export type StopReason = 'done' | 'budget';

/** The time a simulation runs in, and the loop that runs it. */
export interface SimTime {
  readonly base: BaseTimers;
  /** Runs until `done()` holds, or `budget` events have fired (a simulation that makes no progress). */
  run(done: () => boolean, budget: number): Promise<StopReason>;
  /** Events fired so far. */
  readonly events: number;
  dispose(): void;
}

/**
 * Simulated time on a fake clock (`@sinonjs/fake-timers`: timers, `Date`, `performance.now`). Only
 * the loop moves it: after everything runnable has run (all microtasks drained), it fires the next
 * timer, jumping the clock to its time. Nothing else is asynchronous on the memory store, so the
 * order of events, and with it the whole run, follows from the seed.
 */
export class VirtualTime implements SimTime {
  private readonly clock: Clock;
  private readonly due: (() => void)[] = [];
  events = 0;

  constructor(startMs: number) {
    this.clock = withGlobal(globalThis).install({
      now: startMs,
      toFake: [...TIMER_FUNCTIONS, 'Date', 'performance'],
    });
  }

  readonly base: BaseTimers = {
    // Callbacks run after `next()` returns, not inside it: a timer set from one then gets no extra tick.
    schedule: (fn, ms) => {
      const id = this.clock.setTimeout(() => this.due.push(fn), ms);
      return () => this.clock.clearTimeout(id);
    },
  };

  async run(done: () => boolean, budget: number): Promise<StopReason> {
    for (;;) {
      await new Promise<void>((resolve) => immediate(resolve));
      if (done()) return 'done';
      if (this.events++ >= budget) return 'budget';
      this.clock.next();
      for (const fn of this.due.splice(0)) fn();
    }
  }

  dispose(): void {
    this.clock.uninstall();
  }
}

/** Real time, for the Postgres store: timers are the real ones, and the loop only watches. */
export class RealTime implements SimTime {
  events = 0;

  readonly base: BaseTimers = {
    schedule: (fn, ms) => {
      this.events++;
      if (ms <= 0) {
        const id = immediate(fn);
        return () => clearRealImmediate(id);
      }
      const id = timeout(fn, ms);
      return () => clearRealTimeout(id);
    },
  };

  async run(done: () => boolean, budget: number): Promise<StopReason> {
    while (!done()) {
      if (this.events >= budget) return 'budget';
      await new Promise<void>((resolve) => timeout(resolve, 20));
    }
    return 'done';
  }

  dispose(): void {}
}

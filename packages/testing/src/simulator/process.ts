import { AsyncLocalStorage } from 'node:async_hooks';
import type { ProcessTimers } from './timers.ts';

export type ProcessState = 'running' | 'frozen' | 'dead';

/**
 * One simulated OS process (a worker or a client). Its code runs only while it is `running`: every
 * timer, store answer and notification addressed to it waits while it is `frozen` (a GC pause, a
 * stopped VM) and is dropped once it is `dead`.
 */
export class SimProcess {
  state: ProcessState = 'running';
  /** Work that fell due while frozen, run in order once it resumes. */
  readonly deferred: (() => void)[] = [];
  /** The store methods it has called so far. */
  readonly called = new Set<string>();
  /** When it last resumed from a freeze (the database's time). */
  resumedAt: number | undefined;
  /** The clock it reads, if it has one of its own. */
  clock: (() => Date) | undefined;

  constructor(
    readonly name: string,
    readonly kind: 'worker' | 'client',
    /** The timers of its simulation, which its code's `setTimeout` calls go to. */
    readonly timers: ProcessTimers,
  ) {}

  get alive(): boolean {
    return this.state !== 'dead';
  }
}

const current = new AsyncLocalStorage<SimProcess>();

/** The simulated process whose code is running now (undefined: the simulator itself, or the store). */
export function currentProcess(): SimProcess | undefined {
  return current.getStore();
}

/** Runs `fn` as `proc`'s code (or as nobody's): timers it sets and calls it makes are `proc`'s. */
export function runAs<T>(proc: SimProcess | undefined, fn: () => T): T {
  return proc ? current.run(proc, fn) : current.exit(fn);
}

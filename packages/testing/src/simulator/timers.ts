import { currentProcess, runAs, type SimProcess } from './process.ts';

/** The timers underneath: the fake clock's (memory store) or the real ones (Postgres). */
export interface BaseTimers {
  /** Runs `fn` after `ms`; returns its cancellation. */
  schedule(fn: () => void, ms: number): () => void;
}

const MAX_DELAY = 2 ** 31 - 1;
let nextId = 1;

/** A timer owned by a simulated process, shaped like Node's `Timeout`. */
export class SimTimer {
  cancelled = false;
  disarm: () => void = () => {};
  private refed = true;
  readonly id = nextId++;

  constructor(
    readonly owner: SimProcess | undefined,
    readonly fn: () => void,
    readonly ms: number,
    readonly repeat: boolean,
    private readonly timers: ProcessTimers,
  ) {}

  ref(): this {
    this.refed = true;
    return this;
  }

  unref(): this {
    this.refed = false;
    return this;
  }

  hasRef(): boolean {
    return this.refed;
  }

  refresh(): this {
    this.timers.rearm(this);
    return this;
  }

  cancel(): void {
    this.timers.cancel(this);
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/**
 * The timers of one simulation's processes. A timer fires only while its process runs: it waits
 * while the process is frozen and never fires once it is dead, so a dead process starts nothing more
 * and a frozen one does nothing until it resumes.
 */
export class ProcessTimers {
  constructor(private readonly base: BaseTimers) {}

  /** Runs `fn` as `owner` after `ms`. */
  after(owner: SimProcess | undefined, ms: number, fn: () => void, repeat = false): SimTimer {
    const delay = Number.isFinite(ms) ? Math.max(0, ms) : 0;
    const timer = new SimTimer(owner, fn, delay > MAX_DELAY ? 1 : delay, repeat, this);
    this.arm(timer);
    return timer;
  }

  cancel(timer: SimTimer): void {
    timer.cancelled = true;
    timer.disarm();
  }

  rearm(timer: SimTimer): void {
    timer.disarm();
    timer.cancelled = false;
    this.arm(timer);
  }

  /** Stops `proc`: what falls due for it waits until `resume`. */
  freeze(proc: SimProcess): void {
    if (proc.state === 'running') proc.state = 'frozen';
  }

  /** Lets `proc` run again: what fell due meanwhile runs first, in order. */
  resume(proc: SimProcess): void {
    if (proc.state !== 'frozen') return;
    proc.state = 'running';
    for (const fn of proc.deferred.splice(0)) this.after(proc, 0, fn);
  }

  /** `proc` dies: nothing addressed to it runs any more. */
  kill(proc: SimProcess): void {
    proc.state = 'dead';
    proc.deferred.length = 0;
  }

  private arm(timer: SimTimer): void {
    timer.disarm = this.base.schedule(() => this.fire(timer), timer.ms);
  }

  private fire(timer: SimTimer): void {
    if (timer.cancelled) return;
    const owner = timer.owner;
    if (owner?.state === 'dead') {
      timer.cancelled = true;
      return;
    }
    if (owner?.state === 'frozen') {
      owner.deferred.push(() => this.fire(timer));
      return;
    }
    if (timer.repeat) this.arm(timer);
    else timer.cancelled = true;
    runAs(owner, timer.fn);
  }
}

let routed = 0;
let unroute: (() => void) | undefined;

/**
 * Makes the global `setTimeout` family set timers of the process whose code calls it (found through
 * `currentProcess()`), and leaves other callers to the functions in place before (fake or real).
 * Counted: the globals are restored when every caller has called the undo it got.
 */
/** The global timer functions the simulator takes over. */
export const TIMER_FUNCTIONS = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
] as const;

export function routeGlobalTimers(): () => void {
  if (routed++ === 0) {
    const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
    const names = TIMER_FUNCTIONS;
    const saved = Object.fromEntries(names.map((n) => [n, g[n] as (...args: unknown[]) => unknown]));
    const set =
      (name: string, repeat: boolean, immediate: boolean) =>
      (fn: (...a: unknown[]) => void, ...rest: unknown[]) => {
        const proc = currentProcess();
        if (!proc) return saved[name]?.(fn, ...rest);
        const ms = immediate ? 0 : Number(rest[0] ?? 0);
        const args = immediate ? rest : rest.slice(1);
        return proc.timers.after(proc, repeat ? Math.max(1, ms) : ms, () => fn(...args), repeat);
      };
    const clear = (name: string) => (t: unknown) => (t instanceof SimTimer ? t.cancel() : saved[name]?.(t));
    Object.assign(g, {
      setTimeout: set('setTimeout', false, false),
      setInterval: set('setInterval', true, false),
      setImmediate: set('setImmediate', false, true),
      clearTimeout: clear('clearTimeout'),
      clearInterval: clear('clearInterval'),
      clearImmediate: clear('clearImmediate'),
    });
    unroute = () => Object.assign(g, saved);
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (--routed === 0) unroute?.();
  };
}

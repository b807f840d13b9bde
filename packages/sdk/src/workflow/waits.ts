import type { Json } from '../codec.ts';
import type { Command } from './command.ts';
import { shielded } from './uncancellable.ts';

interface Condition {
  shielded: boolean;
  predicate: () => unknown;
  resolve(value: boolean): void;
  reject(err: unknown): void;
  timer?: Command;
}

interface SignalWaiter {
  shielded: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer?: Command;
}

/** What the waits need from the replayer that runs the code. */
export interface WaitsHost {
  /** Issues the timer command behind a wait's timeout. */
  startTimer(ms: number, signal?: string): Command;
  /** Settles a wait's timer once the wait ended first. */
  settle(cmd: number): void;
  /** Runs a signal handler as workflow code. */
  callHandler(handler: (payload: unknown) => void, payload: unknown): void;
  /** Runs a `waitFor` predicate as workflow code. */
  runGuarded<T>(fn: () => T): T;
}

/**
 * The waits that are not commands: signals (buffered until read, handed to their handler, or awaited
 * by `ctx.signal`) and `ctx.waitFor` conditions. Only a wait's timeout is a command (a timer).
 */
export class Waits {
  private readonly buffered = new Map<string, Json[]>();
  private readonly waiters = new Map<string, SignalWaiter[]>();
  private readonly handlers = new Map<string, (payload: unknown) => void>();
  private readonly conditions = new Set<Condition>();

  constructor(private readonly host: WaitsHost) {}

  /** `ctx.signal`: the oldest unread payload of `name`, else the next to arrive (`undefined` on timeout). */
  signal<T>(name: string, timeoutMs: number | undefined): Promise<T> {
    const queue = this.buffered.get(name);
    if (queue?.length) return Promise.resolve(queue.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const waiter: SignalWaiter = {
        resolve: resolve as (v: unknown) => void,
        reject,
        shielded: shielded(),
      };
      if (timeoutMs !== undefined) {
        waiter.timer = this.host.startTimer(timeoutMs, name);
        Object.assign(waiter.timer, {
          resolve: () => {
            const list = this.waiters.get(name) ?? [];
            list.splice(list.indexOf(waiter), 1);
            resolve(undefined as T);
          },
          reject,
        });
      }
      this.listOf(this.waiters, name).push(waiter);
    });
  }

  /** `ctx.onSignal`: every later signal of `name` goes to `handler`, and the unread ones now, in order. */
  onSignal(name: string, handler: (payload: unknown) => void): void {
    this.handlers.set(name, handler);
    for (const payload of this.buffered.get(name)?.splice(0) ?? []) this.host.callHandler(handler, payload);
  }

  /** `ctx.waitFor`: true once `predicate` holds (checked after every delivery), false on timeout. */
  waitFor(predicate: () => boolean, timeoutMs: number | undefined): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      const condition: Condition = { predicate, resolve, reject, shielded: shielded() };
      if (timeoutMs !== undefined) {
        condition.timer = this.host.startTimer(timeoutMs);
        Object.assign(condition.timer, {
          resolve: () => {
            this.conditions.delete(condition);
            resolve(false);
          },
          reject,
        });
      }
      this.conditions.add(condition);
    });
  }

  /** A `signal_received` event: to its handler, else to the oldest waiter, else buffered. */
  deliverSignal(name: string, payload: Json): void {
    const handler = this.handlers.get(name);
    if (handler) {
      this.host.callHandler(handler, payload);
      return;
    }
    const waiter = this.waiters.get(name)?.shift();
    if (!waiter) {
      this.listOf(this.buffered, name).push(payload);
      return;
    }
    if (waiter.timer) this.host.settle(waiter.timer.cmd);
    waiter.resolve(payload);
  }

  /** Rejects every wait not made inside `ctx.uncancellable` with `error`. */
  cancel(error: Error): void {
    for (const [name, list] of this.waiters) {
      const [keep, cancel] = partition(list, (w) => w.shielded);
      this.waiters.set(name, keep);
      for (const w of cancel) w.reject(error);
    }
    for (const c of this.conditions) {
      if (c.shielded) continue;
      this.conditions.delete(c);
      c.reject(error);
    }
  }

  /** Resolves the `waitFor` conditions that now hold; true if any did (their code must run next). */
  checkConditions(): boolean {
    if (this.conditions.size === 0) return false;
    let any = false;
    for (const condition of this.conditions) {
      let holds: boolean;
      try {
        holds = Boolean(this.host.runGuarded(condition.predicate));
      } catch (err) {
        this.conditions.delete(condition);
        condition.reject(err);
        any = true;
        continue;
      }
      if (!holds) continue;
      this.conditions.delete(condition);
      if (condition.timer) this.host.settle(condition.timer.cmd);
      condition.resolve(true);
      any = true;
    }
    return any;
  }

  /** True when no signal wait or condition is pending. */
  isEmpty(): boolean {
    return this.conditions.size === 0 && [...this.waiters.values()].every((w) => w.length === 0);
  }

  /** Signals received that no handler took and no `ctx.signal` has read yet, by name in arrival order. */
  unread(): { name: string; payload: Json }[] {
    return [...this.buffered].flatMap(([name, payloads]) => payloads.map((payload) => ({ name, payload })));
  }

  /** The list kept under `name`, created empty the first time. */
  private listOf<T>(lists: Map<string, T[]>, name: string): T[] {
    const list = lists.get(name) ?? [];
    lists.set(name, list);
    return list;
  }
}

function partition<T>(list: T[], keep: (item: T) => boolean): [T[], T[]] {
  return [list.filter(keep), list.filter((item) => !keep(item))];
}

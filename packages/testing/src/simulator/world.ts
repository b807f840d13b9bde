import { activityContext, type Store } from '@reel/sdk';
import type { ActivityHost } from './activities.ts';
import { ClientPool } from './clients.ts';
import type { Network } from './fault-store.ts';
import { Faults } from './faults.ts';
import { type Attempt, Ledger } from './ledger.ts';
import type { Plan } from './plan.ts';
import { Prng } from './prng.ts';
import { currentProcess, type SimProcess } from './process.ts';
import { StoreChecks } from './store-checks.ts';
import type { RowReader } from './store-rows.ts';
import type { ProcessTimers } from './timers.ts';
import { Trace } from './trace.ts';
import { WorkerPool } from './workers.ts';

/** How often, once the faults have stopped, the simulation looks whether everything has closed. */
const SETTLE_CHECK_MS = 250;

/**
 * One scenario's simulated world: the shared store, the network in front of it, the worker and client
 * processes, and the ledger of what they did. It plays the plan: starts the processes, runs the
 * operations and the timed freezes, stops the faults at `faultMs`, and finishes once every run has
 * closed and every operation has returned, or at the horizon.
 */
export class World implements Network, ActivityHost {
  readonly faults: Faults;
  readonly trace: Trace;
  readonly ledger = new Ledger();
  readonly checks: StoreChecks;
  readonly workers = new WorkerPool(this);
  readonly clients = new ClientPool(this);
  /** Choices made while running (latencies, faults, activity durations), apart from the plan's. */
  readonly rng: Prng;
  readonly slowMs = 1000;
  finished = false;
  /** Why it finished: `settled`, `horizon` (runs were still open) or `budget` (no progress). */
  stopReason: 'settled' | 'horizon' | 'budget' = 'settled';
  readonly notes: string[] = [];
  readonly errors: unknown[] = [];
  /** The database's time when the simulation stopped. */
  endedAt = 0;

  constructor(
    readonly plan: Plan,
    readonly base: Store,
    readonly rows: RowReader,
    readonly timers: ProcessTimers,
    /** The database's time when the scenario starts. */
    readonly startMs: number,
    /** Keep the whole trace, not only its end. */
    fullTrace = false,
  ) {
    this.trace = new Trace(fullTrace ? Number.POSITIVE_INFINITY : 400);
    this.rng = new Prng(plan.seed).fork(1);
    this.faults = new Faults(plan.rates, this.rng);
    this.checks = new StoreChecks(base, this.ledger, rows);
  }

  start(): void {
    const { plan, timers } = this;
    this.workers.startAll();
    this.clients.schedule(plan.ops);
    for (const f of plan.freezes)
      timers.after(undefined, f.at, () => {
        const running = this.workers.running();
        const proc = running[f.worker % Math.max(1, running.length)];
        if (this.faults.active && proc) this.freeze(proc, 'at a set time');
      });
    timers.after(undefined, plan.faultMs, () => {
      this.faults.active = false;
      this.trace.record('faults stop');
      timers.after(undefined, 0, () => this.settleSoon());
    });
    timers.after(undefined, plan.horizonMs, () => this.finish('horizon'));
  }

  crash(proc: SimProcess, why: string): void {
    if (!proc.alive) return;
    this.timers.kill(proc);
    this.ledger.counts.crashes++;
    this.trace.record(`${proc.name} crashes ${why}`);
    if (proc.kind === 'worker') this.workers.replace(proc);
  }

  freeze(proc: SimProcess, why: string): void {
    if (proc.state !== 'running') return;
    this.timers.freeze(proc);
    this.ledger.counts.freezes++;
    const [lo, hi] = this.plan.freezeMs;
    const ms = this.rng.int(lo, hi);
    this.trace.record(`${proc.name} freezes ${why} for ${ms} ms`);
    this.timers.after(undefined, ms, () => {
      this.trace.record(`${proc.name} resumes`);
      proc.resumedAt = Date.now();
      this.timers.resume(proc);
    });
  }

  broken(err: unknown): void {
    this.errors.push(err);
  }

  note(message: string): void {
    this.notes.push(message);
    this.trace.record(message);
  }

  /**
   * Records the attempt with its run's row as the store holds it now (the attempt waits for the read).
   */
  async attemptStarted(activity: string, key: string): Promise<void> {
    const proc = currentProcess();
    const ctx = activityContext();
    const attempt: Attempt = {
      process: proc?.name ?? '?',
      identity: this.ledger.identities.get(proc?.name ?? '') ?? '?',
      workflowId: ctx.workflowId,
      runId: ctx.runId,
      activity,
      key,
      attempt: ctx.attempt,
      at: Date.now(),
      row: undefined,
      skewMs: proc?.clock ? proc.clock().getTime() - Date.now() : 0,
      resumedAgo: proc?.resumedAt === undefined ? undefined : Date.now() - proc.resumedAt,
    };
    this.ledger.attempts.push(attempt);
    this.trace.record(`${attempt.process} runs ${activity} ${key} #${ctx.attempt}`);
    // The attempt waits for the read: on Postgres, its own outcome cannot come first. While a restarted
    // database is down the read fails, and the attempt goes unchecked.
    const row = await this.rows(ctx.runId).catch(() => undefined);
    attempt.row = row;
    const owner = this.workers.processes.find((p) => this.ledger.identities.get(p.name) === row?.leaseOwner);
    if (owner?.clock) attempt.ownerSkewMs = owner.clock().getTime() - Date.now();
  }

  workMs(): number {
    return this.rng.int(0, 80);
  }

  /** Every process dies, so that nothing of this world runs any more. */
  end(): void {
    this.finished = true;
    this.endedAt = Date.now();
    for (const p of [...this.workers.processes, ...this.clients.processes()]) this.timers.kill(p);
  }

  private finish(reason: World['stopReason']): void {
    if (this.finished) return;
    this.stopReason = reason;
    this.finished = true;
    this.trace.record(`finished: ${reason}`);
  }

  private settleSoon(): void {
    this.settle().catch((err) => this.broken(err));
  }

  /** Once the faults stop: finished when every run has closed and every operation returned. */
  private async settle(): Promise<void> {
    if (this.finished) return;
    // A restart begun while the faults lasted may still have the database down: look again later.
    const open = await this.base.list({ status: ['running', 'parked'], limit: 1 }).catch(() => undefined);
    if (open?.items.length === 0 && this.clients.settled()) this.finish('settled');
    else this.timers.after(undefined, SETTLE_CHECK_MS, () => this.settleSoon());
  }
}

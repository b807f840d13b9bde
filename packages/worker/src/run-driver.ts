import {
  type ActivityFn,
  activityOptions,
  type ClaimedRun,
  type CommitRequest,
  ErrorCodes,
  type GuardMode,
  type HistoryEvent,
  type Json,
  type OpenActivity,
  ReelError,
  type Store,
  toErrorInfo,
  toMs,
  WorkflowExecution,
  type WorkflowFn,
} from '@reel/sdk';
import { runAttempt } from './activity-runner.ts';
import type { WorkerMetrics } from './metrics.ts';
import { retryDelay } from './retry.ts';

/** What a run driver needs from its worker. */
export interface DriverHost {
  store: Store;
  clock(): Date;
  workflows: Map<string, WorkflowFn>;
  activities: Map<string, ActivityFn>;
  activityName(fn: ActivityFn): string;
  guard: GuardMode;
  /** Waits shorter than this stay in memory with the lease held; longer ones suspend the run. */
  stickyMs: number;
  /** True once the worker is shutting down: runs suspend at their next wait instead of staying. */
  readonly draining: boolean;
  /** Asks the worker to look for claimable runs at `at` (a suspended run's wake time). */
  wakeAt(at: Date): void;
  log(level: 'warn' | 'error', message: string, fields: Record<string, unknown>): void;
  metrics: WorkerMetrics;
}

const DEFAULT_START_TO_CLOSE_MS = 5 * 60_000;
const MAX_PARK_BACKOFF_MS = 10 * 60_000;

/**
 * Holds one claimed run in memory: replays it, feeds it inbox input, timer fires and activity results,
 * runs its activities, and flushes its events — always before a new side effect starts.
 * Ends (resolving `done`) when the run closes, suspends, parks, or its lease is lost.
 */
export class RunDriver {
  readonly done: Promise<void>;
  private finish!: () => void;
  private exec!: WorkflowExecution;
  private readonly running = new Map<number, AbortController>();
  private readonly consumed: string[] = [];
  private readonly seen = new Set<string>();
  private inboxVersion = 0;
  private inboxDirty = true;
  private stepping = false;
  private again = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: DriverHost,
    readonly run: ClaimedRun,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  async start(): Promise<void> {
    try {
      const history = await this.host.store.loadHistory(this.run.runId);
      this.exec = new WorkflowExecution({
        workflowId: this.run.workflowId,
        runId: this.run.runId,
        workflowType: this.run.type,
        fn: this.host.workflows.get(this.run.type) as WorkflowFn,
        history,
        clock: this.host.clock,
        activityName: (fn) => this.host.activityName(fn),
        guard: this.host.guard,
        onViolation: (err) => this.host.log('warn', err.message, this.fields()),
      });
    } catch (err) {
      this.fail(err);
      return;
    }
    this.poke();
  }

  private replayedAt: number | undefined = performance.now();

  /** Answers a query from the run's state in memory (undefined while it is still loading). */
  query(name: string, args: Json[]): { answer: Json | undefined } | undefined {
    return this.exec ? { answer: this.exec.query(name, args) } : undefined;
  }

  /** New input may be in the inbox. */
  inboxChanged(): void {
    this.inboxDirty = true;
    this.poke();
  }

  /** Stops at once without writing anything more (the lease was lost, or the worker is going away). */
  abandon(reason: string): void {
    if (this.ended) return;
    for (const controller of this.running.values())
      controller.abort(new ReelError(ErrorCodes.LEASE_LOST, reason));
    this.end();
  }

  /** Runs `step` now, or once more after the one under way. */
  poke(): void {
    if (this.ended) return;
    if (this.stepping) {
      this.again = true;
      return;
    }
    this.stepping = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.step();
        } while (this.again && !this.ended);
      } catch (err) {
        this.fail(err);
      } finally {
        this.stepping = false;
      }
    })();
  }

  private async step(): Promise<void> {
    clearTimeout(this.timer);
    if (this.inboxDirty) await this.pullInbox();
    const now = this.host.clock();
    for (const t of this.exec.openTimers()) {
      if (t.fireAt <= now) this.exec.append({ type: 'timer_fired', cmd: t.cmd });
    }
    try {
      await this.exec.advance();
      if (this.replayedAt !== undefined) {
        this.host.metrics.replayed?.(
          this.run.type,
          this.exec.log.length,
          performance.now() - this.replayedAt,
        );
        this.replayedAt = undefined;
      }
    } catch (err) {
      if (err instanceof ReelError) return this.park(err);
      throw err;
    }

    const outcome = this.exec.outcome;
    if (outcome) {
      for (const controller of this.running.values())
        controller.abort(new ReelError(ErrorCodes.CANCELLED, 'The workflow has closed.'));
      const close: CommitRequest['close'] =
        outcome.type === 'workflow_completed'
          ? { status: 'completed', result: outcome.result }
          : { status: outcome.type === 'workflow_failed' ? 'failed' : 'cancelled', error: outcome.error };
      if (await this.flush({ close })) {
        this.host.metrics.workflowClosed?.(this.run.type, close.status);
        this.end();
      }
      return;
    }

    // Activities the workflow gave up on (cancellation) are told to stop.
    for (const [cmd, controller] of this.running) {
      if (!this.exec.isOpen(cmd))
        controller.abort(
          new ReelError(ErrorCodes.CANCELLED, 'The workflow no longer waits for this activity.'),
        );
    }
    // A draining worker starts nothing new: it hands the run back, runnable now, for another worker.
    const due = this.host.draining
      ? []
      : this.exec
          .openActivities()
          .filter((a) => !this.running.has(a.cmd) && (!a.retryAt || a.retryAt <= now));
    const missing = due.find((a) => !this.host.activities.has(a.name));
    if (missing) {
      return this.park(
        new ReelError(
          ErrorCodes.UNKNOWN_ACTIVITY,
          `Workflow ${this.run.workflowId} calls activity '${missing.name}', which this worker does not register. Add it to Worker.create({ activities }) and redeploy; the workflow resumes by itself.`,
        ),
      );
    }
    if (this.exec.unflushed().length > 0 || this.consumed.length > 0) {
      if (!(await this.flush({}))) return;
    }
    for (const activity of due) this.startActivity(activity);

    const next =
      this.host.draining && this.exec.openActivities().some((a) => !this.running.has(a.cmd))
        ? now
        : this.nextWake();
    if (
      this.running.size === 0 &&
      (this.host.draining || next === undefined || next.getTime() - now.getTime() > this.host.stickyMs)
    ) {
      await this.suspend(next);
    } else if (next) {
      this.timer = setTimeout(() => this.poke(), timerDelay(next.getTime() - this.host.clock().getTime()));
    }
  }

  private async pullInbox(): Promise<void> {
    this.inboxDirty = false;
    const { items, version } = await this.host.store.readInbox(this.run.runId);
    this.inboxVersion = version;
    for (const item of items) {
      if (this.seen.has(item.id)) continue;
      this.seen.add(item.id);
      this.consumed.push(item.id);
      const event: HistoryEvent =
        item.kind === 'signal'
          ? { type: 'signal_received', name: item.name as string, payload: item.payload }
          : {
              type: 'cancel_requested',
              ...(typeof item.payload === 'string' ? { reason: item.payload } : {}),
            };
      this.exec.append(event);
    }
  }

  /** The earliest open timer or activity retry. */
  private nextWake(): Date | undefined {
    const times = [
      ...this.exec.openTimers().map((t) => t.fireAt.getTime()),
      ...this.exec
        .openActivities()
        .flatMap((a) => (a.retryAt && !this.running.has(a.cmd) ? [a.retryAt.getTime()] : [])),
    ];
    return times.length ? new Date(Math.min(...times)) : undefined;
  }

  /** Writes unflushed events (and consumed inbox items) in one fenced statement; false if the lease is lost. */
  private async flush(extra: Pick<CommitRequest, 'close' | 'release'>): Promise<boolean> {
    const events = this.exec.unflushed();
    const consumed = this.consumed.splice(0);
    const outcome = await this.host.store.commit({
      ...this.lease(),
      now: this.host.clock(),
      events,
      consumedInbox: consumed,
      ...extra,
    });
    if (outcome === 'lost') {
      this.host.log('warn', 'lost the lease of a run; another worker has it', this.fields());
      this.host.metrics.leaseLost?.(this.run.type);
      this.abandon('lease lost');
      return false;
    }
    this.exec.markFlushed(events.length);
    for (const id of consumed) this.seen.delete(id);
    if (outcome === 'kept') {
      this.inboxDirty = true;
      this.again = true;
      return false;
    }
    return true;
  }

  /** Releases the run until `wakeAt` (or until input arrives); frees its memory. */
  private async suspend(wakeAt: Date | undefined): Promise<void> {
    if (await this.flush({ release: { readyAt: wakeAt ?? null, inboxVersion: this.inboxVersion } })) {
      if (wakeAt) this.host.wakeAt(wakeAt);
      this.end();
    }
  }

  private async park(err: ReelError): Promise<void> {
    const attempts = this.run.parkAttempts;
    const retryAt = new Date(
      this.host.clock().getTime() + Math.min(1000 * 2 ** attempts, MAX_PARK_BACKOFF_MS),
    );
    this.host.log('error', `parked: ${err.message}`, { ...this.fields(), code: err.code, retryAt });
    this.host.metrics.parked?.(this.run.type, err.code);
    await this.host.store.park(this.lease(), toErrorInfo(err), this.host.clock(), retryAt);
    this.host.wakeAt(retryAt);
    this.abandon('parked');
  }

  private startActivity(activity: OpenActivity): void {
    const controller = new AbortController();
    this.running.set(activity.cmd, controller);
    const fn = this.host.activities.get(activity.name) as ActivityFn;
    const options = activityOptions(fn);
    const timeoutMs = timerDelay(
      options.startToCloseTimeout === undefined
        ? DEFAULT_START_TO_CLOSE_MS
        : toMs(options.startToCloseTimeout, 'startToCloseTimeout'),
    );
    const context = {
      workflowId: this.run.workflowId,
      runId: this.run.runId,
      activity: activity.name,
      attempt: activity.attempt,
    };
    const startedAt = performance.now();
    void runAttempt(fn, activity.args, context, timeoutMs, controller.signal)
      .then((result) => {
        this.running.delete(activity.cmd);
        const ms = performance.now() - startedAt;
        if (this.ended || !this.exec.isOpen(activity.cmd)) return;
        if (result.ok) {
          this.host.metrics.activityFinished?.(activity.name, ms, 'completed');
          this.exec.append({ type: 'activity_completed', cmd: activity.cmd, result: result.value });
        } else {
          const delay = retryDelay(options.retry, activity.attempt, result.error);
          this.host.metrics.activityFinished?.(
            activity.name,
            ms,
            delay === undefined ? 'failed' : 'retrying',
          );
          this.exec.append(
            delay === undefined
              ? {
                  type: 'activity_failed',
                  cmd: activity.cmd,
                  attempts: activity.attempt,
                  error: result.error,
                }
              : {
                  type: 'activity_retrying',
                  cmd: activity.cmd,
                  attempt: activity.attempt,
                  error: result.error,
                  retryAt: new Date(this.host.clock().getTime() + delay).toISOString(),
                },
          );
        }
        this.poke();
      })
      .catch((err) => this.fail(err));
  }

  private lease() {
    return { runId: this.run.runId, fencingToken: this.run.fencingToken };
  }

  private fields() {
    return { workflowId: this.run.workflowId, runId: this.run.runId, type: this.run.type };
  }

  private fail(err: unknown): void {
    this.host.log(
      'error',
      `run stopped on an unexpected error; it resumes after its lease expires: ${(err as Error)?.message}`,
      this.fields(),
    );
    this.abandon('unexpected error');
  }

  private end(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.finish();
  }
}

/** A delay `setTimeout` takes as meant: it fires at once for anything past 2^31-1 ms (~24.8 days). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2 ** 31 - 1);
}

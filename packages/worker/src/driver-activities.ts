import type { Context } from '@opentelemetry/api';
import {
  type ActivityFn,
  activityOptions,
  CancelledError,
  type ClaimedRun,
  ErrorCodes,
  type Logger,
  type OpenActivity,
  ReelError,
  type Store,
  type TransactionOutcome,
  type WorkflowExecution,
} from '@reel/sdk';
import { attemptEvent, attemptSettings, logFailedAttempt } from './activity-outcome.ts';
import { AttemptControl, type AttemptResult, runAttempt } from './activity-runner.ts';
import { tracedAttempt } from './activity-span.ts';
import { transactionAttempt, unsupported } from './driver-transactions.ts';
import type { WorkerMetrics } from './metrics.ts';

/** What a run's local activities need from its worker and driver. */
export interface ActivitiesHost {
  store: Store;
  activities: Map<string, ActivityFn>;
  clock(): Date;
  metrics: WorkerMetrics;
  /** Names the run on every line. */
  logger: Logger;
  /** An attempt ended and its event was appended: the driver should step. */
  finished(): void;
  /** An attempt failed in a way the engine did not expect. */
  fail(err: unknown): void;
  /** A `ctx.transaction` step found the lease lost: another worker has the run. */
  lost(): void;
  /** A `ctx.transaction` step's outcome is in the run's inbox too: the next read drops it as stale. */
  inboxChanged(): void;
  /** The activity runs on a task queue, not here. */
  isRemote(activity: { name: string }): boolean;
  /** The context the run's attempt spans are children of. */
  traceContext(): Context;
}

/**
 * The attempts of a run's activities that run in this worker. An attempt's outcome becomes an event
 * (completed, retrying at the policy's time, or failed) appended to the run's log; the driver flushes
 * it before anything that follows from it happens. The driver starts attempts only on a lease it has
 * just proved it holds.
 */
export class LocalActivities {
  private readonly running = new Map<number, RunningAttempt>();

  constructor(
    private readonly host: ActivitiesHost,
    private readonly run: ClaimedRun,
    private readonly exec: () => WorkflowExecution,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /**
   * The open local activities not running: due now if their retry time (if any) has passed. Not one
   * whose attempt ended while the step awaited something (an update's refusal, a lease check): its
   * outcome is in the log, not yet delivered, and the code still sees the attempt open.
   */
  waiting(): OpenActivity[] {
    const exec = this.exec();
    return exec.openActivities().filter((a) => {
      const logged = exec.activityState(a.cmd);
      const ended = !logged?.open || logged.attempt !== a.attempt;
      return !ended && !this.running.has(a.cmd) && !this.host.isRemote(a);
    });
  }

  due(now: Date): OpenActivity[] {
    return this.waiting().filter((a) => !a.retryAt || a.retryAt <= now);
  }

  /** When the waiting activities are due (ms), for the run's next wake. */
  retryTimes(): number[] {
    return this.waiting().flatMap((a) => (a.retryAt ? [a.retryAt.getTime()] : []));
  }

  /**
   * The error that parks a run calling an activity this worker does not register, or a
   * `ctx.transaction` step on a store with no database, if it does.
   */
  cannotRun(due: OpenActivity[]): ReelError | undefined {
    const transaction = due.find((a) => a.transaction);
    if (transaction && !this.host.store.transaction) return unsupported(transaction.name);
    const missing = due.find((a) => !this.host.activities.has(a.name));
    return (
      missing &&
      new ReelError(
        ErrorCodes.UNKNOWN_ACTIVITY,
        `Workflow ${this.run.workflowId} calls activity '${missing.name}', which this worker does not register. Add it to Worker.create({ activities }) and redeploy; the workflow resumes by itself.`,
      )
    );
  }

  /** Aborts every running attempt; their outcomes are never recorded. */
  abortAll(err: ReelError): void {
    for (const { control } of this.running.values()) control.stop(err);
  }

  /** Aborts the attempts of activities the workflow no longer waits for. */
  abortAbandoned(): void {
    for (const [cmd, { control }] of this.running) {
      if (!this.exec().isOpen(cmd))
        control.stop(new ReelError(ErrorCodes.CANCELLED, 'The workflow no longer waits for this activity.'));
    }
  }

  /**
   * Asks the running attempts a cancellation reaches (all but those under `ctx.uncancellable`) to
   * stop, through their `AbortSignal`; true while any still runs. Their outcomes are recorded when they
   * end, before the cancellation, so the code sees what they did.
   */
  cancelUnderWay(reason: string): boolean {
    let any = false;
    for (const attempt of this.running.values()) {
      if (attempt.shielded) continue;
      any = true;
      attempt.control.cancel(new CancelledError(reason));
    }
    return any;
  }

  start(activity: OpenActivity, ended: () => boolean): void {
    const control = new AttemptControl();
    this.running.set(activity.cmd, { control, shielded: activity.shielded });
    const fn = this.host.activities.get(activity.name) as ActivityFn;
    const options = activityOptions(fn);
    const exec = this.exec();
    const { timeoutMs, heartbeat } = attemptSettings(options, activity.lastHeartbeat);
    const context = {
      workflowId: this.run.workflowId,
      runId: this.run.runId,
      activity: activity.name,
      attempt: activity.attempt,
    };
    const startedAt = performance.now();
    this.host.metrics.activityStarted?.(activity.name);
    const lease = { runId: this.run.runId, fencingToken: this.run.fencingToken };
    const transaction = activity.transaction
      ? transactionAttempt(this.host.store, lease, activity, () => this.host.clock(), fn)
      : undefined;
    const finish = (attempt: AttemptResult, committed?: TransactionOutcome) => {
      this.running.delete(activity.cmd);
      if (committed?.outcome === 'lost') return this.host.lost();
      if (committed?.outcome === 'unknown') return this.host.fail(committed.error);
      const result: AttemptResult = committed ? { ok: true, value: committed.value } : attempt;
      if (ended() || !exec.isOpen(activity.cmd)) return;
      const now = this.host.clock();
      const event = attemptEvent(activity, result, options.retry, now);
      if (!result.ok) {
        const retryAt = event.type === 'activity_retrying' ? Date.parse(event.retryAt) : undefined;
        logFailedAttempt(
          this.host.logger,
          activity,
          result.error,
          retryAt === undefined ? undefined : retryAt - now.getTime(),
        );
      }
      this.host.metrics.activityFinished?.(
        activity.name,
        performance.now() - startedAt,
        event.type === 'activity_completed'
          ? 'completed'
          : event.type === 'activity_retrying'
            ? 'retrying'
            : 'failed',
      );
      exec.append(event);
      if (committed) this.host.inboxChanged();
      this.host.finished();
    };
    // An attempt without a transaction finishes in the same turn it settles: no promise of its own.
    void tracedAttempt(this.host.traceContext(), context, () =>
      runAttempt(transaction?.run ?? fn, activity.args, context, timeoutMs, control, heartbeat),
    )
      .then((attempt) =>
        transaction ? transaction.settled().then((committed) => finish(attempt, committed)) : finish(attempt),
      )
      .catch((err) => this.host.fail(err));
  }
}

interface RunningAttempt {
  control: AttemptControl;
  shielded: boolean;
}

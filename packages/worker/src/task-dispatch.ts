import {
  type ActivityFn,
  type ActivityOptions,
  type ActivityResultPayload,
  type AttemptLimits,
  activityOptions,
  attemptLimits,
  attemptQueue,
  type ClaimedRun,
  errorFields,
  type HistoryEvent,
  type Json,
  type Logger,
  ReelError,
  type Store,
  type TraceCarrier,
  type WorkflowExecution,
} from '@reel/sdk';
import { attemptEvent } from './activity-outcome.ts';
import type { AttemptResult } from './activity-runner.ts';

/** What a run's task dispatch needs from its worker. */
export interface DispatchHost {
  store: Store;
  clock(): Date;
  activities: Map<string, ActivityFn>;
  /** Names the run on every line. */
  logger: Logger;
  /** The run segment's span, stored with each task as the parent of its attempt's span. */
  traceCarrier(): TraceCarrier | undefined;
}

/**
 * The workflow side of task queues, one per run driver. Activities defined with a `taskQueue`, a
 * `concurrency` or a `rateLimit` do not run here: once the event that scheduled an attempt is
 * durable, `sync` enqueues a task for it (with its limits' keys, computed from its arguments); a
 * worker serving the queue runs it and reports to the run's inbox; `resultEvent` turns that report
 * into the same events a local attempt produces, by the same retry policy. The run meanwhile
 * stays in memory up to `stickyMs` (`stayUntil`), then suspends like any wait: the inbox insert
 * wakes it.
 */
export class TaskDispatch {
  /** The attempt this driver enqueued, and from when it is available, by command. */
  private readonly enqueued = new Map<number, { attempt: number; availableAt: Date }>();
  /** Set once `sync` has run: the execution has delivered its history, so `isOpen` is reliable. */
  private synced = false;
  /** When the run began waiting on attempts it enqueued, while it still does (ms). */
  private waitingSince: number | undefined;

  constructor(
    private readonly host: DispatchHost,
    private readonly run: ClaimedRun,
    private readonly exec: () => WorkflowExecution,
  ) {}

  /** Whether the activity runs on a task queue, by the options of the function registered as `name`. */
  isRemote(activity: { name: string }): boolean {
    return attemptQueue(this.optionsOf(activity.name)) !== undefined;
  }

  /**
   * Call after a flush (the events are durable): enqueues each open task-queue activity's current
   * attempt, once, and deletes the tasks of activities the workflow gave up on. An enqueue that fails
   * throws: the run must not suspend waiting on a task that does not exist. Returns the error that
   * parks the run when a limit's key function gives no key (`REEL_INVALID_ARGUMENT`). A retry now
   * read after its attempt was queued (it may come before the first enqueue) makes the queued task
   * claimable now; a driver new to the run does so for every due retry, not knowing when its task
   * was queued for. Undefined at once when the run has no task-queue activity open or enqueued.
   */
  sync(): Promise<ReelError | undefined> | undefined {
    // Most runs have none: nothing to do, and nothing to await.
    if (
      this.enqueued.size === 0 &&
      !this.exec()
        .openActivities()
        .some((a) => this.isRemote(a))
    ) {
      this.synced = true;
      return undefined;
    }
    return this.enqueueOpen();
  }

  private async enqueueOpen(): Promise<ReelError | undefined> {
    const exec = this.exec();
    const now = this.host.clock();
    const trace = this.host.traceCarrier();
    const lease = { runId: this.run.runId, fencingToken: this.run.fencingToken };
    let dueNow = false;
    for (const a of exec.openActivities()) {
      const options = this.optionsOf(a.name);
      const queue = attemptQueue(options);
      if (queue === undefined) continue;
      const availableAt = a.retryAt && a.retryAt > now ? a.retryAt : now;
      const last = this.enqueued.get(a.cmd);
      if (last?.attempt === a.attempt) {
        if (availableAt < last.availableAt) dueNow = true;
        last.availableAt = availableAt;
        continue;
      }
      if (!this.synced && a.retryAt && a.retryAt <= now) dueNow = true;
      let limits: AttemptLimits;
      try {
        limits = attemptLimits(a.name, options, a.args);
      } catch (err) {
        if (err instanceof ReelError) return err;
        throw err;
      }
      const heartbeat = a.lastHeartbeat;
      await this.host.store.enqueueTask(
        lease,
        {
          runId: this.run.runId,
          cmd: a.cmd,
          attempt: a.attempt,
          name: a.name,
          args: a.args,
          queue,
          ...limits,
          availableAt,
          ...(heartbeat === undefined ? {} : { lastHeartbeat: heartbeat }),
          ...(trace ? { trace } : {}),
        },
        now,
        // A driver that took the run over may meet attempts an earlier one queued.
        { inherited: !this.synced && this.run.fencingToken > 1 },
      );
      this.enqueued.set(a.cmd, { attempt: a.attempt, availableAt });
    }
    // An update, never an enqueue again: an enqueue could queue once more an attempt just completed.
    if (dueNow) await this.host.store.tasksDueNow(lease, now);
    this.synced = true;
    // Settled without a result (cancelled): its task, if still queued or running, is deleted.
    const abandoned: number[] = [];
    for (const cmd of this.enqueued.keys()) {
      if (exec.isOpen(cmd)) continue;
      this.enqueued.delete(cmd);
      if (exec.activityState(cmd)?.open) abandoned.push(cmd);
    }
    if (abandoned.length > 0) await this.deleteTasks(abandoned);
    return undefined;
  }

  /**
   * While an attempt this driver enqueued is under way (not waiting out a backoff): until when the
   * run may stay in memory for its outcome, `stickyMs` after it began waiting. Staying spares a
   * release, a claim and a replay when the outcome comes soon, as for a short timer.
   */
  stayUntil(now: Date, stickyMs: number): Date | undefined {
    const underWay = this.exec()
      .openActivities()
      .some((a) => this.enqueued.get(a.cmd)?.attempt === a.attempt && !(a.retryAt && a.retryAt > now));
    if (!underWay) {
      this.waitingSince = undefined;
      return undefined;
    }
    this.waitingSince ??= now.getTime();
    return new Date(this.waitingSince + stickyMs);
  }

  /**
   * The event recording a task's reported outcome, or `undefined` when the report is stale: the
   * activity is no longer open, the code no longer waits for it (a cancellation reached it first),
   * or the report is for another attempt than the current one. `'later'` while a driver new to the
   * run has not delivered its history to the code, before which whether the code waits is not known.
   */
  resultEvent(payload: Json): HistoryEvent | undefined | 'later' {
    const p = payload as unknown as ActivityResultPayload;
    const exec = this.exec();
    const state = exec.activityState(p.cmd);
    if (!state?.open || state.attempt !== p.attempt) return undefined;
    if (!this.synced && exec.hasUndelivered()) return 'later';
    if (!exec.isOpen(p.cmd)) return undefined;
    const fn = this.host.activities.get(state.name);
    const result: AttemptResult = p.ok ? { ok: true, value: p.result } : { ok: false, error: p.error };
    return attemptEvent(p, result, fn && activityOptions(fn).retry, this.host.clock());
  }

  /** Call once the run has closed: deletes the tasks of task-queue activities it left open. */
  async closed(): Promise<void> {
    // One pass over the log: the activities scheduled and not yet ended.
    const open = new Map<number, string>();
    for (const e of this.exec().log) {
      if (e.type === 'activity_scheduled') open.set(e.cmd, e.name);
      else if (e.type === 'activity_completed' || e.type === 'activity_failed') open.delete(e.cmd);
    }
    if ([...open.values()].some((name) => this.isRemote({ name }))) await this.deleteTasks();
  }

  /** The options of the function registered as `name` (`{}` if none is). */
  private optionsOf(name: string): ActivityOptions {
    const fn = this.host.activities.get(name);
    return fn ? activityOptions(fn) : {};
  }

  /** Best effort: a task left behind runs once more, and its result is dropped as stale. */
  private async deleteTasks(cmds?: number[]): Promise<void> {
    try {
      await this.host.store.deleteTasks(this.run.runId, cmds);
    } catch (err) {
      this.host.logger.warn({ err: errorFields(err) }, 'could not delete the tasks of a run');
    }
  }
}

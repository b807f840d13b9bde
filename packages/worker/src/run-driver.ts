import { randomUUID } from 'node:crypto';
import {
  type ActivityFn,
  activityOptions,
  type ClaimedRun,
  type ClosedRun,
  type CommitRequest,
  ErrorCodes,
  type ErrorInfo,
  type GuardMode,
  type HistoryEvent,
  type InboxItem,
  type Json,
  type OpenActivity,
  type RecordedEvent,
  ReelError,
  type Store,
  toErrorInfo,
  WorkflowExecution,
  type WorkflowFn,
} from '@reel/sdk';
import { attemptEvent, attemptSettings, lastHeartbeat } from './activity-outcome.ts';
import { runAttempt } from './activity-runner.ts';
import type { WorkerMetrics } from './metrics.ts';
import { TaskDispatch } from './task-dispatch.ts';

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

const MAX_PARK_BACKOFF_MS = 10 * 60_000;

/**
 * Holds one claimed run in memory: replays it, feeds it inbox input, timer fires and activity results,
 * runs its activities, and flushes its events — always before a new side effect starts.
 * Ends when the run closes, suspends, parks, or its lease is lost; `done` then resolves with the run
 * if it closed here (durably), else undefined.
 */
export class RunDriver {
  readonly done: Promise<ClosedRun | undefined>;
  private finish!: (closed: ClosedRun | undefined) => void;
  private exec!: WorkflowExecution;
  private readonly running = new Map<number, AbortController>();
  private readonly consumed: string[] = [];
  private readonly seen = new Set<string>();
  private readonly startingChildren = new Set<number>();
  private cancelChildrenPending = false;
  /** When the run was claimed, until its first replay is reported to the metrics. */
  private replayedAt: number | undefined = performance.now();
  private inboxVersion = 0;
  private inboxDirty = true;
  private stepping = false;
  private again = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  /** Activities that run on a task queue: enqueued as tasks, their outcomes read from the inbox. */
  private readonly tasks: TaskDispatch;

  constructor(
    private readonly host: DriverHost,
    readonly run: ClaimedRun,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.tasks = new TaskDispatch(host, run, () => this.exec);
  }

  /** Loads the run's history and inbox, or takes `fresh`: the history of a run just started, inbox empty. */
  async start(fresh?: RecordedEvent[]): Promise<void> {
    try {
      // History and inbox are read in parallel: one round trip of latency instead of two.
      this.inboxDirty = false;
      const [history, inbox] = fresh
        ? [fresh, { items: [], version: 0 }]
        : await Promise.all([
            this.host.store.loadHistory(this.run.runId),
            this.host.store.readInbox(this.run.runId),
          ]);
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
      this.applyInbox(inbox);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.poke();
  }

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

  /**
   * Stops (aborting running activities, whose results are then never recorded) and releases the run,
   * claimable at once. Events not yet flushed are dropped: a replay recreates them.
   */
  async handBack(reason: string): Promise<void> {
    this.abandon(reason);
    const now = this.host.clock();
    await this.host.store
      .commit({
        ...this.lease(),
        now,
        events: [],
        consumedInbox: [],
        release: { readyAt: now, inboxVersion: this.inboxVersion },
      })
      .catch(() => undefined); // the lease lapses anyway
  }

  /** Runs `step` now, or once more after the one under way. */
  poke(): void {
    // Before start() has loaded the history there is nothing to step; start() pokes when it has.
    if (this.ended || !this.exec) return;
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
    const deadline = this.exec.deadline;
    if (deadline && deadline <= now) this.exec.timeOut();
    try {
      await this.exec.advance();
      if (this.cancelChildrenPending) {
        this.cancelChildrenPending = false;
        await this.cancelChildren();
      }
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
      if (outcome.type === 'workflow_continued_as_new') return this.continueAsNew(outcome.input);
      const close: CommitRequest['close'] =
        outcome.type === 'workflow_completed'
          ? { status: 'completed', result: outcome.result }
          : { status: outcome.type === 'workflow_failed' ? 'failed' : 'cancelled', error: outcome.error };
      if (await this.flush({ close })) {
        this.host.metrics.workflowClosed?.(this.run.type, close.status);
        await this.tasks.closed();
        await this.closeChildren();
        // As a client would read it back: a JSON copy.
        const copy = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
        const { workflowId } = this.run;
        this.end({ workflowId, status: close.status, result: copy(close.result), error: copy(close.error) });
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
          .filter(
            (a) => !this.running.has(a.cmd) && !this.tasks.isRemote(a) && (!a.retryAt || a.retryAt <= now),
          );
    const missing = due.find((a) => !this.host.activities.has(a.name));
    if (missing) {
      return this.park(
        new ReelError(
          ErrorCodes.UNKNOWN_ACTIVITY,
          `Workflow ${this.run.workflowId} calls activity '${missing.name}', which this worker does not register. Add it to Worker.create({ activities }) and redeploy; the workflow resumes by itself.`,
        ),
      );
    }
    // What led to the due activities must be durable before they start. The run's first activities
    // follow from `workflow_started` alone, which is durable since `start`: their `activity_scheduled`
    // events may wait and go with the first result. Later commands go with the event that led to them,
    // which replay relies on to tell a changed workflow from an unflushed one (`WorkflowExecution`).
    const unflushed = this.exec.unflushed();
    const firstCommands =
      this.exec.log.length - unflushed.length === 1 &&
      unflushed.every((e) => due.some((a) => e.type === 'activity_scheduled' && e.cmd === a.cmd));
    if ((unflushed.length > 0 && !firstCommands) || this.consumed.length > 0) {
      if (!(await this.flush({}))) return;
    }
    for (const activity of due) this.startActivity(activity);
    await this.tasks.sync();
    // Started children appended `child_started` events: deliver them before deciding to wait.
    if (!this.host.draining && (await this.startChildren())) {
      this.again = true;
      return;
    }

    // An activity that finished while this step awaited a flush appended its result: it must reach
    // the code before the run may wait, or releasing the run would strand it with a result unseen.
    if (this.exec.hasUndelivered()) {
      this.again = true;
      return;
    }
    const next =
      this.host.draining &&
      this.exec.openActivities().some((a) => !this.running.has(a.cmd) && !this.tasks.isRemote(a))
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
    this.applyInbox(await this.host.store.readInbox(this.run.runId));
  }

  /** Turns new inbox items into history events (they are deleted when those events are flushed). */
  private applyInbox({ items, version }: { items: InboxItem[]; version: number }): void {
    this.inboxVersion = version;
    for (const item of items) {
      if (this.seen.has(item.id)) continue;
      this.seen.add(item.id);
      this.consumed.push(item.id);
      if (item.kind === 'activity_result') {
        const result = this.tasks.resultEvent(item.payload); // undefined: stale, dropped
        if (result) this.exec.append(result);
        continue;
      }
      const event = inboxEvent(item);
      this.exec.append(event);
      // Children are known only once history has replayed: cancel them after the next advance.
      if (event.type === 'cancel_requested') this.cancelChildrenPending = true;
    }
  }

  /** Cancellation reaches the run's children too. */
  private async cancelChildren(): Promise<void> {
    for (const child of this.exec.openChildren()) {
      if (child.runId && !child.shielded)
        await this.host.store.enqueue(
          child.workflowId,
          { kind: 'cancel', name: null, payload: 'parent cancelled' },
          this.host.clock(),
        );
    }
  }

  /** Starts the children whose `child_scheduled` is durable and that have not started; true if any did. */
  private async startChildren(): Promise<boolean> {
    let any = false;
    for (const child of this.exec.openChildren()) {
      // Not started yet and already given up on (the parent was cancelled): never start it.
      if (child.runId || this.startingChildren.has(child.cmd) || this.exec.isSettled(child.cmd)) continue;
      this.startingChildren.add(child.cmd);
      // Started before a crash, then closed? It is ours by its parent link: never start it twice.
      const before = await this.host.store.describe(child.workflowId);
      if (before?.parentRunId === this.run.runId) {
        this.exec.append({ type: 'child_started', cmd: child.cmd, runId: before.runId });
        any = true;
        continue;
      }
      const started = await this.host.store.start({
        workflowId: child.workflowId,
        runId: randomUUID(),
        type: child.workflowType,
        input: child.input,
        now: this.host.clock(),
        newRun: true,
        parent: { runId: this.run.runId, cmd: child.cmd, closePolicy: child.parentClosePolicy },
      });
      const ours =
        started.created ||
        (await this.host.store.describe(child.workflowId, started.runId))?.parentRunId === this.run.runId;
      if (!started.knownType) {
        this.exec.append({
          type: 'child_failed',
          cmd: child.cmd,
          status: 'failed',
          error: toErrorInfo(
            new ReelError(
              ErrorCodes.UNKNOWN_WORKFLOW_TYPE,
              `No worker has registered workflow type '${child.workflowType}'.`,
            ),
          ),
        });
      } else if (!ours) {
        this.exec.append({
          type: 'child_failed',
          cmd: child.cmd,
          status: 'failed',
          error: toErrorInfo(
            new ReelError(
              ErrorCodes.WORKFLOW_ALREADY_STARTED,
              `Workflow id ${child.workflowId} is already used by another run.`,
            ),
          ),
        });
      } else {
        this.exec.append({ type: 'child_started', cmd: child.cmd, runId: started.runId });
      }
      any = true;
    }
    return any;
  }

  /** After the parent closed: what happens to children still running, per their policy. */
  private async closeChildren(): Promise<void> {
    const now = this.host.clock();
    for (const child of this.exec.openChildren()) {
      if (!child.runId || child.parentClosePolicy === 'abandon') continue;
      if (child.parentClosePolicy === 'terminate')
        await this.host.store.terminate(child.workflowId, 'its parent closed', now);
      else
        await this.host.store.enqueue(
          child.workflowId,
          { kind: 'cancel', name: null, payload: 'its parent closed' },
          now,
        );
    }
  }

  /** The earliest open timer or activity retry. */
  private nextWake(): Date | undefined {
    const times = [
      ...this.exec.openTimers().map((t) => t.fireAt.getTime()),
      ...(this.exec.deadline ? [this.exec.deadline.getTime()] : []),
      ...this.exec
        .openActivities()
        // a task-queue activity's retry time is its task's: the task's outcome wakes the run
        .flatMap((a) =>
          a.retryAt && !this.running.has(a.cmd) && !this.tasks.isRemote(a) ? [a.retryAt.getTime()] : [],
        ),
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

  /** Closes this run as `continued` and starts its successor, in one fenced statement. */
  private async continueAsNew(input: Json | undefined): Promise<void> {
    const events = this.exec.unflushed();
    const outcome = await this.host.store.continueAsNew({
      ...this.lease(),
      now: this.host.clock(),
      events,
      consumedInbox: this.consumed.splice(0),
      newRunId: randomUUID(),
      input,
    });
    if (outcome === 'lost') {
      this.host.metrics.leaseLost?.(this.run.type);
      return this.abandon('lease lost');
    }
    await this.closeChildren();
    await this.tasks.closed();
    this.end();
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
    const { timeoutMs, heartbeat } = attemptSettings(options, lastHeartbeat(this.exec.log, activity.cmd));
    const context = {
      workflowId: this.run.workflowId,
      runId: this.run.runId,
      activity: activity.name,
      attempt: activity.attempt,
    };
    const startedAt = performance.now();
    void runAttempt(fn, activity.args, context, timeoutMs, controller.signal, heartbeat)
      .then((result) => {
        this.running.delete(activity.cmd);
        const ms = performance.now() - startedAt;
        if (this.ended || !this.exec.isOpen(activity.cmd)) return;
        const event = attemptEvent(activity, result, options.retry, this.host.clock());
        const outcome =
          event.type === 'activity_completed'
            ? 'completed'
            : event.type === 'activity_retrying'
              ? 'retrying'
              : 'failed';
        this.host.metrics.activityFinished?.(activity.name, ms, outcome);
        this.exec.append(event);
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

  private end(closed?: ClosedRun): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.finish(closed);
  }
}

/** The history event an inbox item becomes. */
function inboxEvent(item: InboxItem): HistoryEvent {
  switch (item.kind) {
    case 'signal':
      return { type: 'signal_received', name: item.name as string, payload: item.payload };
    case 'cancel':
      return {
        type: 'cancel_requested',
        ...(typeof item.payload === 'string' ? { reason: item.payload } : {}),
      };
    case 'child': {
      const outcome = item.payload as unknown as {
        cmd: number;
        status: string;
        result?: Json;
        error?: ErrorInfo;
      };
      return outcome.status === 'completed'
        ? { type: 'child_completed', cmd: outcome.cmd, result: outcome.result ?? undefined }
        : {
            type: 'child_failed',
            cmd: outcome.cmd,
            status: outcome.status,
            error: outcome.error ?? { name: 'Error', message: outcome.status },
          };
    }
    default:
      throw new Error(`unknown inbox item kind ${item.kind}`);
  }
}

/** A delay `setTimeout` takes as meant: it fires at once for anything past 2^31-1 ms (~24.8 days). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2 ** 31 - 1);
}

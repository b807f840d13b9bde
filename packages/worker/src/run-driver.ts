import { randomUUID } from 'node:crypto';
import {
  type ActivityFn,
  type ClaimedRun,
  type ClosedRun,
  type CommitOutcome,
  type CommitRequest,
  ErrorCodes,
  type GuardMode,
  type Json,
  type Lease,
  type Outcome,
  type RecordedEvent,
  ReelError,
  type Store,
  toErrorInfo,
  WorkflowExecution,
  type WorkflowFn,
} from '@reel/sdk';
import { LocalActivities } from './driver-activities.ts';
import { DriverChildren } from './driver-children.ts';
import { DriverInbox, inboxEvent } from './driver-inbox.ts';
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
  leaseMs: number;
  /** True once the worker is shutting down: runs suspend at their next wait instead of staying. */
  readonly draining: boolean;
  /** Asks the worker to look for claimable runs at `at` (a suspended run's wake time). */
  wakeAt(at: Date): void;
  /** Extends one lease now (a fenced write); false if it was lost. */
  renew(lease: Lease): Promise<boolean>;
  log(level: 'warn' | 'error', message: string, fields: Record<string, unknown>): void;
  metrics: WorkerMetrics;
}

const MAX_PARK_BACKOFF_MS = 10 * 60_000;

/**
 * Holds one claimed run in memory: replays it, feeds it inbox input, timer fires and activity results,
 * flushes its events, and only then starts what follows from them (activities, children, cancellation
 * of children), on a lease it has proven since its last wait. Ends when the run closes, suspends, parks,
 * or its lease is lost; `done` then resolves with the run if it closed here (durably), else undefined.
 */
export class RunDriver {
  readonly done: Promise<ClosedRun | undefined>;
  private finish!: (closed: ClosedRun | undefined) => void;
  private exec!: WorkflowExecution;
  private readonly inbox = new DriverInbox();
  private readonly activities: LocalActivities;
  private readonly children: DriverChildren;
  /** Activities that run on a task queue: enqueued as tasks, their outcomes read from the inbox. */
  private readonly tasks: TaskDispatch;
  private cancelChildrenPending = false;
  /** When the run was claimed, until its first replay is reported to the metrics. */
  private replayedAt: number | undefined = performance.now();
  /** A fenced write (the claim, a flush, a renewal) succeeded since the run last waited. */
  private fenced = true;
  /** Queries waiting for the run's state to be durable. */
  private readonly durableWaiters: (() => void)[] = [];
  private stepping = false;
  private again = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  /** `leaseDeadline`: `performance.now()` before which the lease is surely held (claim sent + lease). */
  constructor(
    private readonly host: DriverHost,
    readonly run: ClaimedRun,
    private leaseDeadline: number,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    const exec = () => this.exec;
    this.tasks = new TaskDispatch(host, run, exec);
    this.children = new DriverChildren(host, run, exec);
    this.activities = new LocalActivities(
      { ...host, finished: () => this.poke(), fail: (err) => this.fail(err) },
      run,
      exec,
    );
  }

  /** Loads the run's history and inbox, or takes `fresh`: the history of a run just started, inbox empty. */
  async start(fresh?: RecordedEvent[]): Promise<void> {
    try {
      // History and inbox are read in parallel: one round trip of latency instead of two.
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
      // A cancellation recorded before a crash may not have reached the children: pass it on again.
      this.cancelChildrenPending = history.some((e) => e.type === 'cancel_requested');
      this.applyInbox(inbox);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.poke();
  }

  /**
   * Answers a query from the run's state in memory once everything the code has received is durable,
   * so an answer never shows progress a crash could undo; undefined if the run is let go first.
   */
  async query(name: string, args: Json[]): Promise<{ answer: Json | undefined } | undefined> {
    while (!this.ended && !this.exec?.deliveredIsDurable())
      await new Promise<void>((resolve) => this.durableWaiters.push(resolve));
    return this.ended ? undefined : { answer: this.exec.query(name, args) };
  }

  /** New input may be in the inbox. */
  inboxChanged(): void {
    this.inbox.dirty = true;
    this.poke();
  }

  /** The worker renewed this run's lease: it is held until `deadline` (`performance.now()` time). */
  renewed(deadline: number): void {
    this.leaseDeadline = Math.max(this.leaseDeadline, deadline);
  }

  /** Stops at once without writing anything more (the lease was lost, or the worker is going away). */
  abandon(reason: string): void {
    if (this.ended) return;
    this.activities.abortAll(new ReelError(ErrorCodes.LEASE_LOST, reason));
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
        release: { readyAt: now, inboxVersion: this.inbox.version },
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
    if (this.inbox.dirty) this.applyInbox(await this.host.store.readInbox(this.run.runId));
    const now = this.host.clock();
    for (const t of this.exec.openTimers()) {
      if (t.fireAt <= now) this.exec.append({ type: 'timer_fired', cmd: t.cmd });
    }
    try {
      await this.exec.advance();
      // Past its execution timeout, a run ends where it stands, after what it has already received.
      const deadline = this.exec.deadline;
      if (deadline && deadline <= now && !this.exec.outcome) this.exec.timeOut();
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
    if (this.exec.outcome) return this.close(this.exec.outcome);

    this.activities.abortAbandoned();
    // A draining worker starts nothing new: it hands the run back, runnable now, for another worker.
    const due = this.host.draining
      ? []
      : this.exec
          .openActivities()
          .filter(
            (a) =>
              !this.activities.isRunning(a.cmd) &&
              !this.tasks.isRemote(a) &&
              (!a.retryAt || a.retryAt <= now),
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
    if ((unflushed.length > 0 && !firstCommands) || this.inbox.pending) {
      if ((await this.flush({})) !== 'ok') return;
    }
    const startChildren = !this.host.draining && this.children.unstarted();
    if (due.length > 0 || startChildren || this.cancelChildrenPending) {
      if (!(await this.leaseHeld())) return;
    }
    if (this.cancelChildrenPending) {
      this.cancelChildrenPending = false;
      await this.children.cancel();
    }
    for (const activity of due) this.activities.start(activity, () => this.ended);
    await this.tasks.sync();
    // Started children appended `child_started` events: deliver them before deciding to wait.
    if (startChildren && (await this.children.start())) {
      this.again = true;
      return;
    }
    // An activity that finished while this step awaited a flush appended its result: it must reach
    // the code before the run may wait, or releasing the run would strand it with a result unseen.
    if (this.exec.hasUndelivered()) {
      this.again = true;
      return;
    }
    await this.wait(now);
  }

  /** Stays (sticky, or activities in flight) with a timer for the next wake time, or suspends. */
  private async wait(now: Date): Promise<void> {
    this.fenced = false;
    const localDue =
      this.host.draining &&
      this.exec.openActivities().some((a) => !this.activities.isRunning(a.cmd) && !this.tasks.isRemote(a));
    const next = localDue ? now : this.nextWake();
    if (
      this.activities.size === 0 &&
      (this.host.draining || next === undefined || next.getTime() - now.getTime() > this.host.stickyMs)
    ) {
      await this.suspend(next);
    } else if (next) {
      this.timer = setTimeout(() => this.poke(), timerDelay(next.getTime() - this.host.clock().getTime()));
    }
  }

  /**
   * Before a side effect: true once a fenced write has succeeded since the run last waited and the
   * lease outlasts a margin; otherwise renews the lease first. A worker paused past its lease (a
   * zombie) thus learns it lost the run before it starts anything, not after.
   */
  private async leaseHeld(): Promise<boolean> {
    if (this.fenced && performance.now() < this.leaseDeadline - this.host.leaseMs / 3) return true;
    const sentAt = performance.now();
    if (!(await this.host.renew(this.lease()))) {
      this.lost();
      return false;
    }
    this.renewed(sentAt + this.host.leaseMs);
    this.fenced = true;
    return true;
  }

  /** Turns new inbox items into history events (they are deleted when those events are flushed). */
  private applyInbox(read: Parameters<DriverInbox['take']>[0]): void {
    for (const item of this.inbox.take(read)) {
      if (item.kind === 'activity_result') {
        const result = this.tasks.resultEvent(item.payload); // undefined: stale, dropped
        if (result) this.exec.append(result);
        continue;
      }
      const event = this.exec.append(inboxEvent(item));
      // Children are known only once history has replayed: cancel them after the next advance.
      if (event.type === 'cancel_requested') this.cancelChildrenPending = true;
    }
  }

  /**
   * The code has ended: start the children it scheduled and never saw start (each scheduled child has
   * its run), then close the run, or continue it as new, and apply its children's parent-close policy.
   */
  private async close(outcome: Outcome): Promise<void> {
    this.activities.abortAll(new ReelError(ErrorCodes.CANCELLED, 'The workflow has closed.'));
    if (this.children.unstarted()) {
      if ((await this.flush({})) !== 'ok' || !(await this.leaseHeld())) return;
      await this.children.start();
    }
    if (outcome.type === 'workflow_continued_as_new') return this.continueAsNew(outcome.input);
    const close: NonNullable<CommitRequest['close']> =
      outcome.type === 'workflow_completed'
        ? { status: 'completed', result: outcome.result, inboxVersion: this.inbox.version }
        : {
            status: outcome.type === 'workflow_failed' ? 'failed' : 'cancelled',
            error: outcome.error,
            inboxVersion: this.inbox.version,
          };
    const closing = this.exec.append(outcome);
    const written = await this.flush({ close });
    if (written === 'unread') this.exec.retract(closing); // the input goes into history first
    if (written !== 'ok') return;
    this.host.metrics.workflowClosed?.(this.run.type, close.status);
    await this.tasks.closed();
    await this.childrenAfterClose();
    // As a client would read it back: a JSON copy.
    const copy = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
    const { workflowId } = this.run;
    this.end({ workflowId, status: close.status, result: copy(close.result), error: copy(close.error) });
  }

  /** Closes this run as `continued` and starts its successor, in one fenced statement. */
  private async continueAsNew(input: Json | undefined): Promise<void> {
    const events = [...this.exec.unflushed(), this.exec.append({ type: 'workflow_continued_as_new', input })];
    const outcome = await this.host.store.continueAsNew({
      ...this.lease(),
      now: this.host.clock(),
      events,
      consumedInbox: this.inbox.drain(),
      newRunId: randomUUID(),
      input,
    });
    if (outcome === 'lost') return this.lost();
    await this.childrenAfterClose();
    await this.tasks.closed();
    this.end();
  }

  /** Once the run is closed (durably): a cancellation it received, then each child's parent-close policy. */
  private async childrenAfterClose(): Promise<void> {
    if (this.cancelChildrenPending) await this.children.cancel();
    await this.children.parentClosed();
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
          a.retryAt && !this.activities.isRunning(a.cmd) && !this.tasks.isRemote(a)
            ? [a.retryAt.getTime()]
            : [],
        ),
    ];
    return times.length ? new Date(Math.min(...times)) : undefined;
  }

  /**
   * Writes unflushed events (and consumed inbox items) in one fenced statement. `ok`; `kept` (a release
   * refused: new input, read it); `unread` (a close refused, nothing written: new input); `lost`.
   */
  private async flush(extra: Pick<CommitRequest, 'close' | 'release'>): Promise<CommitOutcome> {
    const events = this.exec.unflushed();
    const consumed = this.inbox.drain();
    const outcome = await this.host.store.commit({
      ...this.lease(),
      now: this.host.clock(),
      events,
      consumedInbox: consumed,
      ...extra,
    });
    if (outcome === 'lost') {
      this.lost();
      return outcome;
    }
    if (outcome === 'unread') {
      this.inbox.restore(consumed);
    } else {
      this.exec.markFlushed(events.length);
      this.inbox.forget(consumed);
      this.fenced = true;
      for (const resolve of this.durableWaiters.splice(0)) resolve();
    }
    if (outcome !== 'ok') {
      this.inbox.dirty = true;
      this.again = true;
    }
    return outcome;
  }

  /** Releases the run until `wakeAt` (or until input arrives); frees its memory. */
  private async suspend(wakeAt: Date | undefined): Promise<void> {
    if (
      (await this.flush({ release: { readyAt: wakeAt ?? null, inboxVersion: this.inbox.version } })) === 'ok'
    ) {
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

  private lost(): void {
    this.host.log('warn', 'lost the lease of a run; another worker has it', this.fields());
    this.host.metrics.leaseLost?.(this.run.type);
    this.abandon('lease lost');
  }

  private lease(): Lease {
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
    for (const resolve of this.durableWaiters.splice(0)) resolve();
    this.finish(closed);
  }
}

/** A delay `setTimeout` takes as meant: it fires at once for anything past 2^31-1 ms (~24.8 days). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2 ** 31 - 1);
}

import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  boundLogger,
  type ClaimedRun,
  type ClosedRun,
  type CommitOutcome,
  ErrorCodes,
  type Json,
  type LoadedRun,
  type Logger,
  type Outcome,
  type RecordedEvent,
  ReelError,
  type WorkflowExecution,
} from '@reel/sdk';
import { LocalActivities } from './driver-activities.ts';
import { DriverChildren } from './driver-children.ts';
import { closeRun } from './driver-close.ts';
import { replayWhileLoading } from './driver-history.ts';
import { type DriverHost, replayerOf } from './driver-host.ts';
import { DriverInbox, type InboxRead } from './driver-inbox.ts';
import { fail, leaseLost, park } from './driver-stops.ts';
import { enforceDeadline, fireDueTimers, nextWake, timerDelay } from './driver-timers.ts';
import { DriverUpdates } from './driver-updates.ts';
import { RunWrites } from './driver-writes.ts';
import { RunSpan } from './run-span.ts';
import { Stepper } from './stepper.ts';
import { TaskDispatch } from './task-dispatch.ts';

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
  private readonly writes: RunWrites;
  private readonly updates: DriverUpdates;
  private cancelChildrenPending = false;
  /** This segment's span: set once the history is loaded. */
  private span: RunSpan | undefined;
  /** When the run was claimed, until its first replay is reported to the metrics. */
  private replayedAt: number | undefined = performance.now();
  private readonly stepper = new Stepper(
    () => this.step(),
    () => this.ended,
    (err) => this.fail(err),
    (ms) => this.host.metrics.stepped?.(this.run.type, ms),
  );
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  /** The worker's logger, naming this run on every line. */
  private readonly log: Logger;

  /** `leaseDeadline`: `performance.now()` before which the lease is surely held (claim sent + lease). */
  constructor(
    private readonly host: DriverHost,
    readonly run: ClaimedRun,
    leaseDeadline: number,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.log = boundLogger(host.logger, { workflowId: run.workflowId, runId: run.runId, type: run.type });
    const exec = () => this.exec;
    // Each host named property by property: spreads of the worker's host into every part of every
    // run made kilobytes of garbage per run.
    const { store, clock, metrics, leaseMs, renew, activities } = host;
    const lost = () => this.leaseLost();
    this.writes = new RunWrites(
      { store, clock, metrics, leaseMs, renew, lost },
      run,
      exec,
      this.inbox,
      leaseDeadline,
    );
    const leaseHeld = () => this.writes.leaseHeld();
    this.updates = new DriverUpdates({ store, leaseHeld }, run, exec, this.inbox);
    // The run's logger, not the worker's: what they log names the run.
    const logger = this.log;
    this.tasks = new TaskDispatch(
      { store, clock, logger, activities, traceCarrier: () => this.span?.carrier() },
      run,
      exec,
    );
    const traceContext = () => this.span?.context ?? ROOT_CONTEXT;
    this.children = new DriverChildren({ store, clock, metrics, traceContext }, run, exec);
    this.activities = new LocalActivities(
      {
        store,
        clock,
        metrics,
        logger,
        activities,
        finished: () => this.poke(),
        fail: (err) => this.fail(err),
        lost,
        inboxChanged: () => this.inboxChanged(),
        isRemote: (a) => this.tasks.isRemote(a),
        traceContext,
      },
      run,
      exec,
    );
  }

  /**
   * Loads the run's history and inbox, replaying the history as it loads, or takes them `loaded` (by
   * the claim, or for a run this worker just started).
   */
  async start(loaded?: LoadedRun): Promise<void> {
    try {
      const replayer = (history: RecordedEvent[], partial: boolean) =>
        replayerOf(this.host, this.run, history, this.log, partial);
      // History and inbox are read in parallel: one round trip of latency instead of two.
      const [exec, inbox] = loaded
        ? [replayer(loaded.history, false), loaded.inbox]
        : await Promise.all([
            replayWhileLoading(this.host.store, this.run.runId, replayer),
            this.host.store.readInbox(this.run.runId),
          ]);
      this.exec = exec;
      const history = exec.log;
      this.span = new RunSpan(this.run, history);
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
    while (!this.ended && !this.exec?.deliveredIsDurable()) await this.writes.whenDurable();
    return this.ended ? undefined : { answer: this.exec.query(name, args) };
  }

  /** New input may be in the inbox. */
  inboxChanged(): void {
    this.inbox.dirty = true;
    this.poke();
  }

  /** The worker renewed this run's lease by a statement sent at `performance.now()` time `sentAt`. */
  renewed(sentAt: number): void {
    this.writes.renewed(sentAt);
  }

  /** Stops at once without writing anything more (the lease was lost, or the worker is going away). */
  abandon(reason: string): void {
    if (this.ended) return;
    this.span?.abandoned(reason);
    this.activities.abortAll(new ReelError(ErrorCodes.LEASE_LOST, reason));
    this.end();
  }

  /**
   * Stops (aborting running activities, whose results are then never recorded) and releases the run,
   * claimable at once. Events not yet flushed are dropped: a replay recreates them.
   */
  async handBack(reason: string): Promise<void> {
    this.abandon(reason);
    await this.writes.handBack();
  }

  /** Runs a step now, or once more after the one under way. */
  poke(): void {
    // Before start() has loaded the history there is nothing to step; start() pokes when it has.
    if (!this.ended && this.exec) this.stepper.poke();
  }

  private async step(): Promise<void> {
    clearTimeout(this.timer);
    if (this.inbox.dirty) this.applyInbox(await this.host.store.readInbox(this.run.runId));
    const now = this.host.clock();
    fireDueTimers(this.exec, now);
    try {
      await this.exec.advance();
      enforceDeadline(this.exec, now);
      const { replayedAt } = this;
      this.replayedAt = undefined;
      if (replayedAt)
        this.host.metrics.replayed?.(this.run.type, this.exec.log.length, performance.now() - replayedAt);
    } catch (err) {
      if (err instanceof ReelError) return this.park(err);
      throw err;
    }
    if (this.exec.outcome) return this.close(this.exec.outcome);
    // Validated against the state everything delivered so far made; an accepted update reaches the
    // code before the next flush, which records its handler's first steps with it (the replay rule).
    if (this.inbox.updates.length > 0 && (await this.updates.settle())) {
      this.stepper.again = true;
      return;
    }
    if (this.ended) return;
    // A task's outcome (or a transaction step's) left unread until the code had its history is read
    // again before anything starts: it may be the outcome of what would start.
    if (this.inbox.deferred) {
      this.stepper.again = true;
      return;
    }

    this.activities.abortAbandoned();
    // A draining worker starts nothing new: it hands the run back, runnable now, for another worker.
    // Nor does a run whose cancellation waits for the attempts under way.
    const due = this.host.draining || this.inbox.held ? [] : this.activities.due(now);
    const cannotRun = this.activities.cannotRun(due);
    if (cannotRun) return this.park(cannotRun);
    if (this.writes.mustFlush(due) && !(await this.flushed(this.writes.flush()))) return;
    // Each side effect goes right after the lease is proven, with nothing awaited in between.
    if (this.cancelChildrenPending) {
      if (!(await this.writes.leaseHeld())) return;
      this.cancelChildrenPending = false;
      await this.children.cancel();
    }
    // Awaited only when the lease needs proving: most steps go on without a turn of the event loop.
    if (due.length > 0 && !(this.writes.proven() || (await this.writes.leaseHeld()))) return;
    for (const activity of due) this.activities.start(activity, () => this.ended);
    const syncing = this.tasks.sync();
    const unqueued = syncing && (await syncing);
    if (unqueued) return this.park(unqueued);
    const startChildren = !this.host.draining && !this.inbox.held && this.children.unstarted();
    if (startChildren && !(await this.writes.leaseHeld())) return;
    // Started children appended `child_started` events: deliver them before deciding to wait.
    const children = startChildren ? await this.children.start() : 'none';
    if (children === 'lost') return this.leaseLost();
    if (children === 'started') {
      this.stepper.again = true;
      return;
    }
    // An activity that finished while this step awaited a flush appended its result: it must reach
    // the code before the run may wait, or releasing the run would strand it with a result unseen.
    // So must a cancellation held for attempts that have all ended since, or it would wait unread.
    if (this.exec.hasUndelivered() || (this.inbox.held && this.activities.size === 0)) {
      this.stepper.again = true;
      return;
    }
    const suspending = this.wait(now);
    if (suspending) await suspending;
  }

  /**
   * Stays (sticky, activities in flight, or for up to `stickyMs` a task under way) with a timer for
   * the next wake time, or suspends (then returns the suspension under way).
   */
  private wait(now: Date): Promise<void> | undefined {
    this.writes.waited();
    const localDue = this.host.draining && this.activities.waiting().length > 0;
    const next = localDue ? now : nextWake(this.exec, this.activities.retryTimes());
    const stay = this.host.draining ? undefined : this.tasks.stayUntil(now, this.host.stickyMs);
    const staying = stay !== undefined && stay > now;
    if (
      this.activities.size === 0 &&
      !staying &&
      (this.host.draining || next === undefined || next.getTime() - now.getTime() > this.host.stickyMs)
    ) {
      return this.flushed(this.writes.suspend(next ?? null)).then((suspended) => {
        if (!suspended) return;
        if (next) this.host.wakeAt(next);
        this.end();
      });
    }
    const wake = staying && !(next && next < stay) ? stay : next;
    if (wake)
      this.timer = setTimeout(() => this.poke(), timerDelay(wake.getTime() - this.host.clock().getTime()));
    return undefined;
  }

  /** Turns new inbox items into history events (they are deleted when those events are flushed). */
  private applyInbox(read: InboxRead): void {
    const events = this.inbox.apply(
      read,
      this.exec,
      (payload) => this.tasks.resultEvent(payload),
      // A cancellation reaches the code once the attempts it stops have ended and their outcomes are
      // recorded: a step that did its work is never hidden from the code (a saga then undoes it).
      (item) =>
        !this.exec.outcome &&
        this.activities.cancelUnderWay(
          `The workflow was cancelled${typeof item.payload === 'string' ? `: ${item.payload}` : '.'}`,
        ),
    );
    for (const event of events) {
      this.span?.received(event);
      // Children are known only once history has replayed: cancel them after the next advance.
      if (event.type === 'cancel_requested') this.cancelChildrenPending = true;
    }
  }

  private async close(outcome: Outcome): Promise<void> {
    // A cancellation held back for an attempt goes into history first; it reaches no code now. A
    // task's outcome left unread is judged first, or the close would go over it.
    if (this.inbox.held || this.inbox.deferred) {
      this.inbox.dirty = this.stepper.again = true;
      return;
    }
    // Named one by one: an object spread of this many properties costs kilobytes (a dictionary).
    const { run, writes, activities, children, tasks, log } = this;
    const closed = await closeRun(
      {
        workflowId: run.workflowId,
        type: run.type,
        writes,
        activities,
        children,
        tasks,
        metrics: this.host.metrics,
        log,
        createdAt: new Date(this.exec.log[0]?.at ?? this.host.clock()),
        clock: this.host.clock,
        cancelChildren: this.cancelChildrenPending,
        successorTrace: () => this.span?.successorTrace(),
        lost: () => this.leaseLost(),
      },
      outcome,
    );
    if (closed === 'again') this.stepper.again = true;
    else if (closed === 'continued') {
      this.span?.closed('continued');
      this.end();
    } else if (closed !== 'stopped') {
      this.span?.closed(closed.status, closed.error);
      this.end(closed);
    }
  }

  /** True if the write went through; otherwise the step must go again (`kept`, `unread`) or stop (`lost`). */
  private flushed(write: Promise<CommitOutcome>): Promise<boolean> {
    return write.then((outcome) => {
      if (outcome === 'kept' || outcome === 'unread') this.stepper.again = true;
      return outcome === 'ok';
    });
  }

  private park(err: ReelError): Promise<void> {
    return park(this.parts(), err);
  }

  /** Another worker has the run (a fenced write or a renewal found its token moved on): stop at once. */
  leaseLost(): void {
    if (!this.ended) leaseLost(this.parts());
  }

  private fail(err: unknown): void {
    fail(this.parts(), err);
  }

  /** What closing or stopping the run involves. */
  private parts() {
    const { run, log, writes, span, activities, children, tasks } = this;
    const { metrics, clock } = this.host;
    return {
      ...{ run, log, writes, span, activities, children, tasks, metrics, clock },
      wakeAt: (at: Date) => this.host.wakeAt(at),
      abandon: (reason: string) => this.abandon(reason),
      lost: () => this.leaseLost(),
    };
  }

  private end(closed?: ClosedRun): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.writes.released();
    this.span?.end();
    this.finish(closed);
  }
}

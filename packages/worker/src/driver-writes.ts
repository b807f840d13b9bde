import { randomUUID } from 'node:crypto';
import {
  type ClaimedRun,
  type CommitOutcome,
  type CommitRequest,
  type Json,
  type Lease,
  type OpenActivity,
  type Outcome,
  type ReelError,
  type RunTrace,
  type Store,
  toErrorInfo,
  untilReachable,
  type WorkflowExecution,
} from '@reel/sdk';
import type { DriverInbox } from './driver-inbox.ts';
import type { WorkerMetrics } from './metrics.ts';

/** What a run's writes need from its worker and driver. */
export interface WritesHost {
  store: Store;
  clock(): Date;
  leaseMs: number;
  /** Extends one lease now (a fenced write); false if it was lost. */
  renew(lease: Lease): Promise<boolean>;
  /** The lease is lost: another worker has the run. */
  lost(): void;
  metrics: WorkerMetrics;
}

const MAX_PARK_BACKOFF_MS = 10 * 60_000;

/** How a close ended: written, refused for new input (`unread`), or fenced out (`lost`). */
export type CloseOutcome = 'ok' | 'unread' | 'lost';

/**
 * Every write of one run, each fenced by its lease: flushes, the release that suspends it, the close,
 * continue-as-new. It also knows how sure the driver may be of its lease: a fenced write succeeded
 * since the run last waited, and the lease lasts beyond a margin (`performance.now()` time, from when
 * the claim or renewal that set it was sent).
 */
export class RunWrites {
  /** A fenced write (the claim, a flush, a renewal) succeeded since the run last waited. */
  private fenced = true;
  private readonly durableWaiters: (() => void)[] = [];

  constructor(
    private readonly host: WritesHost,
    private readonly run: ClaimedRun,
    private readonly exec: () => WorkflowExecution,
    private readonly inbox: DriverInbox,
    private leaseDeadline: number,
  ) {}

  get lease(): Lease {
    return { runId: this.run.runId, fencingToken: this.run.fencingToken };
  }

  /** The lease was renewed by a statement sent when `performance.now()` was `sentAt`. */
  renewed(sentAt: number): void {
    this.leaseDeadline = Math.max(this.leaseDeadline, sentAt + this.host.leaseMs);
  }

  /** The run waits: whatever it does next must first prove its lease again. */
  waited(): void {
    this.fenced = false;
  }

  /**
   * Before a side effect: true once a fenced write has succeeded since the run last waited and the
   * lease outlasts a margin; otherwise renews the lease first. A worker paused past its lease (a
   * zombie) thus learns it lost the run before it starts anything, not after.
   */
  async leaseHeld(): Promise<boolean> {
    // Checked again after each renewal: the process may have been paused while it waited for one.
    while (!this.proven()) {
      const sentAt = performance.now();
      if (!(await this.host.renew(this.lease))) {
        this.host.lost();
        return false;
      }
      this.renewed(sentAt);
      this.fenced = true;
    }
    return true;
  }

  /** True when `leaseHeld` would be true at once, with no renewal: the caller need not await it. */
  proven(): boolean {
    return this.fenced && performance.now() < this.leaseDeadline - this.host.leaseMs / 3;
  }

  /**
   * What led to the `due` activities must be durable before they start: true if a flush must come
   * first. The run's first activities follow from `workflow_started` alone, which is durable since
   * `start`: their `activity_scheduled` events may wait and go with the first result, except a
   * `ctx.transaction` step's, whose outcome its transaction records for a command history must
   * already hold (a worker taking over reads it from the inbox before anything runs). Later commands
   * go with the event that led to them, which replay relies on to tell a changed workflow from an
   * unflushed one (`WorkflowExecution`).
   */
  mustFlush(due: OpenActivity[]): boolean {
    const exec = this.exec();
    const unflushed = exec.unflushed();
    const firstCommands =
      exec.log.length - unflushed.length === 1 &&
      unflushed.every((e) =>
        due.some((a) => !a.transaction && e.type === 'activity_scheduled' && e.cmd === a.cmd),
      );
    return (unflushed.length > 0 && !firstCommands) || this.inbox.pending;
  }

  /** Resolves once everything the code has received is durable, or when `released` is called. */
  whenDurable(): Promise<void> {
    return new Promise((resolve) => this.durableWaiters.push(resolve));
  }

  /** The driver let the run go: nothing more becomes durable here. */
  released(): void {
    for (const resolve of this.durableWaiters.splice(0)) resolve();
  }

  /**
   * Writes unflushed events (and consumed inbox items) in one fenced statement. `ok`; `kept` (a release
   * refused: new input, read it); `unread` (a close refused, nothing written: new input); `lost`.
   */
  async flush(extra: Pick<CommitRequest, 'close' | 'release'> = {}): Promise<CommitOutcome> {
    const exec = this.exec();
    const events = exec.unflushed();
    const consumed = this.inbox.drain();
    const sentAt = performance.now();
    const outcome = await this.host.store.commit({
      runId: this.run.runId,
      fencingToken: this.run.fencingToken,
      now: this.host.clock(),
      events,
      consumedInbox: consumed.map((c) => c.id),
      close: extra.close,
      release: extra.release,
    });
    this.host.metrics.committed?.(performance.now() - sentAt);
    if (outcome === 'lost') {
      this.host.lost();
      return outcome;
    }
    if (outcome === 'unread') this.inbox.restore(consumed);
    else {
      exec.markFlushed(events.length);
      this.inbox.forget(consumed);
      this.fenced = true;
      this.released();
    }
    if (outcome !== 'ok') this.inbox.dirty = true;
    return outcome;
  }

  /** Gives the lease up until `wakeAt` (null: until input arrives); `kept` if input came first. */
  suspend(wakeAt: Date | null): Promise<CommitOutcome> {
    return this.flush({ release: { readyAt: wakeAt, inboxVersion: this.inbox.version } });
  }

  /**
   * Closes the run with its outcome's event, unless input arrived since the inbox was last read: then
   * nothing is written (`unread`), the event is taken back, and the input must go into history first.
   */
  async close(
    outcome: Exclude<Outcome, { type: 'workflow_continued_as_new' }>,
  ): Promise<{ written: CloseOutcome; close: NonNullable<CommitRequest['close']> }> {
    const { version: inboxVersion } = this.inbox;
    const close: NonNullable<CommitRequest['close']> =
      outcome.type === 'workflow_completed'
        ? { status: 'completed', result: outcome.result, inboxVersion }
        : {
            status: outcome.type === 'workflow_failed' ? 'failed' : 'cancelled',
            error: outcome.error,
            inboxVersion,
          };
    const closing = this.exec().append(outcome);
    this.inbox.dropUpdates();
    const written = await this.flush({ close });
    if (written === 'unread') this.exec().retract(closing);
    return { written: written === 'kept' ? 'ok' : written, close };
  }

  /**
   * Lets go of the run, claimable at once; best effort (otherwise its lease lapses). With `retry`,
   * while Postgres is unreachable it is tried again for as long as the lease would keep the run.
   */
  async handBack(retry = false): Promise<void> {
    const { store } = this.host;
    const release = async (): Promise<void> => {
      const now = this.host.clock();
      const inboxVersion = this.inbox.version;
      const outcome = await store.commit({
        ...this.lease,
        now,
        events: [],
        consumedInbox: [],
        release: { readyAt: now, inboxVersion },
      });
      if (outcome !== 'kept') return;
      // Input came since the inbox was read, which refuses a release: the run is runnable anyway.
      this.inbox.version = (await store.readInbox(this.run.runId)).version;
      return release();
    };
    const timeoutMs = retry ? Math.max(0, this.leaseDeadline - performance.now()) : 0;
    await untilReachable(release, { timeoutMs, onWait: () => undefined, hint: '' }).catch(() => undefined);
  }

  /** Parks the run (it cannot go on: e.g. non-determinism), retried after a backoff; returns when. */
  async park(err: ReelError, attempts: number): Promise<Date> {
    const now = this.host.clock();
    const retryAt = new Date(now.getTime() + Math.min(1000 * 2 ** attempts, MAX_PARK_BACKOFF_MS));
    await this.host.store.park(this.lease, toErrorInfo(err), now, retryAt);
    return retryAt;
  }

  /**
   * Leaves the input the code never received (it came after the code decided to continue as new) in
   * the inbox, for the successor: its events are taken back and its items not consumed.
   */
  leaveUnreadInput(): void {
    const unread = this.exec().dropUnread()[0];
    if (unread) this.inbox.unconsume(unread.seq);
  }

  /**
   * Closes this run as `continued` and starts its successor, in one fenced statement. Input that
   * arrives meanwhile is not this run's, whose code has ended, but its successor's: the statement is
   * tried again with the new inbox version, and hands it on.
   */
  async continueAsNew(input: Json | undefined, trace?: RunTrace): Promise<'ok' | 'lost'> {
    const exec = this.exec();
    exec.append({ type: 'workflow_continued_as_new', input });
    const request = {
      ...this.lease,
      events: exec.unflushed(),
      consumedInbox: this.inbox.drain().map((c) => c.id),
      // Signals the run received and its code never took are its successor's too.
      carriedSignals: exec.unreadSignals(),
      newRunId: randomUUID(),
      input,
      ...(trace ? { trace } : {}),
    };
    for (;;) {
      const { store } = this.host;
      const now = this.host.clock();
      const outcome = await store.continueAsNew({ ...request, now, inboxVersion: this.inbox.version });
      if (outcome !== 'unread') {
        if (outcome === 'lost') this.host.lost();
        return outcome;
      }
      this.inbox.version = (await store.readInbox(this.run.runId)).version;
    }
  }
}

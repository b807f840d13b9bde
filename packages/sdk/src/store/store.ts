import type pg from 'pg';
import type { Json } from '../codec.ts';
import type { ErrorInfo } from '../errors.ts';
import type {
  CreateScheduleOutcome,
  NewSchedule,
  ScheduleDescription,
  ScheduledRun,
  ScheduleTick,
} from '../schedules/types.ts';
import type { RecordedEvent } from '../workflow/events.ts';
import type {
  BatchClaim,
  BatchDescription,
  BatchFilter,
  BatchLease,
  BatchOperation,
  BatchRunOutcome,
  BatchStep,
  NewBatch,
} from './batches.ts';
import type {
  ClaimedRun,
  CommitOutcome,
  CommitRequest,
  ContinueRequest,
  InboxItem,
  Lease,
  ResetOutcome,
  ResetRequest,
} from './commits.ts';
import type {
  ListFilter,
  ListPage,
  StartRequest,
  StartResult,
  WorkflowDescription,
  WorkflowStatus,
} from './runs.ts';
import type { ClaimedTask, EnqueueOptions, NewTask, TaskClaim, TaskOutcome, TaskWait } from './tasks.ts';
import type { NewUpdate, SendUpdateOutcome, UpdateState } from './updates.ts';

export * from './commits.ts';
export * from './list-cursor.ts';
export * from './runs.ts';
export * from './updates.ts';

/** Which run closed and how, as a close's notification tells it (`StoreListener.onClosed`). */
export interface ClosedNotice {
  runId: string;
  status: WorkflowStatus;
  /** Its result or error (each left out where it has none), when small enough to carry. */
  outcome?: { result?: Json; error?: ErrorInfo };
}

/** Notifications a store delivers to workers and clients. */
export interface StoreListener {
  /**
   * The worker this listener serves, if any: it hears the wakes that name it (`onWake`'s `to`) as well
   * as those that name no one. A listener without one may miss the wakes that name workers.
   */
  worker?: string;
  /**
   * A run no worker holds may have become runnable (started, signalled, cancelled). `to`, when the
   * store names them: the workers that should claim it, in order: the first at once if it has room
   * (else it passes the wake on to the rest), the second a moment later if the run is still there.
   * Absent: any worker. `runs`: how many runs the wake stands for, when a worker passes on several at
   * once (then `runId` is the latest of them); else 1. `''`: anything may have changed (the listener
   * was down).
   */
  onWake?(runId: string, to?: string[], runs?: number): void;
  /**
   * Input (a signal, a cancellation, an activity's outcome, an update) came for a run that `worker`
   * holds, perhaps by a claim or start whose answer has not reached it yet. Only for a listener with
   * `worker`, and only for its runs.
   */
  onInput?(runId: string): void;
  /** A run of `workflowId` closed; `notice` says which and how, unless a worker of an earlier version closed it. */
  onClosed?(workflowId: string, notice?: ClosedNotice): void;
  /** A run a schedule started (`<schedule id>@<fire time>`), or another whose id holds `@`, closed. */
  onTickClosed?(workflowId: string): void;
  /** A query was posted for a run. */
  onQuery?(runId: string, queryId: string): void;
  /** A query was answered. */
  onQueryAnswered?(queryId: string): void;
  /** An update of a run of `workflowId` was completed (its handler ended) or rejected. */
  onUpdate?(workflowId: string): void;
  /** A task was enqueued on `queue` (it may be claimable only later). */
  onTask?(queue: string): void;
  /** A task was deleted because its workflow no longer waits for it: its worker should stop it. */
  onTaskCancelled?(taskId: string): void;
}

/** A query as a worker sees it once it has claimed it. */
export interface PostedQuery {
  runId: string;
  workflowId: string;
  type: string;
  name: string;
  args: Json[];
}

/** A query's answer: `error` set when it failed. */
export interface QueryAnswer {
  result?: Json;
  error?: ErrorInfo;
}

/**
 * How a `ctx.transaction` step's transaction ended: committed with its outcome's record; rolled back
 * because the lease was lost (`lost`); or its commit's answer never came (`unknown`: the connection
 * failed during the commit), so only the run's inbox can tell whether it committed.
 */
export type TransactionOutcome =
  | { outcome: 'committed'; value: Json | undefined }
  | { outcome: 'lost' }
  | { outcome: 'unknown'; error: Error };

/**
 * A `pg` client of the caller's, inside a transaction the caller commits or rolls back: a start or a
 * signal given one runs its statement on it, so it takes effect if and only if that transaction commits.
 */
export type CallerTransaction = pg.ClientBase;

/**
 * The port between the engine and its storage. The Postgres store is the production adapter; an
 * in-memory store serves the test environment, and one conformance suite keeps them in step.
 *
 * Time: every call passes the engine clock's `now`, which stamps what it writes (event times,
 * `updated_at`, `closed_at`) and from which the engine computes wake times (timers, retries,
 * delays). Leases and claims are judged by the **store's clock**: a lease lasts `leaseMs` from the
 * store's now, a run or task is claimable once its `ready_at` has passed by the store's clock, and
 * "ready now" means the store's now. In production that clock is the database's, so a worker whose
 * clock runs ahead cannot take a lease that is live; a store whose clock is the engine's (the test
 * environment's virtual clock) uses the `now` passed in for all of it.
 */
export interface Store {
  migrate(): Promise<void>;
  registerTypes(types: string[], now: Date): Promise<void>;
  /** `transaction`: the caller's own, for a run that exists if and only if it commits (Postgres only). */
  start(req: StartRequest, transaction?: CallerTransaction): Promise<StartResult>;
  /**
   * Puts input in an open run's inbox and wakes it; `undefined` when no run has this id, `false` when
   * it is closed. `transaction`: as for `start`.
   */
  enqueue(
    workflowId: string,
    item: Omit<InboxItem, 'id'>,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined>;
  /**
   * Closes an open run at once as `terminated`, without running workflow code: appends
   * `workflow_terminated`, fences out the lease holder, deletes the run's tasks, notifying their
   * workers (as `deleteTasks`), and applies its children's parent-close policy. Same answers as `enqueue`.
   */
  terminate(
    workflowId: string,
    reason: string | undefined,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined>;
  /** Claims runs of `types` claimable now, each leased to `owner` for `leaseMs` (store clock). */
  claim(owner: string, types: string[], limit: number, now: Date, leaseMs: number): Promise<ClaimedRun[]>;
  /** How long (ms, by the store's clock; 0 if one is already) until a run of these types becomes claimable, if any will. */
  nextReadyIn(types: string[], now: Date): Promise<number | undefined>;
  /**
   * The run's events in seq order; only those after `afterSeq` when given (what a reader has not seen
   * yet), and only those before `beforeSeq` when given (a page of a long history).
   */
  loadHistory(runId: string, afterSeq?: number, beforeSeq?: number): Promise<RecordedEvent[]>;
  readInbox(runId: string): Promise<{ items: InboxItem[]; version: number }>;
  /**
   * A close (and `continueAsNew`, and `terminate`) applies the closed run's children's parent-close
   * policy in the same transaction: open children under `terminate` are terminated, with theirs under
   * `terminate` after them; the open children under `requestCancel` of all of these get a cancel request.
   */
  commit(req: CommitRequest): Promise<CommitOutcome>;
  /**
   * Closes the leased run as `continued`, appending `events` (the last one `workflow_continued_as_new`),
   * and starts run `newRunId` of the same workflow id with `input`; `lost` if fenced out. Inbox items
   * the old run consumed are deleted; the others (input it never saw) move to the new run.
   */
  continueAsNew(req: ContinueRequest): Promise<'ok' | 'unread' | 'lost'>;
  /** Parks a run that cannot go on (e.g. non-determinism): releases the lease, retried at `retryAt`. */
  park(lease: Lease, error: ErrorInfo, now: Date, retryAt: Date): Promise<boolean>;
  /** Extends the leases still held to `leaseMs` from now (store clock); returns the run ids of those lost. */
  renew(leases: Lease[], now: Date, leaseMs: number): Promise<string[]>;
  /** Records that a worker is alive and serves `types`. */
  heartbeat(workerId: string, types: string[], now: Date): Promise<void>;
  removeWorker(workerId: string): Promise<void>;
  /**
   * Tells the workers `to`, first to last, what wakes of `runs` runs (the latest `runId`) told this
   * worker, which could not claim them (full or draining): `onWake(runId, to, runs)` for the
   * listeners of (at least) the first two of `to`. A store that names no one in its wakes (`onWake`
   * without `to`) never has one passed on.
   */
  passWake(runId: string, to: string[], runs: number): Promise<void>;
  /**
   * Posts a query to the latest run of `workflowId`, if a worker that heartbeat after `liveSince` serves
   * its type: `not_found` when no run has this id, `no_worker` when none serves it.
   */
  postQuery(
    workflowId: string,
    name: string,
    args: Json[],
    now: Date,
    liveSince: Date,
  ): Promise<{ queryId: string; runId: string } | 'not_found' | 'no_worker'>;
  /** Takes a query to answer it, if no other worker has and it is of one of `types`. */
  claimQuery(queryId: string, workerId: string, types: string[]): Promise<PostedQuery | undefined>;
  /**
   * Queries of `types` no worker has claimed yet, oldest first (at most 100): a worker whose listener
   * was away, and did not hear them posted, looks for them once it listens again.
   */
  unclaimedQueries(types: string[]): Promise<{ runId: string; queryId: string }[]>;
  answerQuery(queryId: string, answer: QueryAnswer, now: Date): Promise<void>;
  /** The answer, once there is one. */
  readQuery(queryId: string): Promise<QueryAnswer | undefined>;
  deleteQuery(queryId: string): Promise<void>;
  /**
   * Sends an update to the latest run of `workflowId`, if open and if no update of this id was sent to
   * the workflow id before: an inbox item of kind `update` (name, payload `{ updateId, arg }`), which
   * wakes it as `enqueue` does.
   */
  sendUpdate(workflowId: string, update: NewUpdate, now: Date): Promise<SendUpdateOutcome>;
  /** Where update `updateId` of `workflowId` stands; undefined if none was sent. */
  readUpdate(workflowId: string, updateId: string): Promise<UpdateState | undefined>;
  /**
   * Records that the validator rejected update `updateId` of the leased run's workflow id (nothing goes
   * to history), and notifies; fenced by the lease: a worker that lost the run writes nothing.
   */
  rejectUpdate(lease: Lease, updateId: string, error: ErrorInfo): Promise<void>;
  describe(workflowId: string, runId?: string): Promise<WorkflowDescription | undefined>;
  list(filter: ListFilter): Promise<ListPage>;
  /**
   * The runs of a workflow id, the latest first (the order they started in, reversed: a continue-as-new
   * chain and resets, newest to oldest), at most `limit`.
   */
  listRuns(workflowId: string, limit: number): Promise<WorkflowDescription[]>;
  /**
   * Operator's retry now for the latest run of `workflowId`, if open: puts a `retry` item in its inbox
   * (waking its holder, or making it claimable), makes a parked run no worker holds claimable now, and
   * makes its queued tasks that wait out a backoff claimable now, notifying their queues. Same answers
   * as `enqueue`.
   */
  retryNow(workflowId: string, now: Date): Promise<boolean | undefined>;
  /**
   * Starts run `newRunId` from a point of run `runId`'s history, in one transaction: the new run (same
   * type, input, attributes and parent link) gets the events up to `toEvent` and a `reset_point`, and
   * the signals recorded after the point again, in its inbox. The children the kept events scheduled
   * (every run of their chains) take the new run for parent, and one that has closed without its
   * outcome among the kept events puts that outcome in the new run's inbox. The old run records
   * `resetTo`; if it is open, it closes as `reset` (appending `workflow_reset`, fencing out its holder,
   * deleting its tasks), hands its unread signals, cancel requests and updates to the new run, and
   * applies the parent-close policy to its other children.
   */
  reset(req: ResetRequest): Promise<ResetOutcome>;
  /** Subscribes to notifications; resolves once listening, returns the unsubscribe function. */
  listen(listener: StoreListener): Promise<() => Promise<void>>;
  close(): Promise<void>;

  // Schedules (see docs/schedules.md). Each tick must start exactly one run, whatever the number of workers.
  /** Stores a schedule if the id is free and a worker has registered its workflow type. */
  createSchedule(schedule: NewSchedule, now: Date): Promise<CreateScheduleOutcome>;
  getSchedule(id: string): Promise<ScheduleDescription | undefined>;
  /** Every schedule, by id. */
  listSchedules(): Promise<ScheduleDescription[]>;
  /** Pauses or resumes; `nextFireAt` is the new next tick (null while paused). False when no such schedule. */
  setSchedulePaused(id: string, paused: boolean, nextFireAt: Date | null, now: Date): Promise<boolean>;
  /** Deletes the schedule (not the runs it started). False when no such schedule. */
  deleteSchedule(id: string): Promise<boolean>;
  /** Starts one run of the schedule at `now`, whatever its overlap policy; undefined when no such schedule. */
  triggerSchedule(id: string, now: Date): Promise<ScheduledRun | undefined>;
  /**
   * Takes up to `limit` schedules with work at `now` (a due tick, or a buffered tick whose run closed)
   * and atomically starts their runs (`planTick`, `tickWorkflowId`) and moves `nextFireAt` on.
   */
  fireSchedules(now: Date, limit: number): Promise<ScheduleTick[]>;
  /** The earliest `nextFireAt` of the schedules that are not paused. */
  nextScheduleAt(): Promise<Date | undefined>;

  /**
   * Deletes up to `limit` runs closed before `closedBefore`, with their history, and up to `limit`
   * batches closed before it; returns how many runs.
   */
  purgeClosed(closedBefore: Date, limit: number): Promise<number>;

  // Task queues (see docs/workflows.md#task-queues): activity attempts run by workers serving a queue.
  /**
   * Enqueues an attempt, fenced by the run's lease, and notifies the queue. Does nothing (false) when
   * this attempt is already queued or its result waits in the inbox; replaces an earlier attempt's task.
   * An `availableAt` not after `now` means claimable at once (by the store's clock). See
   * `EnqueueOptions` for `inherited`.
   */
  enqueueTask(lease: Lease, task: NewTask, now: Date, options?: EnqueueOptions): Promise<boolean>;
  /**
   * The run's queued tasks that wait out a backoff, unclaimed, become claimable now (fenced by the
   * lease): the run read an operator's retry now that came before it queued them.
   */
  tasksDueNow(lease: Lease, now: Date): Promise<void>;
  /**
   * Claims up to `limit` tasks of open runs, on `queues`, for activities in `names`, claimable now
   * (FOR UPDATE SKIP LOCKED); each stays hidden from other claims for `lockMs` (store clock).
   */
  claimTasks(
    owner: string,
    queues: string[],
    names: string[],
    limit: number,
    now: Date,
    lockMs: number,
  ): Promise<ClaimedTask[]>;
  /** How long (ms, by the store's clock; 0 if one is already) until a task on `queues` for `names` becomes claimable. */
  nextTaskIn(queues: string[], names: string[], now: Date): Promise<number | undefined>;
  /**
   * Extends the claims still held to `lockMs` from now (store clock), storing `heartbeat` details where
   * given; returns the ids of those lost (taken over after their claim lapsed, or deleted).
   */
  renewTasks(claims: (TaskClaim & { heartbeat?: Json })[], now: Date, lockMs: number): Promise<string[]>;
  /**
   * Deletes the claimed task and, in the same transaction, puts its outcome in the run's inbox (kind
   * `activity_result`) and wakes the run, as `enqueue` does. False when the claim was lost: nothing
   * changes. A closed run gets nothing.
   */
  completeTask(
    task: TaskClaim & Pick<NewTask, 'cmd' | 'attempt'>,
    outcome: TaskOutcome,
    now: Date,
  ): Promise<boolean>;
  /** Deletes the run's tasks (those of `cmds` only, if given) and notifies their workers. */
  deleteTasks(runId: string, cmds?: number[]): Promise<void>;
  /** The run's tasks that a claim passed over for a limit (docs/flow-control.md), with why, by command. */
  taskWaits(runId: string): Promise<{ cmd: number; waitingFor: TaskWait }[]>;

  /**
   * `ctx.transaction`'s step: runs `work` with a client inside a transaction on the store's database,
   * whose last statement records the value `work` returned as the outcome of attempt `step.attempt` of
   * command `step.cmd` (an `activity_result` inbox item), fenced by `lease`: the work's writes and that
   * record commit together, or not at all. `signal` rolls the work back, unless its commit is under
   * way. Rejects, rolled back, with the error of `work` or of its statements. Absent from a store with
   * no database.
   */
  transaction?(
    lease: Lease,
    step: { cmd: number; attempt: number },
    now: Date,
    signal: AbortSignal,
    work: (client: pg.PoolClient) => Promise<Json | undefined>,
  ): Promise<TransactionOutcome>;

  // Batches (see docs/operations.md#bulk-actions): one operation on every run a filter matches.
  /** How many runs match `filter` (a batch's dry run). */
  countRuns(filter: BatchFilter): Promise<number>;
  /**
   * Stores a running batch with no progress, kept from `orphanedBatches` for `reserveMs` (store clock)
   * so that its creator may claim it first; false (nothing written) when the id is taken.
   */
  createBatch(batch: NewBatch, now: Date, reserveMs: number): Promise<boolean>;
  getBatch(id: string): Promise<BatchDescription | undefined>;
  /**
   * Leases a running batch to `owner` for `leaseMs` (store clock) if no other lease on it lasts,
   * incrementing its fencing token; undefined when no batch has this id.
   */
  claimBatch(id: string, owner: string, now: Date, leaseMs: number): Promise<BatchClaim | undefined>;
  /**
   * Applies the batch's operation to the latest run of `workflowId` as `enqueue` (cancel, signal) or
   * `terminate` do, at most once per batch and workflow id whatever the number of calls: the mark
   * that the batch reached this workflow is written in the same transaction as the operation.
   */
  applyBatch(
    batchId: string,
    workflowId: string,
    operation: BatchOperation,
    now: Date,
  ): Promise<BatchRunOutcome>;
  /**
   * Fenced: records a page done (cursor and counts) and extends the lease to `leaseMs` from now; on
   * the last page, completes the batch and ends the lease. False (nothing written) when the lease was
   * lost or the batch is no longer running.
   */
  advanceBatch(lease: BatchLease, step: BatchStep, now: Date, leaseMs: number): Promise<boolean>;
  /**
   * Up to `limit` running batches no runner holds, oldest first: their lease lapsed, or they were never
   * claimed and their reservation has passed (store clock).
   */
  orphanedBatches(now: Date, limit: number): Promise<string[]>;
  /** Stops a running batch (`cancelled`): no page is done after it. Same answers as `enqueue`. */
  stopBatch(id: string, now: Date): Promise<boolean | undefined>;
}

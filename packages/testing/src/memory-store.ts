import {
  type BatchClaim,
  type BatchDescription,
  type BatchFilter,
  type BatchLease,
  type BatchOperation,
  type BatchRunOutcome,
  type BatchStep,
  type CallerTransaction,
  type ClaimedRun,
  type ClaimedTask,
  type CommitOutcome,
  type CommitRequest,
  type ContinueRequest,
  type CreateScheduleOutcome,
  type EnqueueOptions,
  ErrorCodes,
  type ErrorInfo,
  type InboxItem,
  type Json,
  type Lease,
  type ListFilter,
  type ListPage,
  type NewBatch,
  type NewSchedule,
  type NewTask,
  type NewUpdate,
  type PostedQuery,
  type QueryAnswer,
  type RecordedEvent,
  ReelError,
  type ResetOutcome,
  type ResetRequest,
  type ScheduleDescription,
  type ScheduledRun,
  type ScheduleTick,
  type SendUpdateOutcome,
  type StartRequest,
  type StartResult,
  type Store,
  type StoreListener,
  type TaskClaim,
  type TaskOutcome,
  type TaskWait,
  type UpdateState,
  type WorkflowDescription,
} from '@reel/sdk';
import { type MemoryParts, memoryParts } from './memory-parts.ts';
import { MemoryTables, type Run } from './memory-tables.ts';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The store's own clock, standing for the database's: when given, it times leases and claims
   * instead of the `now` each call passes, as `PostgresStore` does with `claimClock: 'database'`
   * (a simulation gives each worker its own skewed clock). Default: the callers' `now` (the test
   * environment's virtual clock).
   */
  clock?: () => Date;
}

/**
 * A `Store` in memory, with the same rules as the Postgres store (the conformance suite runs against
 * both): idempotent start, fenced commits, conditional release, ready_at semantics. Values are copied
 * through JSON on the way in and out, as a database would. Its parts follow the Postgres store's:
 * runs, inboxes, leases, commits, workers and their queries, schedules, tasks, batches.
 */
export class MemoryStore implements Store {
  private readonly tables: MemoryTables;
  private readonly parts: MemoryParts;

  constructor(options: MemoryStoreOptions = {}) {
    this.tables = new MemoryTables(options.clock);
    // the store's own `start`: a subclass that hooks it sees the starts of schedule ticks too
    this.parts = memoryParts(this.tables, (req) => this.start(req));
  }

  async migrate(): Promise<void> {}

  registerTypes(types: string[]): Promise<void> {
    return this.parts.runs.registerTypes(types);
  }

  async start(req: StartRequest, transaction?: CallerTransaction): Promise<StartResult> {
    refuseTransaction(transaction, 'start');
    return this.parts.runs.start(req);
  }

  async enqueue(
    workflowId: string,
    item: Omit<InboxItem, 'id'>,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined> {
    refuseTransaction(transaction, item.kind);
    return this.parts.inbox.enqueue(workflowId, item, now);
  }

  async terminate(
    workflowId: string,
    reason: string | undefined,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined> {
    refuseTransaction(transaction, 'terminate');
    return this.parts.runs.terminate(workflowId, reason, now);
  }

  claim(owner: string, types: string[], limit: number, now: Date, leaseMs: number): Promise<ClaimedRun[]> {
    return this.parts.leases.claim(owner, types, limit, now, leaseMs);
  }

  nextReadyIn(types: string[], now: Date): Promise<number | undefined> {
    return this.parts.leases.nextReadyIn(types, now);
  }

  /** The earliest time a run no worker holds becomes claimable: where a virtual clock may jump to. */
  nextWakeAt(): Date | undefined {
    const run = this.parts.leases.nextUnheldAt();
    const tick = this.parts.schedules.nextWakeAt(); // a due schedule is a wake time too
    const task = this.parts.tasks.nextWakeAt(); // so is a queued task's retry time
    return [run, tick, task].reduce<Date | undefined>(
      (min, t) => (t && (!min || t < min) ? t : min),
      undefined,
    );
  }

  /** True when some worker holds a run, or a run is claimable at `now`: the engine is busy. */
  isBusy(now: Date): boolean {
    return (
      this.parts.leases.isBusy(now) || this.parts.schedules.hasWork(now) || this.parts.tasks.hasWork(now)
    );
  }

  /**
   * A run's row as stored, lease included, at this instant: for checks that look under the port (the
   * simulator compares every activity attempt with the lease the store holds when it starts, and
   * counts the runs of a concurrency key that have started).
   */
  peek(
    runId: string,
  ):
    | (Pick<Run, 'status' | 'leaseOwner' | 'readyAt' | 'fencingToken'> & { historyLength: number })
    | undefined {
    const run = this.tables.runs.get(runId);
    return (
      run && {
        status: run.status,
        leaseOwner: run.leaseOwner,
        readyAt: run.readyAt,
        historyLength: run.history.length,
        fencingToken: run.fencingToken,
      }
    );
  }

  loadHistory(runId: string, afterSeq?: number, beforeSeq?: number): Promise<RecordedEvent[]> {
    return this.parts.commits.loadHistory(runId, afterSeq, beforeSeq);
  }

  readInbox(runId: string): Promise<{ items: InboxItem[]; version: number }> {
    return this.parts.inbox.read(runId);
  }

  commit(req: CommitRequest): Promise<CommitOutcome> {
    return this.parts.commits.commit(req);
  }

  continueAsNew(req: ContinueRequest) {
    return this.parts.commits.continueAsNew(req);
  }

  park(lease: Lease, error: ErrorInfo, now: Date, retryAt: Date): Promise<boolean> {
    return this.parts.leases.park(lease, error, now, retryAt);
  }

  renew(leases: Lease[], now: Date, leaseMs: number): Promise<string[]> {
    return this.parts.leases.renew(leases, now, leaseMs);
  }

  describe(workflowId: string, runId?: string): Promise<WorkflowDescription | undefined> {
    return this.parts.runs.describe(workflowId, runId);
  }

  list(filter: ListFilter): Promise<ListPage> {
    return this.parts.runs.list(filter);
  }

  listRuns(workflowId: string, limit: number): Promise<WorkflowDescription[]> {
    return this.parts.runs.listRuns(workflowId, limit);
  }

  retryNow(workflowId: string, now: Date): Promise<boolean | undefined> {
    return this.parts.operations.retryNow(workflowId, now);
  }

  reset(req: ResetRequest): Promise<ResetOutcome> {
    return this.parts.operations.reset(req);
  }

  async listen(listener: StoreListener): Promise<() => Promise<void>> {
    this.tables.listeners.add(listener);
    return async () => {
      this.tables.listeners.delete(listener);
    };
  }

  heartbeat(workerId: string, types: string[], now: Date): Promise<void> {
    return this.parts.workers.heartbeat(workerId, types, now);
  }

  removeWorker(workerId: string): Promise<void> {
    return this.parts.workers.remove(workerId);
  }

  async passWake(runId: string, to: string[], runs: number): Promise<void> {
    this.tables.emit((l) => l.onWake?.(runId, to, runs));
  }

  postQuery(workflowId: string, name: string, args: Json[], now: Date, liveSince: Date) {
    return this.parts.workers.postQuery(workflowId, name, args, now, liveSince);
  }

  claimQuery(queryId: string, workerId: string, types: string[]): Promise<PostedQuery | undefined> {
    return this.parts.workers.claimQuery(queryId, workerId, types);
  }

  unclaimedQueries(types: string[]): Promise<{ runId: string; queryId: string }[]> {
    return this.parts.workers.unclaimedQueries(types);
  }

  answerQuery(queryId: string, answer: QueryAnswer): Promise<void> {
    return this.parts.workers.answerQuery(queryId, answer);
  }

  sendUpdate(workflowId: string, update: NewUpdate, now: Date): Promise<SendUpdateOutcome> {
    return this.parts.updates.send(workflowId, update, now);
  }

  readUpdate(workflowId: string, updateId: string): Promise<UpdateState | undefined> {
    return this.parts.updates.read(workflowId, updateId);
  }

  rejectUpdate(lease: Lease, updateId: string, error: ErrorInfo): Promise<void> {
    return this.parts.updates.reject(lease, updateId, error);
  }

  readQuery(queryId: string): Promise<QueryAnswer | undefined> {
    return this.parts.workers.readQuery(queryId);
  }

  deleteQuery(queryId: string): Promise<void> {
    return this.parts.workers.deleteQuery(queryId);
  }

  /** Tells every listener to look again (after a virtual clock jump). */
  wakeAll(): void {
    this.tables.emit((l) => l.onWake?.(''));
  }

  createSchedule(schedule: NewSchedule, now: Date): Promise<CreateScheduleOutcome> {
    return this.parts.schedules.create(schedule, now);
  }

  getSchedule(id: string): Promise<ScheduleDescription | undefined> {
    return this.parts.schedules.get(id);
  }

  listSchedules(): Promise<ScheduleDescription[]> {
    return this.parts.schedules.list();
  }

  setSchedulePaused(id: string, paused: boolean, nextFireAt: Date | null, now: Date): Promise<boolean> {
    return this.parts.schedules.setPaused(id, paused, nextFireAt, now);
  }

  deleteSchedule(id: string): Promise<boolean> {
    return this.parts.schedules.delete(id);
  }

  triggerSchedule(id: string, now: Date): Promise<ScheduledRun | undefined> {
    return this.parts.schedules.trigger(id, now);
  }

  fireSchedules(now: Date, limit: number): Promise<ScheduleTick[]> {
    return this.parts.schedules.fire(now, limit);
  }

  nextScheduleAt(): Promise<Date | undefined> {
    return this.parts.schedules.nextFireAt();
  }

  // `inherited` changes nothing here: a memory store's writes happen one at a time.
  enqueueTask(lease: Lease, task: NewTask, now: Date, _options?: EnqueueOptions): Promise<boolean> {
    return this.parts.tasks.enqueue(lease, task, now);
  }

  async tasksDueNow(lease: Lease, now: Date): Promise<void> {
    this.parts.tasks.dueNow(lease.runId, now, lease);
  }

  claimTasks(
    owner: string,
    queues: string[],
    names: string[],
    limit: number,
    now: Date,
    lockMs: number,
  ): Promise<ClaimedTask[]> {
    return this.parts.tasks.claim(owner, queues, names, limit, now, lockMs);
  }

  nextTaskIn(queues: string[], names: string[], now: Date): Promise<number | undefined> {
    return this.parts.tasks.nextIn(queues, names, now);
  }

  renewTasks(claims: (TaskClaim & { heartbeat?: Json })[], now: Date, lockMs: number): Promise<string[]> {
    return this.parts.tasks.renew(claims, now, lockMs);
  }

  completeTask(
    task: TaskClaim & Pick<NewTask, 'cmd' | 'attempt'>,
    outcome: TaskOutcome,
    now: Date,
  ): Promise<boolean> {
    return this.parts.tasks.complete(task, outcome, now);
  }

  async deleteTasks(runId: string, cmds?: number[]): Promise<void> {
    this.parts.tasks.delete(runId, cmds);
  }

  taskWaits(runId: string): Promise<{ cmd: number; waitingFor: TaskWait }[]> {
    return this.parts.tasks.waits(runId);
  }

  async purgeClosed(closedBefore: Date, limit: number): Promise<number> {
    this.parts.batches.purgeClosed(closedBefore, limit);
    const purged = this.parts.runs.purgeClosed(closedBefore, limit);
    for (const runId of purged) {
      this.parts.tasks.forget(runId);
      this.parts.workers.forget(runId);
    }
    return purged.length;
  }

  async countRuns(filter: BatchFilter): Promise<number> {
    return this.parts.runs.count(filter);
  }

  async createBatch(batch: NewBatch, now: Date, reserveMs: number): Promise<boolean> {
    return this.parts.batches.create(batch, now, reserveMs);
  }

  async getBatch(id: string): Promise<BatchDescription | undefined> {
    return this.parts.batches.get(id);
  }

  async claimBatch(id: string, owner: string, now: Date, leaseMs: number): Promise<BatchClaim | undefined> {
    return this.parts.batches.claim(id, owner, now, leaseMs);
  }

  applyBatch(
    batchId: string,
    workflowId: string,
    operation: BatchOperation,
    now: Date,
  ): Promise<BatchRunOutcome> {
    return this.parts.batches.apply(batchId, workflowId, operation, now);
  }

  async advanceBatch(lease: BatchLease, step: BatchStep, now: Date, leaseMs: number): Promise<boolean> {
    return this.parts.batches.advance(lease, step, now, leaseMs);
  }

  async orphanedBatches(now: Date, limit: number): Promise<string[]> {
    return this.parts.batches.orphaned(now, limit);
  }

  async stopBatch(id: string, now: Date): Promise<boolean | undefined> {
    return this.parts.batches.stop(id, now);
  }

  async close(): Promise<void> {
    this.tables.listeners.clear();
  }
}

/** A caller's transaction is a Postgres client: nothing in memory can commit with it. */
function refuseTransaction(transaction: CallerTransaction | undefined, what: string): void {
  if (transaction === undefined) return;
  throw new ReelError(
    ErrorCodes.TRANSACTION_UNSUPPORTED,
    `A ${what} inside your transaction needs a Postgres store; the in-memory store has no transaction to join. Test it with createTestEnv({ store: 'postgres' }) and a client of (env.store as PostgresStore).pool.`,
  );
}

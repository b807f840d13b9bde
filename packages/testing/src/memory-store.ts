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
  OPEN_STATUSES,
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
  type UpdateState,
  type WorkflowDescription,
  type WorkflowStatus,
} from '@reel/sdk';
import { MemoryBatches } from './memory-batches.ts';
import { MemoryCommits } from './memory-commits.ts';
import { MemoryInbox } from './memory-inbox.ts';
import { MemoryLeases } from './memory-leases.ts';
import { MemoryOperations } from './memory-operations.ts';
import { MemoryRuns } from './memory-runs.ts';
import { MemorySchedules } from './memory-schedules.ts';
import { MemoryTables } from './memory-tables.ts';
import { MemoryTasks } from './memory-tasks.ts';
import { MemoryUpdates } from './memory-updates.ts';
import { MemoryWorkers } from './memory-workers.ts';

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
  private readonly inbox: MemoryInbox;
  private readonly tasks: MemoryTasks;
  private readonly runs: MemoryRuns;
  private readonly schedules: MemorySchedules;
  private readonly leases: MemoryLeases;
  private readonly commits: MemoryCommits;
  private readonly workers: MemoryWorkers;
  private readonly batches: MemoryBatches;
  private readonly operations: MemoryOperations;
  private readonly updates: MemoryUpdates;

  constructor(options: MemoryStoreOptions = {}) {
    const tables = new MemoryTables(options.clock);
    this.tables = tables;
    this.inbox = new MemoryInbox(tables);
    this.tasks = new MemoryTasks({
      leased: (lease) => {
        const run = tables.runs.get(lease.runId);
        return run?.fencingToken === lease.fencingToken && run.leaseOwner !== null;
      },
      openWorkflowId: (runId) => {
        const run = tables.runs.get(runId);
        return run && OPEN_STATUSES.includes(run.status) ? run.workflowId : undefined;
      },
      resultWaiting: (runId, cmd, attempt) =>
        (tables.runs.get(runId)?.inbox ?? []).some((i) => {
          const p = i.payload as { cmd?: number; attempt?: number } | null;
          return i.kind === 'activity_result' && p?.cmd === cmd && p?.attempt === attempt;
        }),
      deliver: (runId, item, now) => {
        const run = tables.runs.get(runId);
        if (run && OPEN_STATUSES.includes(run.status)) this.inbox.deliver(run, item, now);
      },
      emit: (send) => tables.emit(send),
      storeNow: (now) => tables.storeNow(now),
    });
    this.runs = new MemoryRuns(tables, this.inbox, this.tasks);
    this.schedules = new MemorySchedules({
      knownType: (type) => tables.types.has(type),
      isOpen: (workflowId) => {
        const run = tables.latest(workflowId);
        return run !== undefined && OPEN_STATUSES.includes(run.status);
      },
      // the store's own `start`: a subclass that hooks it sees the starts of schedule ticks too
      start: (req) => this.start(req),
    });
    this.leases = new MemoryLeases(tables);
    this.commits = new MemoryCommits(tables, this.inbox, this.runs);
    this.workers = new MemoryWorkers(tables);
    this.batches = new MemoryBatches({
      enqueue: (workflowId, op, now) =>
        this.inbox.enqueue(
          workflowId,
          op.kind === 'signal'
            ? { kind: 'signal', name: op.name, payload: op.payload }
            : { kind: 'cancel', name: null, payload: op.kind === 'cancel' ? (op.reason ?? null) : null },
          now,
        ),
      terminate: (workflowId, reason, now) => this.runs.terminate(workflowId, reason, now),
      storeNow: (now) => tables.storeNow(now),
    });
    this.operations = new MemoryOperations(tables, this.inbox, this.tasks, this.runs);
    this.updates = new MemoryUpdates(tables, this.inbox);
  }

  async migrate(): Promise<void> {}

  registerTypes(types: string[]): Promise<void> {
    return this.runs.registerTypes(types);
  }

  async start(req: StartRequest, transaction?: CallerTransaction): Promise<StartResult> {
    refuseTransaction(transaction, 'start');
    return this.runs.start(req);
  }

  async enqueue(
    workflowId: string,
    item: Omit<InboxItem, 'id'>,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined> {
    refuseTransaction(transaction, item.kind);
    return this.inbox.enqueue(workflowId, item, now);
  }

  async terminate(
    workflowId: string,
    reason: string | undefined,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined> {
    refuseTransaction(transaction, 'terminate');
    return this.runs.terminate(workflowId, reason, now);
  }

  claim(owner: string, types: string[], limit: number, now: Date, leaseMs: number): Promise<ClaimedRun[]> {
    return this.leases.claim(owner, types, limit, now, leaseMs);
  }

  nextReadyIn(types: string[], now: Date): Promise<number | undefined> {
    return this.leases.nextReadyIn(types, now);
  }

  /** The earliest time a run no worker holds becomes claimable: where a virtual clock may jump to. */
  nextWakeAt(): Date | undefined {
    const run = this.leases.nextUnheldAt();
    const tick = this.schedules.nextWakeAt(); // a due schedule is a wake time too
    const task = this.tasks.nextWakeAt(); // so is a queued task's retry time
    return [run, tick, task].reduce<Date | undefined>(
      (min, t) => (t && (!min || t < min) ? t : min),
      undefined,
    );
  }

  /** True when some worker holds a run, or a run is claimable at `now`: the engine is busy. */
  isBusy(now: Date): boolean {
    return this.leases.isBusy(now) || this.schedules.hasWork(now) || this.tasks.hasWork(now);
  }

  /**
   * A run's row as stored, lease included, at this instant: for checks that look under the port (the
   * simulator compares every activity attempt with the lease the store holds when it starts).
   */
  peek(
    runId: string,
  ):
    | { status: WorkflowStatus; leaseOwner: string | null; readyAt: Date | null; historyLength: number }
    | undefined {
    const run = this.tables.runs.get(runId);
    return (
      run && {
        status: run.status,
        leaseOwner: run.leaseOwner,
        readyAt: run.readyAt,
        historyLength: run.history.length,
      }
    );
  }

  loadHistory(runId: string, afterSeq?: number): Promise<RecordedEvent[]> {
    return this.commits.loadHistory(runId, afterSeq);
  }

  readInbox(runId: string): Promise<{ items: InboxItem[]; version: number }> {
    return this.inbox.read(runId);
  }

  commit(req: CommitRequest): Promise<CommitOutcome> {
    return this.commits.commit(req);
  }

  continueAsNew(req: ContinueRequest) {
    return this.commits.continueAsNew(req);
  }

  park(lease: Lease, error: ErrorInfo, now: Date, retryAt: Date): Promise<boolean> {
    return this.leases.park(lease, error, now, retryAt);
  }

  renew(leases: Lease[], now: Date, leaseMs: number): Promise<string[]> {
    return this.leases.renew(leases, now, leaseMs);
  }

  describe(workflowId: string, runId?: string): Promise<WorkflowDescription | undefined> {
    return this.runs.describe(workflowId, runId);
  }

  list(filter: ListFilter): Promise<ListPage> {
    return this.runs.list(filter);
  }

  listRuns(workflowId: string, limit: number): Promise<WorkflowDescription[]> {
    return this.runs.listRuns(workflowId, limit);
  }

  retryNow(workflowId: string, now: Date): Promise<boolean | undefined> {
    return this.operations.retryNow(workflowId, now);
  }

  reset(req: ResetRequest): Promise<ResetOutcome> {
    return this.operations.reset(req);
  }

  async listen(listener: StoreListener): Promise<() => Promise<void>> {
    this.tables.listeners.add(listener);
    return async () => {
      this.tables.listeners.delete(listener);
    };
  }

  heartbeat(workerId: string, types: string[], now: Date): Promise<void> {
    return this.workers.heartbeat(workerId, types, now);
  }

  removeWorker(workerId: string): Promise<void> {
    return this.workers.remove(workerId);
  }

  postQuery(workflowId: string, name: string, args: Json[], now: Date, liveSince: Date) {
    return this.workers.postQuery(workflowId, name, args, now, liveSince);
  }

  claimQuery(queryId: string, workerId: string, types: string[]): Promise<PostedQuery | undefined> {
    return this.workers.claimQuery(queryId, workerId, types);
  }

  unclaimedQueries(types: string[]): Promise<{ runId: string; queryId: string }[]> {
    return this.workers.unclaimedQueries(types);
  }

  answerQuery(queryId: string, answer: QueryAnswer): Promise<void> {
    return this.workers.answerQuery(queryId, answer);
  }

  sendUpdate(workflowId: string, update: NewUpdate, now: Date): Promise<SendUpdateOutcome> {
    return this.updates.send(workflowId, update, now);
  }

  readUpdate(workflowId: string, updateId: string): Promise<UpdateState | undefined> {
    return this.updates.read(workflowId, updateId);
  }

  rejectUpdate(lease: Lease, updateId: string, error: ErrorInfo): Promise<void> {
    return this.updates.reject(lease, updateId, error);
  }

  readQuery(queryId: string): Promise<QueryAnswer | undefined> {
    return this.workers.readQuery(queryId);
  }

  deleteQuery(queryId: string): Promise<void> {
    return this.workers.deleteQuery(queryId);
  }

  /** Tells every listener to look again (after a virtual clock jump). */
  wakeAll(): void {
    this.tables.emit((l) => l.onWake?.(''));
  }

  createSchedule(schedule: NewSchedule, now: Date): Promise<CreateScheduleOutcome> {
    return this.schedules.create(schedule, now);
  }

  getSchedule(id: string): Promise<ScheduleDescription | undefined> {
    return this.schedules.get(id);
  }

  listSchedules(): Promise<ScheduleDescription[]> {
    return this.schedules.list();
  }

  setSchedulePaused(id: string, paused: boolean, nextFireAt: Date | null, now: Date): Promise<boolean> {
    return this.schedules.setPaused(id, paused, nextFireAt, now);
  }

  deleteSchedule(id: string): Promise<boolean> {
    return this.schedules.delete(id);
  }

  triggerSchedule(id: string, now: Date): Promise<ScheduledRun | undefined> {
    return this.schedules.trigger(id, now);
  }

  fireSchedules(now: Date, limit: number): Promise<ScheduleTick[]> {
    return this.schedules.fire(now, limit);
  }

  nextScheduleAt(): Promise<Date | undefined> {
    return this.schedules.nextFireAt();
  }

  enqueueTask(lease: Lease, task: NewTask, now: Date): Promise<boolean> {
    return this.tasks.enqueue(lease, task, now);
  }

  claimTasks(
    owner: string,
    queues: string[],
    names: string[],
    limit: number,
    now: Date,
    lockMs: number,
  ): Promise<ClaimedTask[]> {
    return this.tasks.claim(owner, queues, names, limit, now, lockMs);
  }

  nextTaskIn(queues: string[], names: string[], now: Date): Promise<number | undefined> {
    return this.tasks.nextIn(queues, names, now);
  }

  renewTasks(claims: (TaskClaim & { heartbeat?: Json })[], now: Date, lockMs: number): Promise<string[]> {
    return this.tasks.renew(claims, now, lockMs);
  }

  completeTask(
    task: TaskClaim & Pick<NewTask, 'cmd' | 'attempt'>,
    outcome: TaskOutcome,
    now: Date,
  ): Promise<boolean> {
    return this.tasks.complete(task, outcome, now);
  }

  async deleteTasks(runId: string, cmds?: number[]): Promise<void> {
    this.tasks.delete(runId, cmds);
  }

  async purgeClosed(closedBefore: Date, limit: number): Promise<number> {
    this.batches.purgeClosed(closedBefore, limit);
    const purged = this.runs.purgeClosed(closedBefore, limit);
    for (const runId of purged) {
      this.tasks.forget(runId);
      this.workers.forget(runId);
    }
    return purged.length;
  }

  async countRuns(filter: BatchFilter): Promise<number> {
    return this.runs.count(filter);
  }

  async createBatch(batch: NewBatch, now: Date, reserveMs: number): Promise<boolean> {
    return this.batches.create(batch, now, reserveMs);
  }

  async getBatch(id: string): Promise<BatchDescription | undefined> {
    return this.batches.get(id);
  }

  async claimBatch(id: string, owner: string, now: Date, leaseMs: number): Promise<BatchClaim | undefined> {
    return this.batches.claim(id, owner, now, leaseMs);
  }

  applyBatch(
    batchId: string,
    workflowId: string,
    operation: BatchOperation,
    now: Date,
  ): Promise<BatchRunOutcome> {
    return this.batches.apply(batchId, workflowId, operation, now);
  }

  async advanceBatch(lease: BatchLease, step: BatchStep, now: Date, leaseMs: number): Promise<boolean> {
    return this.batches.advance(lease, step, now, leaseMs);
  }

  async orphanedBatches(now: Date, limit: number): Promise<string[]> {
    return this.batches.orphaned(now, limit);
  }

  async stopBatch(id: string, now: Date): Promise<boolean | undefined> {
    return this.batches.stop(id, now);
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

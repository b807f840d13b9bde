import type pg from 'pg';
import type { Json } from '../../codec.ts';
import { ErrorCodes, type ErrorInfo, ReelError } from '../../errors.ts';
import { defaultLogger } from '../../logger.ts';
import type {
  CreateScheduleOutcome,
  NewSchedule,
  ScheduleDescription,
  ScheduledRun,
  ScheduleTick,
} from '../../schedules/types.ts';
import type { RecordedEvent } from '../../workflow/events.ts';
import type {
  BatchClaim,
  BatchDescription,
  BatchFilter,
  BatchLease,
  BatchOperation,
  BatchRunOutcome,
  BatchStep,
  NewBatch,
} from '../batches.ts';
import type {
  CallerTransaction,
  ClaimedRun,
  CommitOutcome,
  CommitRequest,
  ContinueRequest,
  InboxItem,
  Lease,
  ListFilter,
  ListPage,
  PostedQuery,
  QueryAnswer,
  ResetOutcome,
  ResetRequest,
  StartRequest,
  StartResult,
  Store,
  StoreListener,
  TransactionOutcome,
  WorkflowDescription,
} from '../store.ts';
import type { ClaimedTask, EnqueueOptions, NewTask, TaskClaim, TaskOutcome, TaskWait } from '../tasks.ts';
import type { NewUpdate, SendUpdateOutcome, UpdateState } from '../updates.ts';
import { migrate } from './migrate.ts';
import { ownPool } from './pool.ts';
import { PostgresBatches } from './postgres-batches.ts';
import { PostgresCommits } from './postgres-commits.ts';
import { PostgresInbox } from './postgres-inbox.ts';
import { PostgresLeases } from './postgres-leases.ts';
import { PostgresListener } from './postgres-listener.ts';
import { PostgresOperations } from './postgres-operations.ts';
import type { PostgresOptions } from './postgres-options.ts';
import { PostgresRuns } from './postgres-runs.ts';
import { PostgresSchedules } from './postgres-schedules.ts';
import { PostgresTasks } from './postgres-tasks.ts';
import { PostgresTransactions } from './postgres-transactions.ts';
import { PostgresUpdates } from './postgres-updates.ts';
import { PostgresWorkers } from './postgres-workers.ts';

/**
 * The production `Store`: schema `reel` in Postgres. One part per concept, each on the store's pool:
 * runs, inboxes, leases, commits, workers and their queries, schedules, tasks, batches, operator
 * actions, and the notifications.
 */
export class PostgresStore implements Store {
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly listener: PostgresListener;
  private readonly runs: PostgresRuns;
  private readonly inbox: PostgresInbox;
  private readonly leases: PostgresLeases;
  private readonly commits: PostgresCommits;
  private readonly workers: PostgresWorkers;
  private readonly schedules: PostgresSchedules;
  private readonly tasks: PostgresTasks;
  private readonly transactions: PostgresTransactions;
  private readonly batches: PostgresBatches;
  private readonly operations: PostgresOperations;
  private readonly updates: PostgresUpdates;
  /** Whether leases and claims are timed by the callers' `now` rather than the database's clock. */
  private readonly engineClock: boolean;

  constructor(options: PostgresOptions) {
    if (!options?.pool && !(typeof options?.connectionString === 'string' && options.connectionString)) {
      throw new ReelError(
        ErrorCodes.INVALID_ARGUMENT,
        'Reel needs a Postgres connectionString (e.g. postgres://user:pass@host:5432/db) or a pg pool; is DATABASE_URL set?',
      );
    }
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? ownPool(options.connectionString as string, options);
    this.engineClock = options.claimClock === 'engine';
    const clock = (now: Date) => this.clock(now);
    this.listener = new PostgresListener(this.pool, options.logger ?? defaultLogger());
    this.runs = new PostgresRuns(this.pool, clock, options.onStartBatch);
    this.inbox = new PostgresInbox(this.pool, clock);
    this.leases = new PostgresLeases(this.pool, clock);
    this.commits = new PostgresCommits(this.pool, clock, options.onCommitBatch);
    this.workers = new PostgresWorkers(this.pool);
    // the store's own `start`: a subclass that hooks it sees the starts of schedule ticks too
    this.schedules = new PostgresSchedules(this.pool, (req, db) => this.start(req, db));
    this.tasks = new PostgresTasks(this.pool, clock);
    this.transactions = new PostgresTransactions(this.pool);
    this.batches = new PostgresBatches(this.pool, clock, this.runs, this.inbox);
    this.operations = new PostgresOperations(this.pool, clock);
    this.updates = new PostgresUpdates(this.pool, clock);
  }

  async migrate(): Promise<void> {
    await migrate(this.pool);
  }

  /** A worker's first call: its code needs the schema its migrations make. */
  registerTypes(types: string[], now: Date): Promise<void> {
    return this.runs.registerTypes(types, now);
  }

  /** `db`: a client inside a transaction, for a start that must commit with other writes (a schedule's tick, the caller's). */
  start(req: StartRequest, db: pg.Pool | pg.ClientBase = this.pool): Promise<StartResult> {
    return this.runs.start(req, db);
  }

  enqueue(
    workflowId: string,
    item: Omit<InboxItem, 'id'>,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined> {
    return this.inbox.enqueue(workflowId, item, now, transaction);
  }

  terminate(
    workflowId: string,
    reason: string | undefined,
    now: Date,
    transaction?: CallerTransaction,
  ): Promise<boolean | undefined> {
    return this.runs.terminate(workflowId, reason, now, transaction);
  }

  claim(owner: string, types: string[], limit: number, now: Date, leaseMs: number): Promise<ClaimedRun[]> {
    return this.leases.claim(owner, types, limit, now, leaseMs);
  }

  nextReadyIn(types: string[], now: Date): Promise<number | undefined> {
    return this.leases.nextReadyIn(types, now);
  }

  loadHistory(runId: string, afterSeq?: number, beforeSeq?: number): Promise<RecordedEvent[]> {
    return this.commits.loadHistory(runId, afterSeq, beforeSeq);
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

  heartbeat(workerId: string, types: string[], now: Date): Promise<void> {
    return this.workers.heartbeat(workerId, types, now);
  }

  removeWorker(workerId: string): Promise<void> {
    return this.workers.remove(workerId);
  }

  passWake(runId: string, to: string[], runs: number): Promise<void> {
    return this.workers.passWake(runId, to, runs);
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

  answerQuery(queryId: string, answer: QueryAnswer, now: Date): Promise<void> {
    return this.workers.answerQuery(queryId, answer, now);
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

  /**
   * Resolves once the listener's channels are listened on, or, while Postgres is unreachable, once
   * the LISTEN connection is being made again: it then listens on them, and the listener hears
   * `onWake('')`. Rejects only for errors other than connection errors.
   */
  listen(listener: StoreListener): Promise<() => Promise<void>> {
    return this.listener.listen(listener);
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

  enqueueTask(lease: Lease, task: NewTask, now: Date, options: EnqueueOptions = {}): Promise<boolean> {
    return this.tasks.enqueue(lease, task, now, options);
  }

  tasksDueNow(lease: Lease, now: Date): Promise<void> {
    return this.tasks.dueNow(lease, now);
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

  deleteTasks(runId: string, cmds?: number[]): Promise<void> {
    return this.tasks.delete(runId, cmds);
  }

  taskWaits(runId: string): Promise<{ cmd: number; waitingFor: TaskWait }[]> {
    return this.tasks.waits(runId);
  }

  transaction(
    lease: Lease,
    step: { cmd: number; attempt: number },
    now: Date,
    signal: AbortSignal,
    work: (client: pg.PoolClient) => Promise<Json | undefined>,
  ): Promise<TransactionOutcome> {
    return this.transactions.run(lease, step, now, signal, work);
  }

  countRuns(filter: BatchFilter): Promise<number> {
    return this.batches.count(filter);
  }

  createBatch(batch: NewBatch, now: Date, reserveMs: number): Promise<boolean> {
    return this.batches.create(batch, now, reserveMs);
  }

  getBatch(id: string): Promise<BatchDescription | undefined> {
    return this.batches.get(id);
  }

  claimBatch(id: string, owner: string, now: Date, leaseMs: number): Promise<BatchClaim | undefined> {
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

  advanceBatch(lease: BatchLease, step: BatchStep, now: Date, leaseMs: number): Promise<boolean> {
    return this.batches.advance(lease, step, now, leaseMs);
  }

  orphanedBatches(now: Date, limit: number): Promise<string[]> {
    return this.batches.orphaned(now, limit);
  }

  stopBatch(id: string, now: Date): Promise<boolean | undefined> {
    return this.batches.stop(id, now);
  }

  /** The store's clock for a call made at engine time `now`: null stands for the database's `now()`. */
  private clock(now: Date): Date | null {
    return this.engineClock ? now : null;
  }

  purgeClosed(closedBefore: Date, limit: number): Promise<number> {
    return this.runs.purgeClosed(closedBefore, limit);
  }

  async close(): Promise<void> {
    await this.listener.close();
    if (this.ownsPool) await this.pool.end();
  }
}

export type { PostgresOptions } from './postgres-options.ts';

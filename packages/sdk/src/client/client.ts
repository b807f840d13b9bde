import { SpanKind } from '@opentelemetry/api';
import { assertJson } from '../codec.ts';
import type { Duration } from '../duration.ts';
import { ErrorCodes, ReelError } from '../errors.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import {
  type CallerTransaction,
  type ListFilter,
  type ListPage,
  OPEN_STATUSES,
  type StartRequest,
  type Store,
  type WorkflowDescription,
} from '../store/store.ts';
import { inSpan, TraceAttributes, traceCarrier } from '../tracing.ts';
import type { WorkflowFn, WorkflowInput, WorkflowResult } from '../workflow/context.ts';
import { wallClock } from '../workflow/determinism-guard.ts';
import { BatchClient } from './batch-client.ts';
import type {
  ClientMetrics,
  ClientOptions,
  LocalWorker,
  SignalSendOptions,
  StartOptions,
  WorkflowHandle,
  WorkflowHistory,
} from './client-types.ts';
import { deliver } from './deliver.ts';
import { ClientNotifications } from './notifications.ts';
import { type ResetOptions, reset, retryNow } from './operator-actions.ts';
import { type PendingWork, pendingWork } from './pending.ts';
import { QuerySender } from './query-sender.ts';
import { ResultWaiter } from './result-waiter.ts';
import { ScheduleClient } from './schedule-client.ts';
import { startRequest } from './start-request.ts';
import { type UpdateOptions, UpdateSender } from './update-sender.ts';
import {
  checkFilter,
  checkId,
  checkLimit,
  checkName,
  checkRunId,
  checkStarted,
  checkTransaction,
  notFound,
  rethrowFor,
  workflowTypeOf,
} from './validate.ts';

export type * from './client-types.ts';

/**
 * Starts, signals, cancels and inspects workflows, straight against Postgres.
 * @example
 * const client = new Client({ connectionString: process.env.DATABASE_URL });
 * const handle = await client.start(orderWorkflow, order, { id: `order-${order.id}` });
 * await client.signal(handle.id, 'approve', { approved: true });
 * console.log(await handle.result());
 */
export class Client {
  readonly store: Store;
  /** Cron schedules that start workflows: create, pause, resume, trigger, delete, list, describe. */
  readonly schedules: ScheduleClient;
  /** Bulk actions: cancel, terminate or signal every run a filter matches; describe, resume, stop. */
  readonly batches: BatchClient;
  private readonly clock: () => Date;
  private readonly worker: LocalWorker | undefined;
  private readonly ownsStore: boolean;
  private readonly notifications: ClientNotifications;
  private readonly results: ResultWaiter;
  private readonly queries: QuerySender;
  private readonly updates: UpdateSender;
  private readonly metrics: ClientMetrics;

  constructor(options: ClientOptions) {
    this.metrics = options.metrics ?? {};
    this.ownsStore = options.store === undefined;
    this.store =
      options.store ??
      new PostgresStore({ ...options, onStartBatch: (starts) => this.metrics.startBatch?.(starts) });
    this.clock = options.clock ?? wallClock;
    this.worker = options.worker;
    this.schedules = new ScheduleClient(
      this.store,
      () => this.clock(),
      (id, runId) => this.getHandle(id, runId),
      this.metrics,
    );
    this.batches = new BatchClient(this.store, () => this.clock());
    this.notifications = new ClientNotifications(this.store);
    this.results = new ResultWaiter(this.store, this.worker, this.notifications, (id, runId) =>
      this.describeRun(id, runId),
    );
    this.queries = new QuerySender(this.store, () => this.clock(), this.notifications);
    this.updates = new UpdateSender(this.store, () => this.clock(), this.notifications);
  }

  /**
   * Starts a workflow by function (typed) or by registered type name. Idempotent by `id`. With
   * `{ transaction }` (your `pg` client after `BEGIN`) the run exists if and only if that commits.
   * @example
   * await tx.query('BEGIN');
   * await tx.query('insert into orders (id) values ($1)', [order.id]);
   * await client.start(orderWorkflow, order, { id: `order-${order.id}`, transaction: tx });
   * await tx.query('COMMIT'); // the order and its workflow, or neither
   */
  async start<W extends WorkflowFn>(
    workflow: W | string,
    input: WorkflowInput<W>,
    options: StartOptions = {},
  ): Promise<WorkflowHandle<WorkflowResult<W>>> {
    return this.begin(workflow, input, options, false);
  }

  private async begin<W extends WorkflowFn>(
    workflow: W | string,
    input: WorkflowInput<W>,
    options: StartOptions,
    newRun: boolean,
  ): Promise<WorkflowHandle<WorkflowResult<W>>> {
    const type = workflowTypeOf(workflow);
    const now = this.clock();
    const { workflowId, policy, tx, mayWait, request } = startRequest(type, input, options, now, newRun);
    if (policy === 'terminateExisting') {
      await this.terminateRun(workflowId, 'replaced by a new run (onConflict: terminateExisting)', now, tx);
    }
    const spanAttributes = { [TraceAttributes.workflowId]: workflowId, [TraceAttributes.workflowType]: type };
    // Begun before the start is sent: a close of the run it makes cannot come before it. Not for a run
    // in the caller's transaction, which may never commit.
    const watch = tx ? undefined : this.notifications.watch(workflowId);
    const started = await inSpan(
      `reel.start ${type}`,
      { kind: SpanKind.PRODUCER, attributes: spanAttributes },
      async (span) => {
        // The start span's context is stored with the run: every worker's spans for it join its trace.
        const trace = traceCarrier(span);
        const req: StartRequest = { ...request, ...(trace ? { trace: { parent: trace } } : {}) };
        // A run inside the caller's transaction is no one's to hand to a worker before it commits, nor
        // is one that may have to wait (for a slot, or for more starts to join it).
        const local = tx || mayWait ? undefined : await this.worker?.startLocally(req);
        const started = local ?? (await this.store.start(req, tx).catch(rethrowFor(tx)));
        if (started.created) this.metrics.workflowStarted?.(type);
        span.setAttributes({
          [TraceAttributes.runId]: started.runId,
          [TraceAttributes.created]: started.created,
        });
        checkStarted(started, workflowId, type, policy);
        return started;
      },
    );
    const id = started.workflowId ?? workflowId;
    // A run that was there before (or another id's, joined) may have closed before the watch began.
    if (started.created && id === workflowId) watch?.started(started.runId);
    else watch?.end();
    return this.handle(id, started.runId, started.created);
  }

  /**
   * Signals a workflow, starting it first if no run with this id is open (a closed one is not reused).
   * @example await client.signalWithStart(cartWorkflow, { user }, { id: `cart-${user}` }, 'add', item);
   */
  async signalWithStart<W extends WorkflowFn>(
    workflow: W | string,
    input: WorkflowInput<W>,
    options: Omit<StartOptions, 'onConflict'> & { id: string },
    signal: string,
    payload?: unknown,
  ): Promise<WorkflowHandle<WorkflowResult<W>>> {
    checkName(signal, 'signal name');
    const handle = await this.begin(workflow, input, options, true);
    await this.signal(handle.id, signal, payload, options);
    return handle;
  }

  /** A handle to an existing workflow (its latest run unless `runId` is given). */
  getHandle<R = unknown>(workflowId: string, runId?: string): WorkflowHandle<R> {
    return this.handle(checkId(workflowId), runId, false);
  }

  /**
   * Sends a signal; it is buffered until the workflow waits for it. Throws if the workflow is closed.
   * With `{ transaction }` (your `pg` client after `BEGIN`) it arrives if and only if that commits.
   * @example await client.signal('order-42', 'paid', { amount }, { transaction: tx });
   */
  async signal(
    workflowId: string,
    name: string,
    payload?: unknown,
    options: SignalSendOptions = {},
  ): Promise<void> {
    checkName(name, 'signal name');
    const json = assertJson(payload, `The payload of signal '${name}'`) ?? null;
    const tx = options.transaction === undefined ? undefined : checkTransaction(options.transaction);
    const attributes = { [TraceAttributes.workflowId]: workflowId, [TraceAttributes.signalName]: name };
    await inSpan(`reel.signal ${name}`, { kind: SpanKind.PRODUCER, attributes }, () =>
      deliver(
        this.store,
        workflowId,
        { kind: 'signal', name, payload: json },
        `signal '${name}'`,
        this.clock(),
        tx,
      ),
    );
  }

  /** Asks a workflow to cancel: its pending awaits reject with `CancelledError`. */
  async cancel(workflowId: string, reason?: string): Promise<void> {
    if (reason !== undefined && typeof reason !== 'string') {
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'The cancellation reason must be a string.');
    }
    const item = { kind: 'cancel' as const, name: null, payload: reason ?? null };
    await deliver(this.store, workflowId, item, 'cancel', this.clock());
  }

  /** Closes a workflow at once as `terminated`: no workflow code runs, no cleanup. Prefer `cancel`. */
  async terminate(workflowId: string, reason?: string): Promise<void> {
    if (reason !== undefined && typeof reason !== 'string') {
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'The termination reason must be a string.');
    }
    const done = await this.terminateRun(checkId(workflowId), reason, this.clock());
    if (done === undefined) throw notFound(workflowId);
    if (!done)
      throw new ReelError(
        ErrorCodes.WORKFLOW_CLOSED,
        `Workflow ${workflowId} has already closed, so it cannot be terminated.`,
      );
  }

  /**
   * The run (the latest, or `runId`). For an open run, `pending` says what it waits on: activities
   * (attempt, last error, next attempt time, task queue, the limit an attempt waits for), timers,
   * children, read from its history and its tasks.
   */
  async describe(
    workflowId: string,
    options: { runId?: string } = {},
  ): Promise<WorkflowDescription & { pending?: PendingWork }> {
    const found = await this.describeRun(workflowId, options.runId);
    if (!OPEN_STATUSES.includes(found.status)) return found;
    const [history, waits] = await Promise.all([
      this.store.loadHistory(found.runId),
      this.store.taskWaits(found.runId),
    ]);
    return { ...found, pending: pendingWork(history, waits) };
  }

  /** The run's row alone: what `result()` polls. */
  private async describeRun(workflowId: string, runId?: string): Promise<WorkflowDescription> {
    const found = await this.store.describe(
      checkId(workflowId),
      runId === undefined ? undefined : checkRunId(runId),
    );
    if (!found) throw notFound(workflowId);
    return found;
  }

  /**
   * Operator action: the workflow's latest run skips the backoff it waits out (an activity's retry, or
   * its own while parked) and tries again now.
   * @example await client.retryNow('order-42'); // after deploying the fix for what it kept failing on
   */
  retryNow(workflowId: string): Promise<void> {
    return retryNow(this.store, workflowId, this.clock());
  }

  /**
   * Operator action: starts a new run of the workflow from event `toEvent` of a run's history (the
   * latest run's by default). The new run replays the events up to that point, so the activities they
   * record never run again, and redoes the rest with the code deployed now; an open old run closes as
   * `reset`, and `describe` of it names the new one (`resetTo`). Throws `REEL_INVALID_RESET_POINT` for
   * a point between an activity's scheduling and its outcome.
   * @example const handle = await client.reset('order-42', { toEvent: 7, reason: 'card service fixed' });
   */
  async reset(workflowId: string, options: ResetOptions): Promise<WorkflowHandle<unknown>> {
    const runId = await reset(this.store, workflowId, options, () => this.clock());
    return this.handle(workflowId, runId, true);
  }

  /**
   * Runs, newest first, filtered by status, type, attributes and creation time; pass `nextCursor` back
   * for the next page.
   */
  async list(filter: ListFilter = {}): Promise<ListPage> {
    if (filter.limit !== undefined) checkLimit(filter.limit);
    checkFilter(filter);
    return this.store.list(filter);
  }

  /**
   * The runs of a workflow id, the latest first: its continue-as-new chain and the runs its resets
   * started, with their status and run ids; at most `limit` (1 to 1000, default 50).
   * @example const [latest, previous] = await client.runs('nightly-report');
   */
  async runs(workflowId: string, options: { limit?: number } = {}): Promise<WorkflowDescription[]> {
    const limit = options.limit ?? 50;
    checkLimit(limit);
    const runs = await this.store.listRuns(checkId(workflowId), limit);
    if (runs.length === 0) throw notFound(workflowId);
    return runs;
  }

  /**
   * The run's full history as plain JSON: save it as a fixture and replay it against new code. With
   * `after`, only the events after that seq: what a reader that has the others lacks.
   */
  async history(
    workflowId: string,
    options: { runId?: string; after?: number } = {},
  ): Promise<WorkflowHistory> {
    const { after } = options;
    if (after !== undefined && !(Number.isInteger(after) && after >= 0))
      throw new ReelError(ErrorCodes.INVALID_ARGUMENT, `after is a seq, an integer from 0, not ${after}.`);
    const run = await this.describeRun(workflowId, options.runId);
    return {
      workflowId: run.workflowId,
      runId: run.runId,
      workflowType: run.type,
      events: await this.store.loadHistory(run.runId, after),
    };
  }

  /** Waits for a workflow to close and returns its result (see `WorkflowHandle.result`). */
  result<R = unknown>(workflowId: string, options: { runId?: string; timeout?: Duration } = {}): Promise<R> {
    return this.results.result<R>(workflowId, options);
  }

  /**
   * Asks a workflow a question answered by its `ctx.onQuery` handler: by the worker that holds it, or
   * by replay on any worker serving its type. Fails fast with `REEL_NO_WORKER` when none is live.
   * @example const status = await client.query<OrderStatus>('order-42', 'status');
   */
  query<R = unknown>(
    workflowId: string,
    name: string,
    args: unknown[] = [],
    options: { timeout?: Duration } = {},
  ): Promise<R> {
    const attributes = { [TraceAttributes.workflowId]: workflowId, [TraceAttributes.queryName]: name };
    return inSpan(`reel.query ${name}`, { kind: SpanKind.CLIENT, attributes }, () =>
      this.queries.query<R>(workflowId, name, args, options),
    );
  }

  /**
   * Sends an update to a workflow and waits for its `ctx.onUpdate` handler's result. Its validator
   * may reject it first (`REEL_UPDATE_REJECTED`, nothing recorded); a handler that throws gives
   * `REEL_UPDATE_FAILED`. Once accepted, the update is in history: it outlives crashes, and sending
   * the same `updateId` again returns its outcome instead of running it twice.
   * @example const total = await client.update<number>('cart-7', 'addItem', { sku: 'A-1' }, { updateId: 'req-81' });
   */
  update<R = unknown>(
    workflowId: string,
    name: string,
    arg?: unknown,
    options: UpdateOptions = {},
  ): Promise<R> {
    const attributes = { [TraceAttributes.workflowId]: workflowId, [TraceAttributes.updateName]: name };
    return inSpan(`reel.update ${name}`, { kind: SpanKind.CLIENT, attributes }, () =>
      this.updates.update<R>(workflowId, name, arg, options),
    );
  }

  async close(): Promise<void> {
    await this.notifications.close();
    if (this.ownsStore) await this.store.close();
  }

  /** `store.terminate`, counted by the type of the run it closed. */
  private async terminateRun(
    workflowId: string,
    reason: string | undefined,
    now: Date,
    tx?: CallerTransaction,
  ): Promise<boolean | undefined> {
    // Only when counted: the type costs a read, and terminating is rare.
    const type = this.metrics.workflowTerminated && (await this.store.describe(workflowId))?.type;
    const done = await this.store.terminate(workflowId, reason, now, tx).catch(rethrowFor(tx));
    if (done && type) this.metrics.workflowTerminated?.(type);
    return done;
  }

  private handle<R>(id: string, runId: string | undefined, created: boolean): WorkflowHandle<R> {
    return {
      id,
      runId,
      created,
      result: (options) => this.result<R>(id, { ...options, runId }),
      describe: () => this.describe(id, { runId }),
      signal: (name, payload, options) => this.signal(id, name, payload, options),
      cancel: (reason) => this.cancel(id, reason),
      terminate: (reason) => this.terminate(id, reason),
    };
  }
}

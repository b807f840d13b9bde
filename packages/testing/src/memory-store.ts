import {
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
  type NewSchedule,
  type NewTask,
  OPEN_STATUSES,
  type PostedQuery,
  type QueryAnswer,
  type RecordedEvent,
  ReelError,
  type ScheduleDescription,
  type ScheduledRun,
  type ScheduleTick,
  type StartRequest,
  type StartResult,
  type Store,
  type StoreListener,
  startedData,
  type TaskClaim,
  type TaskOutcome,
  type WorkflowDescription,
  type WorkflowStatus,
} from '@reel/sdk';
import { MemorySchedules } from './memory-schedules.ts';
import { MemoryTasks } from './memory-tasks.ts';
import { after, msUntil } from './memory-time.ts';

interface Run {
  runId: string;
  workflowId: string;
  type: string;
  status: WorkflowStatus;
  input: Json | undefined;
  result?: Json;
  error?: ErrorInfo;
  readyAt: Date | null;
  leaseOwner: string | null;
  fencingToken: number;
  inboxVersion: number;
  history: RecordedEvent[];
  inbox: InboxItem[];
  parkedError?: ErrorInfo;
  parkAttempts: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date;
  /** Insertion order: which run of a workflow id is the latest. */
  order: number;
  attributes?: Record<string, Json>;
  parent?: { runId: string; cmd: number; closePolicy: string };
}

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
 * through JSON on the way in and out, as a database would.
 */
export class MemoryStore implements Store {
  private readonly clock: (() => Date) | undefined;
  private readonly runs = new Map<string, Run>();
  private readonly types = new Set<string>();
  private readonly listeners = new Set<StoreListener>();
  private readonly workers = new Map<string, { types: string[]; heartbeatAt: Date }>();
  private readonly queries = new Map<
    string,
    {
      runId: string;
      type: string;
      name: string;
      args: Json[];
      createdAt: Date;
      claimedBy?: string;
      answer?: QueryAnswer;
    }
  >();
  private nextQueryId = 1;
  private nextInboxId = 1;
  private nextOrder = 0;
  private readonly schedules = new MemorySchedules({
    knownType: (type) => this.types.has(type),
    isOpen: (workflowId) => {
      const run = this.latest(workflowId);
      return run !== undefined && OPEN_STATUSES.includes(run.status);
    },
    start: (req) => this.start(req),
  });
  private readonly tasks = new MemoryTasks({
    leased: (lease) => {
      const run = this.runs.get(lease.runId);
      return run?.fencingToken === lease.fencingToken && run.leaseOwner !== null;
    },
    openWorkflowId: (runId) => {
      const run = this.runs.get(runId);
      return run && OPEN_STATUSES.includes(run.status) ? run.workflowId : undefined;
    },
    resultWaiting: (runId, cmd, attempt) =>
      (this.runs.get(runId)?.inbox ?? []).some((i) => {
        const p = i.payload as { cmd?: number; attempt?: number } | null;
        return i.kind === 'activity_result' && p?.cmd === cmd && p?.attempt === attempt;
      }),
    deliver: (runId, item, now) => {
      const run = this.runs.get(runId);
      if (!run || !OPEN_STATUSES.includes(run.status)) return;
      run.inbox.push({ ...copy(item), id: String(this.nextInboxId++) });
      run.inboxVersion++;
      run.updatedAt = now;
      if (run.leaseOwner === null && run.status === 'running' && run.fencingToken > 0)
        run.readyAt = this.storeNow(now);
      this.emit((l) => l.onWake?.(run.runId));
    },
    emit: (send) => this.emit(send),
    storeNow: (now) => this.storeNow(now),
  });

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock;
  }

  async migrate(): Promise<void> {}

  async registerTypes(types: string[]): Promise<void> {
    for (const t of types) this.types.add(t);
  }

  async start(req: StartRequest): Promise<StartResult> {
    const { parent } = req;
    const ofParent = (r: Run) => !!parent && r.parent?.runId === parent.runId && r.parent.cmd === parent.cmd;
    const latest = this.latest(req.workflowId);
    // A child's run started for the same parent command is the one returned, open or closed.
    const mine = parent && [...this.runs.values()].filter(ofParent).pop();
    const existing =
      mine ?? (req.newRun && latest && !OPEN_STATUSES.includes(latest.status) ? undefined : latest);
    const child = (r?: Run) => (parent ? { ofParent: !r || ofParent(r) } : {});
    if (existing)
      return {
        runId: existing.runId,
        created: false,
        knownType: this.types.has(req.type),
        type: existing.type,
        ...child(existing),
      };
    if (!this.types.has(req.type))
      return { runId: req.runId, created: false, knownType: false, type: req.type };
    const held = parent && this.runs.get(parent.runId);
    if (parent && !(held?.fencingToken === parent.fencingToken && held.leaseOwner !== null))
      return { runId: req.runId, created: false, knownType: true, type: req.type, parentLost: true };
    const input = copy(req.input);
    const started = copy(startedData(req));
    this.runs.set(req.runId, {
      runId: req.runId,
      workflowId: req.workflowId,
      type: req.type,
      status: 'running',
      input,
      attributes: copy(req.attributes),
      parent: parent && { runId: parent.runId, cmd: parent.cmd, closePolicy: parent.closePolicy },
      readyAt: req.lease
        ? after(this.storeNow(req.now), req.lease.ms)
        : (req.readyAt ?? this.storeNow(req.now)),
      leaseOwner: req.lease?.owner ?? null,
      fencingToken: req.lease ? 1 : 0,
      inboxVersion: 0,
      history: [{ type: 'workflow_started', ...started, seq: 0, at: req.now.toISOString() }],
      inbox: [],
      parkAttempts: 0,
      createdAt: req.now,
      updatedAt: req.now,
      order: this.nextOrder++,
    });
    if (!req.lease) this.emit((l) => l.onWake?.(req.runId));
    return { runId: req.runId, created: true, knownType: true, type: req.type, ...child() };
  }

  async enqueue(workflowId: string, item: Omit<InboxItem, 'id'>, now: Date): Promise<boolean | undefined> {
    const run = this.latest(workflowId);
    if (!run) return undefined;
    if (!OPEN_STATUSES.includes(run.status)) return false;
    this.deliver(run, item, now);
    return true;
  }

  /** Puts input in an open run's inbox and wakes it. */
  private deliver(run: Run, item: Omit<InboxItem, 'id'>, now: Date): void {
    run.inbox.push({ ...copy(item), id: String(this.nextInboxId++) });
    run.inboxVersion++;
    run.updatedAt = now;
    if (run.leaseOwner === null && run.status === 'running' && run.fencingToken > 0)
      run.readyAt = this.storeNow(now);
    this.emit((l) => l.onWake?.(run.runId));
  }

  async terminate(workflowId: string, reason: string | undefined, now: Date): Promise<boolean | undefined> {
    const run = this.latest(workflowId);
    if (!run) return undefined;
    if (!OPEN_STATUSES.includes(run.status)) return false;
    this.terminateRun(run, reason, now);
    return true;
  }

  private terminateRun(run: Run, reason: string | undefined, now: Date): void {
    run.history.push({
      type: 'workflow_terminated',
      ...(reason === undefined ? {} : { reason }),
      seq: run.history.length,
      at: now.toISOString(),
    });
    Object.assign(run, {
      status: 'terminated',
      error: { name: 'WorkflowTerminatedError', message: reason ?? '' },
      closedAt: now,
      updatedAt: now,
      readyAt: null,
      leaseOwner: null,
    });
    run.fencingToken++;
    this.tasks.delete(run.runId);
    this.tellParent(run, { status: 'terminated', error: run.error }, now);
    this.emit((l) => l.onClosed?.(run.workflowId));
    this.parentClosed(run.runId, now);
  }

  /**
   * The closed run's children's parent-close policy, as the Postgres store applies it in the closing
   * statement: `terminate` terminates a child (and, by its own close, its children), `requestCancel`
   * sends it a cancel request, `abandon` leaves it alone.
   */
  private parentClosed(runId: string, now: Date): void {
    for (const child of [...this.runs.values()]) {
      if (child.parent?.runId !== runId || !OPEN_STATUSES.includes(child.status)) continue;
      if (child.parent.closePolicy === 'terminate') this.terminateRun(child, 'its parent closed', now);
      else if (child.parent.closePolicy === 'requestCancel')
        this.deliver(child, { kind: 'cancel', name: null, payload: 'its parent closed' }, now);
    }
  }

  async claim(
    owner: string,
    types: string[],
    limit: number,
    now: Date,
    leaseMs: number,
  ): Promise<ClaimedRun[]> {
    const at = this.storeNow(now);
    const ready = [...this.runs.values()]
      .filter((r) => r.readyAt !== null && r.readyAt <= at && types.includes(r.type))
      .sort((a, b) => (a.readyAt as Date).getTime() - (b.readyAt as Date).getTime())
      .slice(0, limit);
    return ready.map((r) => {
      const readySince = r.readyAt as Date;
      r.leaseOwner = owner;
      r.fencingToken++;
      r.readyAt = after(at, leaseMs);
      return {
        workflowId: r.workflowId,
        runId: r.runId,
        type: r.type,
        fencingToken: r.fencingToken,
        parkAttempts: r.parkAttempts,
        readySince,
      };
    });
  }

  async nextReadyIn(types: string[], now: Date): Promise<number | undefined> {
    return msUntil(
      earliest([...this.runs.values()].filter((r) => types.includes(r.type))),
      this.storeNow(now),
    );
  }

  /** The earliest time a run no worker holds becomes claimable: where a virtual clock may jump to. */
  nextWakeAt(): Date | undefined {
    const run = earliest([...this.runs.values()].filter((r) => r.leaseOwner === null));
    const tick = this.schedules.nextWakeAt(); // a due schedule is a wake time too
    const task = this.tasks.nextWakeAt(); // so is a queued task's retry time
    return [run, tick, task].reduce<Date | undefined>(
      (min, t) => (t && (!min || t < min) ? t : min),
      undefined,
    );
  }

  /** True when some worker holds a run, or a run is claimable at `now`: the engine is busy. */
  isBusy(now: Date): boolean {
    for (const r of this.runs.values()) {
      if (r.leaseOwner !== null && OPEN_STATUSES.includes(r.status)) return true;
      if (r.readyAt !== null && r.readyAt <= now) return true;
    }
    return this.schedules.hasWork(now) || this.tasks.hasWork(now);
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
    const run = this.runs.get(runId);
    return (
      run && {
        status: run.status,
        leaseOwner: run.leaseOwner,
        readyAt: run.readyAt,
        historyLength: run.history.length,
      }
    );
  }

  async loadHistory(runId: string): Promise<RecordedEvent[]> {
    return copy(this.runs.get(runId)?.history ?? []);
  }

  async readInbox(runId: string): Promise<{ items: InboxItem[]; version: number }> {
    const run = this.runs.get(runId);
    return { items: copy(run?.inbox ?? []), version: run?.inboxVersion ?? 0 };
  }

  async commit(req: CommitRequest): Promise<CommitOutcome> {
    const run = this.runs.get(req.runId);
    if (!run || run.fencingToken !== req.fencingToken || run.leaseOwner === null) return 'lost';
    // Checked before anything changes: a rejected commit applies nothing, as a rolled-back transaction.
    req.events.forEach((e, i) => {
      const next = run.history.length + i;
      if (e.seq !== next)
        throw new Error(
          `Cannot append seq ${e.seq} to the history of run ${req.runId}: the next position is ${next}`,
        );
    });
    if (req.close && run.inboxVersion !== req.close.inboxVersion) return 'unread';
    run.history.push(...req.events.map(copy));
    run.inbox = run.inbox.filter((i) => !req.consumedInbox.includes(i.id));
    run.updatedAt = req.now;
    run.status = req.close?.status ?? 'running';
    run.parkedError = undefined;
    run.parkAttempts = 0;
    if (req.close) {
      Object.assign(run, {
        result: copy(req.close.result),
        error: copy(req.close.error),
        closedAt: req.now,
        readyAt: null,
        leaseOwner: null,
      });
      this.tellParent(
        run,
        { status: req.close.status, result: req.close.result, error: req.close.error },
        req.now,
      );
      this.emit((l) => l.onClosed?.(run.workflowId));
      this.parentClosed(run.runId, req.now);
      return 'ok';
    }
    if (req.release && run.inboxVersion === req.release.inboxVersion) {
      run.leaseOwner = null;
      run.readyAt = req.release.readyAt;
      return 'ok';
    }
    if (req.leaseMs !== undefined) run.readyAt = after(this.storeNow(req.now), req.leaseMs);
    return req.release ? 'kept' : 'ok';
  }

  async continueAsNew(req: ContinueRequest) {
    const run = this.runs.get(req.runId);
    if (!run || run.fencingToken !== req.fencingToken || run.leaseOwner === null) return 'lost' as const;
    if (run.inboxVersion !== req.inboxVersion) return 'unread' as const;
    run.history.push(...req.events.map(copy));
    // signals and cancel requests the old run never read go to its successor; nothing else does
    const carried = (req.carriedSignals ?? []).map(({ name, payload }) => ({
      id: String(this.nextInboxId++),
      kind: 'signal' as const,
      name,
      payload: copy(payload),
    }));
    const unread = run.inbox.filter(
      (i) => !req.consumedInbox.includes(i.id) && (i.kind === 'signal' || i.kind === 'cancel'),
    );
    // Handed on with ids in their new order, as the Postgres store inserts them.
    const handedOn = [...carried, ...unread.map((i) => ({ ...i, id: String(this.nextInboxId++) }))];
    run.inbox = [];
    Object.assign(run, {
      status: 'continued',
      result: { continuedAs: req.newRunId },
      closedAt: req.now,
      updatedAt: req.now,
      readyAt: null,
      leaseOwner: null,
    });
    const input = copy(req.input);
    this.runs.set(req.newRunId, {
      ...run,
      runId: req.newRunId,
      status: 'running',
      input,
      result: undefined,
      closedAt: undefined,
      parkedError: undefined,
      parkAttempts: 0,
      readyAt: this.storeNow(req.now),
      fencingToken: 0,
      inboxVersion: 0,
      history: [
        { type: 'workflow_started', workflowType: run.type, input, seq: 0, at: req.now.toISOString() },
      ],
      inbox: handedOn,
      createdAt: req.now,
      updatedAt: req.now,
      order: this.nextOrder++,
    });
    this.emit((l) => l.onWake?.(req.newRunId));
    this.parentClosed(run.runId, req.now);
    return 'ok' as const;
  }

  /** A closing child tells its parent through the parent's inbox, if the parent is open. */
  private tellParent(
    run: Run,
    outcome: { status: string; result?: Json; error?: ErrorInfo },
    now: Date,
  ): void {
    const parent = run.parent && this.runs.get(run.parent.runId);
    if (!parent || !run.parent || !OPEN_STATUSES.includes(parent.status)) return;
    parent.inbox.push({
      id: String(this.nextInboxId++),
      kind: 'child',
      name: null,
      payload: copy({ cmd: run.parent.cmd, ...outcome }) as unknown as Json,
    });
    parent.inboxVersion++;
    if (parent.leaseOwner === null && parent.status === 'running') parent.readyAt = this.storeNow(now);
    this.emit((l) => l.onWake?.(parent.runId));
  }

  async park(lease: Lease, error: ErrorInfo, now: Date, retryAt: Date): Promise<boolean> {
    const run = this.runs.get(lease.runId);
    if (!run || run.fencingToken !== lease.fencingToken || run.leaseOwner === null) return false;
    Object.assign(run, {
      status: 'parked',
      parkedError: copy(error),
      readyAt: retryAt,
      leaseOwner: null,
      updatedAt: now,
    });
    run.parkAttempts++;
    return true;
  }

  async renew(leases: Lease[], now: Date, leaseMs: number): Promise<string[]> {
    const lost: string[] = [];
    const until = after(this.storeNow(now), leaseMs);
    for (const l of leases) {
      const run = this.runs.get(l.runId);
      if (run && run.fencingToken === l.fencingToken && run.leaseOwner !== null) run.readyAt = until;
      else lost.push(l.runId);
    }
    return lost;
  }

  async describe(workflowId: string, runId?: string): Promise<WorkflowDescription | undefined> {
    const run = runId === undefined ? this.latest(workflowId) : this.runs.get(runId);
    return run && run.workflowId === workflowId ? describe(run) : undefined;
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const limit = filter.limit ?? 50;
    const statuses = filter.status === undefined ? undefined : ([] as WorkflowStatus[]).concat(filter.status);
    const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    // Newest first by (createdAt, runId), keyset-paginated, as the Postgres store orders and pages.
    const rows = [...this.runs.values()]
      .filter(
        (r) =>
          (!statuses || statuses.includes(r.status)) &&
          (filter.type === undefined || r.type === filter.type) &&
          (!filter.attributes || contains(r.attributes, filter.attributes)),
      )
      .filter((r) => !after || newerFirst(r, after) > 0)
      .sort(newerFirst);
    const items = rows.slice(0, limit).map(describe);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last
      ? {
          items,
          nextCursor: Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.runId])).toString(
            'base64url',
          ),
        }
      : { items };
  }

  async listen(listener: StoreListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }

  async heartbeat(workerId: string, types: string[], now: Date): Promise<void> {
    this.workers.set(workerId, { types, heartbeatAt: now });
  }

  async removeWorker(workerId: string): Promise<void> {
    this.workers.delete(workerId);
  }

  async postQuery(workflowId: string, name: string, args: Json[], now: Date, liveSince: Date) {
    const run = this.latest(workflowId);
    if (!run) return 'not_found' as const;
    const served = [...this.workers.values()].some(
      (w) => w.types.includes(run.type) && w.heartbeatAt > liveSince,
    );
    if (!served) return 'no_worker' as const;
    const queryId = String(this.nextQueryId++);
    this.queries.set(queryId, { runId: run.runId, type: run.type, name, args: copy(args), createdAt: now });
    this.emit((l) => l.onQuery?.(run.runId, queryId));
    return { queryId, runId: run.runId };
  }

  async claimQuery(queryId: string, workerId: string, types: string[]): Promise<PostedQuery | undefined> {
    const query = this.queries.get(queryId);
    if (!query || query.claimedBy !== undefined || !types.includes(query.type)) return undefined;
    query.claimedBy = workerId;
    const workflowId = this.runs.get(query.runId)?.workflowId as string;
    return { runId: query.runId, workflowId, type: query.type, name: query.name, args: copy(query.args) };
  }

  async answerQuery(queryId: string, answer: QueryAnswer): Promise<void> {
    const query = this.queries.get(queryId);
    if (!query) return;
    query.answer = copy(answer);
    this.emit((l) => l.onQueryAnswered?.(queryId));
  }

  async readQuery(queryId: string): Promise<QueryAnswer | undefined> {
    return copy(this.queries.get(queryId)?.answer);
  }

  async deleteQuery(queryId: string): Promise<void> {
    this.queries.delete(queryId);
  }

  /** Tells every listener to look again (after a virtual clock jump). */
  wakeAll(): void {
    this.emit((l) => l.onWake?.(''));
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
    const doomed = [...this.runs.values()]
      .filter(
        (r) => r.closedAt !== undefined && r.closedAt < closedBefore && !OPEN_STATUSES.includes(r.status),
      )
      .sort((a, b) => (a.closedAt as Date).getTime() - (b.closedAt as Date).getTime())
      .slice(0, limit);
    for (const r of doomed) {
      this.runs.delete(r.runId);
      this.tasks.forget(r.runId);
      for (const [id, query] of this.queries) if (query.runId === r.runId) this.queries.delete(id);
    }
    return doomed.length;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** The store's clock for a call made at engine time `now`: its own clock if it has one. */
  private storeNow(now: Date): Date {
    return this.clock?.() ?? now;
  }

  private latest(workflowId: string): Run | undefined {
    let found: Run | undefined;
    for (const r of this.runs.values())
      if (r.workflowId === workflowId && (!found || r.order > found.order)) found = r;
    return found;
  }

  /** Notifications are delivered after the caller's operation completes, as Postgres delivers on commit. */
  private emit(send: (l: StoreListener) => void): void {
    for (const l of this.listeners) queueMicrotask(() => send(l));
  }
}

type Position = Pick<Run, 'createdAt' | 'runId'>;

/** Sorts newest first: positive when `a` comes after `b` in a list. */
function newerFirst(a: Position, b: Position): number {
  return (
    b.createdAt.getTime() - a.createdAt.getTime() || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0)
  );
}

function decodeCursor(cursor: string): Position {
  try {
    const [at, runId] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (!Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(runId))
      return { createdAt: new Date(at), runId };
  } catch {}
  throw new ReelError(
    ErrorCodes.INVALID_ARGUMENT,
    'This list cursor is not one Reel returned: pass nextCursor from the previous page unchanged.',
  );
}

function earliest(runs: Run[]): Date | undefined {
  let min: Date | undefined;
  for (const r of runs)
    if (r.readyAt !== null && OPEN_STATUSES.includes(r.status) && (!min || r.readyAt < min)) min = r.readyAt;
  return min;
}

function describe(r: Run): WorkflowDescription {
  const d: WorkflowDescription = {
    workflowId: r.workflowId,
    runId: r.runId,
    type: r.type,
    status: r.status,
    input: copy(r.input),
    historyLength: r.history.length,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
  if (r.result !== undefined) d.result = copy(r.result);
  if (r.error !== undefined) d.error = copy(r.error);
  if (r.closedAt) d.closedAt = r.closedAt;
  if (r.attributes !== undefined) d.attributes = copy(r.attributes);
  if (r.parent) d.parentRunId = r.parent.runId;
  if (r.status === 'parked' && r.parkedError)
    d.parked = { error: copy(r.parkedError), attempts: r.parkAttempts, retryAt: r.readyAt };
  return d;
}

/** jsonb's `@>` on objects: every key of `wanted` is in `have` with a containing value. */
function contains(have: unknown, wanted: unknown): boolean {
  if (typeof wanted !== 'object' || wanted === null) return JSON.stringify(have) === JSON.stringify(wanted);
  if (Array.isArray(wanted))
    return Array.isArray(have) && wanted.every((w) => have.some((h) => contains(h, w)));
  if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
  return Object.entries(wanted).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
}

function copy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

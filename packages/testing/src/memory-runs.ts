import {
  type BatchFilter,
  decodeListCursor,
  encodeListCursor,
  type ListFilter,
  type ListPage,
  OPEN_STATUSES,
  type StartRequest,
  type StartResult,
  startedData,
  type WorkflowDescription,
  type WorkflowStatus,
} from '@reel/sdk';
import type { MemoryInbox } from './memory-inbox.ts';
import { admit, leaveSlot } from './memory-slots.ts';
import { copy, type MemoryTables, type Run } from './memory-tables.ts';
import type { MemoryTasks } from './memory-tasks.ts';
import { after } from './memory-time.ts';

/**
 * `MemoryStore`'s runs as clients see them: registered types, idempotent start (a child's fenced by
 * its parent's lease), termination with the parent-close policy, describe, list, and retention.
 */
export class MemoryRuns {
  constructor(
    private readonly tables: MemoryTables,
    private readonly inbox: MemoryInbox,
    private readonly tasks: MemoryTasks,
  ) {}

  async registerTypes(types: string[]): Promise<void> {
    for (const t of types) this.tables.types.add(t);
  }

  async start(req: StartRequest): Promise<StartResult> {
    const { parent } = req;
    const { runs, types } = this.tables;
    const ofParent = (r: Run) => !!parent && r.parent?.runId === parent.runId && r.parent.cmd === parent.cmd;
    const latest = this.tables.latest(req.workflowId);
    // A child's run started for the same parent command is the one returned, open or closed.
    const mine = parent && [...runs.values()].filter(ofParent).pop();
    const existing =
      mine ?? (req.newRun && latest && !OPEN_STATUSES.includes(latest.status) ? undefined : latest);
    const child = (r?: Run) => (parent ? { ofParent: !r || ofParent(r) } : {});
    if (existing)
      return {
        runId: existing.runId,
        created: false,
        knownType: types.has(req.type),
        type: existing.type,
        ...child(existing),
      };
    if (!types.has(req.type)) return { runId: req.runId, created: false, knownType: false, type: req.type };
    const pending = req.debounce && this.pendingDebounced(req.type, req.debounce.key);
    if (pending) {
      // joins it, as `DEBOUNCE` does: this start's input, and claimable only from its readyAt
      pending.input = copy(req.input);
      pending.history[0] = {
        type: 'workflow_started',
        ...copy(startedData(req)),
        seq: 0,
        at: req.now.toISOString(),
      };
      const readyAt = (req.readyAt ?? this.tables.storeNow(req.now)).getTime();
      const latest = pending.createdAt.getTime() + (req.debounce?.maxWaitMs ?? Infinity);
      pending.readyAt = new Date(Math.min(readyAt, latest));
      pending.updatedAt = req.now;
      const { runId, workflowId } = pending;
      return { runId, workflowId, created: false, knownType: true, type: req.type };
    }
    const recent = req.throttle && this.throttled(req.type, req.throttle, req.now);
    if (recent) {
      const { runId, workflowId } = recent;
      return { runId, workflowId, created: false, knownType: true, type: req.type };
    }
    const held = parent && runs.get(parent.runId);
    if (parent && !(held?.fencingToken === parent.fencingToken && held.leaseOwner !== null))
      return { runId: req.runId, created: false, knownType: true, type: req.type, parentLost: true };
    const input = copy(req.input);
    const started = copy(startedData(req));
    const priority = req.priority ?? held?.priority; // a child's, unless given: its parent's
    const run: Run = {
      runId: req.runId,
      workflowId: req.workflowId,
      type: req.type,
      status: 'running',
      input,
      attributes: copy(req.attributes),
      parent: parent && { runId: parent.runId, cmd: parent.cmd, closePolicy: parent.closePolicy },
      readyAt: req.lease
        ? after(this.tables.storeNow(req.now), req.lease.ms)
        : (req.readyAt ?? this.tables.storeNow(req.now)),
      leaseOwner: req.lease?.owner ?? null,
      fencingToken: req.lease ? 1 : 0,
      inboxVersion: 0,
      history: [{ type: 'workflow_started', ...started, seq: 0, at: req.now.toISOString() }],
      inbox: [],
      parkAttempts: 0,
      createdAt: req.now,
      updatedAt: req.now,
      order: this.tables.order(),
      ...(req.concurrency ? { concurrency: { ...req.concurrency } } : {}),
      ...(priority ? { priority } : {}),
      ...(req.debounce ? { debounceKey: req.debounce.key } : {}),
      ...(req.throttle ? { throttleKey: req.throttle.key } : {}),
    };
    admit(this.tables, run);
    runs.set(req.runId, run);
    if (!req.lease && run.slot !== 'waiting') this.tables.emit((l) => l.onWake?.(req.runId));
    return { runId: req.runId, created: true, knownType: true, type: req.type, ...child() };
  }

  /** The run of `type` and debounce `key` no worker has claimed yet: the latest, as `DEBOUNCE` takes. */
  private pendingDebounced(type: string, key: string): Run | undefined {
    let found: Run | undefined;
    for (const r of this.tables.runs.values())
      if (r.type === type && r.debounceKey === key && r.fencingToken === 0 && r.status === 'running')
        if (!found || r.order > found.order) found = r;
    return found;
  }

  /** The latest run of `type` and throttle key created less than the period before `now`, as `THROTTLED` finds it. */
  private throttled(type: string, throttle: { key: string; periodMs: number }, now: Date): Run | undefined {
    let found: Run | undefined;
    for (const r of this.tables.runs.values())
      if (
        r.type === type &&
        r.throttleKey === throttle.key &&
        now.getTime() - r.createdAt.getTime() < throttle.periodMs
      )
        if (!found || r.createdAt > found.createdAt) found = r;
    return found;
  }

  async terminate(workflowId: string, reason: string | undefined, now: Date): Promise<boolean | undefined> {
    const run = this.tables.latest(workflowId);
    if (!run) return undefined;
    if (!OPEN_STATUSES.includes(run.status)) return false;
    this.terminateRun(run, reason, now);
    return true;
  }

  /**
   * The closed run's children's parent-close policy, as the Postgres store applies it in the closing
   * statement: `terminate` terminates a child (and, by its own close, its children), `requestCancel`
   * sends it a cancel request, `abandon` leaves it alone.
   */
  parentClosed(runId: string, now: Date): void {
    for (const child of [...this.tables.runs.values()]) {
      if (child.parent?.runId !== runId || !OPEN_STATUSES.includes(child.status)) continue;
      if (child.parent.closePolicy === 'terminate') this.terminateRun(child, 'its parent closed', now);
      else if (child.parent.closePolicy === 'requestCancel')
        this.inbox.deliver(child, { kind: 'cancel', name: null, payload: 'its parent closed' }, now);
    }
  }

  async describe(workflowId: string, runId?: string): Promise<WorkflowDescription | undefined> {
    const run = runId === undefined ? this.tables.latest(workflowId) : this.tables.runs.get(runId);
    return run && run.workflowId === workflowId ? this.describeRun(run) : undefined;
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const limit = filter.limit ?? 50;
    const after = filter.cursor === undefined ? undefined : decodeListCursor(filter.cursor);
    // Newest first by (createdAt, runId), keyset-paginated, as the Postgres store orders and pages.
    const rows = [...this.tables.runs.values()]
      .filter(this.matcher(filter))
      .filter((r) => !after || newerFirst(r, after) > 0)
      .sort(newerFirst);
    const items = rows.slice(0, limit).map((r) => this.describeRun(r));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last ? { items, nextCursor: encodeListCursor(last) } : { items };
  }

  async listRuns(workflowId: string, limit: number): Promise<WorkflowDescription[]> {
    return [...this.tables.runs.values()]
      .filter((r) => r.workflowId === workflowId)
      .sort((a, b) => b.order - a.order)
      .slice(0, limit)
      .map((r) => this.describeRun(r));
  }

  /** How many runs `list` would return over all its pages. */
  count(filter: BatchFilter): number {
    return [...this.tables.runs.values()].filter(this.matcher(filter)).length;
  }

  /** `list`'s filter, as `LIST_FILTER` in the Postgres store's `run-queries.ts`. */
  private matcher(filter: BatchFilter): (r: Run) => boolean {
    const statuses = filter.status === undefined ? undefined : ([] as WorkflowStatus[]).concat(filter.status);
    // The latest run of each workflow id, found once rather than once a run.
    const latest = new Map<string, Run>();
    if (filter.latest)
      for (const r of this.tables.runs.values())
        if ((latest.get(r.workflowId)?.order ?? -1) < r.order) latest.set(r.workflowId, r);
    return (r) =>
      (!statuses || statuses.includes(r.status)) &&
      (filter.type === undefined || r.type === filter.type) &&
      (!filter.attributes || contains(r.attributes, filter.attributes)) &&
      (!filter.createdAfter || r.createdAt >= filter.createdAfter) &&
      (!filter.createdBefore || r.createdAt < filter.createdBefore) &&
      (!filter.latest || latest.get(r.workflowId) === r);
  }

  /** Retention: deletes up to `limit` runs closed before `closedBefore`, oldest first; returns their ids. */
  purgeClosed(closedBefore: Date, limit: number): string[] {
    const doomed = [...this.tables.runs.values()]
      .filter(
        (r) => r.closedAt !== undefined && r.closedAt < closedBefore && !OPEN_STATUSES.includes(r.status),
      )
      .sort((a, b) => (a.closedAt as Date).getTime() - (b.closedAt as Date).getTime())
      .slice(0, limit);
    for (const r of doomed) this.tables.runs.delete(r.runId);
    return doomed.map((r) => r.runId);
  }

  private describeRun(run: Run): WorkflowDescription {
    return describe(run, run.parent && this.tables.runs.get(run.parent.runId));
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
    leaveSlot(this.tables, run, now);
    this.tasks.delete(run.runId);
    this.inbox.tellParent(run, { status: 'terminated', error: run.error }, now);
    this.tables.closed(run);
    this.parentClosed(run.runId, now);
  }
}

type Position = Pick<Run, 'createdAt' | 'runId'>;

/** Sorts newest first: positive when `a` comes after `b` in a list. */
function newerFirst(a: Position, b: Position): number {
  return (
    b.createdAt.getTime() - a.createdAt.getTime() || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0)
  );
}

/** What describe and list say of a run; a child names its parent's workflow id while that run is kept. */
function describe(r: Run, parent: Run | undefined): WorkflowDescription {
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
  if (parent) d.parentWorkflowId = parent.workflowId;
  if (r.resetTo) d.resetTo = r.resetTo;
  if (r.priority) d.priority = r.priority;
  if (r.slot === 'waiting' && r.concurrency) d.waitingFor = { concurrencyKey: r.concurrency.key };
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

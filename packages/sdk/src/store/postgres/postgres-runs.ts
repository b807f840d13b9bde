import type pg from 'pg';
import type { BatchFilter } from '../batches.ts';
import { decodeListCursor, encodeListCursor } from '../list-cursor.ts';
import {
  type ListFilter,
  type ListPage,
  OPEN_STATUSES,
  type StartRequest,
  type StartResult,
  startedData,
  type WorkflowDescription,
} from '../store.ts';
import { DEBOUNCE, LOCK_START_KEY, THROTTLED } from './flow-queries.ts';
import { GroupCommit } from './group-commit.ts';
import { inTransaction } from './held-client.ts';
import { assertMigrated, explainSchemaError } from './migrate.ts';
import * as q from './run-queries.ts';
import { json, prepared, timestamp } from './statements.ts';

/**
 * `PostgresStore`'s runs as clients see them: registered types, idempotent start, termination (with
 * the parent-close policy, in its statement), describe, list, and retention.
 */
export class PostgresRuns {
  /** The starts through the pool, gathered into few statements (see `insertRun`). */
  private readonly starts = new GroupCommit(
    (reqs: StartRequest[]) => this.writeStarts(reqs),
    (req) => req.workflowId,
    (starts) => this.onStartBatch?.(starts),
  );

  /**
   * `clock`: the store's clock for a call at engine time `now` (null: the database's). `onStartBatch`
   * is told how many starts each grouped statement carried.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
    private readonly onStartBatch?: (starts: number) => void,
  ) {}

  /** Checks the schema first: a worker's first call, its code needs what the migrations make. */
  async registerTypes(types: string[], now: Date): Promise<void> {
    await assertMigrated(this.pool);
    await this.pool.query(q.REGISTER_TYPES, [types, now]);
  }

  /** `db`: the pool, or a client inside a transaction (see `PostgresStore.start`). */
  async start(req: StartRequest, db: pg.Pool | pg.ClientBase): Promise<StartResult> {
    // A debounced or throttled start is a transaction of its own, unless it runs in the caller's.
    const started = !(req.debounce || req.throttle)
      ? this.insertRun(req, db)
      : db === this.pool
        ? inTransaction(this.pool, (client) => this.coalesced(req, client))
        : this.coalesced(req, db as pg.ClientBase);
    // Often a client's first call: a missing or old schema says so.
    return started.catch(async (err) => {
      throw await explainSchemaError(this.pool, err);
    });
  }

  /**
   * Under the key's lock (in `db`'s transaction): joins the pending run of the debounce key, or returns
   * the throttle key's run of the period; else starts the run.
   */
  private async coalesced(req: StartRequest, db: pg.ClientBase): Promise<StartResult> {
    const { debounce, throttle } = req;
    await db.query(LOCK_START_KEY, [req.type, debounce?.key ?? throttle?.key]);
    const { rows } = debounce
      ? await db.query(prepared(DEBOUNCE), [
          req.type,
          debounce.key,
          json(req.input),
          req.readyAt ?? null,
          req.now,
          json(startedData(req)),
          debounce.maxWaitMs ?? null,
        ])
      : await db.query(prepared(THROTTLED), [req.type, throttle?.key, req.now, throttle?.periodMs]);
    const found = rows[0];
    if (!found) return this.insertRun(req, db);
    return {
      runId: found.run_id,
      workflowId: found.workflow_id,
      created: false,
      knownType: true,
      type: req.type,
    };
  }

  private async insertRun(req: StartRequest, db: pg.Pool | pg.ClientBase): Promise<StartResult> {
    // Through the pool, a start goes with the others of the moment, unless it must go alone (`START_MANY`).
    const grouped = db === this.pool && !req.parent && !req.concurrency;
    // A concurrent start of the same id may win the insert after our snapshot; the retry then sees it.
    for (let attempt = 0; ; attempt++) {
      const row = grouped ? await this.starts.commit(req) : await this.startOne(req, db);
      const child = req.parent ? { ofParent: row.of_parent === true || row.created !== null } : {};
      if (row.created)
        return { runId: row.created, created: true, knownType: true, type: req.type, ...child };
      if (row.existing)
        return {
          runId: row.existing,
          created: false,
          knownType: row.known,
          type: row.existing_type as string,
          ...child,
        };
      if (!row.known) return { runId: req.runId, created: false, knownType: false, type: req.type };
      if (!row.parent_held)
        return { runId: req.runId, created: false, knownType: true, type: req.type, parentLost: true };
      if (attempt > 3) throw new Error(`Could not start workflow ${req.workflowId}: it kept conflicting`);
    }
  }

  private async startOne(req: StartRequest, db: pg.Pool | pg.ClientBase): Promise<StartRow> {
    const { rows } = await db.query(prepared(q.START), [
      req.workflowId,
      req.runId,
      req.type,
      json(req.input),
      timestamp(req.now),
      json(startedData(req)),
      req.newRun ?? false,
      timestamp(req.readyAt),
      json(req.attributes),
      req.parent?.runId ?? null,
      req.parent?.cmd ?? null,
      req.parent?.closePolicy ?? null,
      req.lease?.owner ?? null,
      req.lease?.ms ?? null,
      timestamp(this.clock(req.now)),
      req.parent?.fencingToken ?? null,
      req.concurrency?.key ?? null,
      req.concurrency?.limit ?? null,
      req.priority ?? null,
      req.debounce?.key ?? null,
      req.throttle?.key ?? null,
    ]);
    return rows[0];
  }

  /**
   * The starts `GroupCommit` gathered, one per workflow id: `START` for one (planned on its workflow
   * id, as a lone commit takes `COMMIT`), `START_MANY` for several.
   */
  private async writeStarts(reqs: StartRequest[]): Promise<StartRow[]> {
    if (reqs.length === 1) return [await this.startOne(reqs[0] as StartRequest, this.pool)];
    const { rows } = await this.pool.query(prepared(q.START_MANY), [
      reqs.map((r) => r.workflowId),
      reqs.map((r) => r.runId),
      reqs.map((r) => r.type),
      reqs.map((r) => json(r.input)),
      reqs.map((r) => timestamp(r.now)),
      reqs.map((r) => json(startedData(r))),
      reqs.map((r) => r.newRun ?? false),
      reqs.map((r) => timestamp(r.readyAt)),
      reqs.map((r) => json(r.attributes)),
      reqs.map((r) => r.lease?.owner ?? null),
      reqs.map((r) => r.lease?.ms ?? null),
      reqs.map((r) => timestamp(this.clock(r.now))),
      reqs.map((r) => r.priority ?? null),
    ]);
    const byId = new Map(rows.map((row) => [row.workflow_id as string, row as StartRow]));
    return reqs.map((r) => byId.get(r.workflowId) as StartRow);
  }

  /**
   * `db`: a client inside a transaction (a batch's mark commits with the termination), else one of its
   * own: the run's termination and its children's policy are two statements (`TERMINATED_CHILDREN`).
   */
  async terminate(
    workflowId: string,
    reason: string | undefined,
    now: Date,
    db?: pg.ClientBase,
  ): Promise<boolean | undefined> {
    if (!db) return inTransaction(this.pool, (client) => this.terminate(workflowId, reason, now, client));
    const error = { name: 'WorkflowTerminatedError', message: reason ?? '' };
    for (let attempt = 0; ; attempt++) {
      const { rows } = await db.query(q.TERMINATE, [
        workflowId,
        json(error),
        now,
        json(reason === undefined ? {} : { reason }),
        this.clock(now),
      ]);
      const row = rows[0];
      const terminated = Number(row.terminated) > 0;
      if (terminated) await db.query(q.TERMINATED_CHILDREN, [row.run_id, now, this.clock(now)]);
      // As in `PostgresInbox.enqueue`: a run that continued as new while the statement waited has a successor to end.
      if (!terminated && OPEN_STATUSES.includes(row.status) && attempt < 5) continue;
      return row.status === null ? undefined : terminated;
    }
  }

  async describe(workflowId: string, runId?: string): Promise<WorkflowDescription | undefined> {
    const { rows } = await this.pool.query(prepared(q.DESCRIBE), [workflowId, runId ?? null]);
    return rows[0] && toDescription(rows[0]);
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const limit = filter.limit ?? 50;
    const after = filter.cursor === undefined ? undefined : decodeListCursor(filter.cursor);
    const { rows } = await this.pool.query(q.LIST, [
      ...filterParams(filter),
      after?.createdAt.toISOString() ?? null,
      after?.runId ?? null,
      limit + 1,
    ]);
    const items = rows.slice(0, limit).map(toDescription);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last
      ? { items, nextCursor: encodeListCursor({ createdAt: last.created_at, runId: last.run_id }) }
      : { items };
  }

  async listRuns(workflowId: string, limit: number): Promise<WorkflowDescription[]> {
    const { rows } = await this.pool.query(prepared(q.RUNS_OF), [workflowId, limit]);
    return rows.map(toDescription);
  }

  async count(filter: BatchFilter): Promise<number> {
    const { rows } = await this.pool.query(q.COUNT_RUNS, filterParams(filter));
    return rows[0].n;
  }

  async purgeClosed(closedBefore: Date, limit: number): Promise<number> {
    const { rows } = await this.pool.query(q.PURGE_CLOSED, [closedBefore, limit]);
    return rows[0].purged;
  }
}

/** What `START` and `START_MANY` answer for a start. */
interface StartRow {
  created: string | null;
  existing: string | null;
  existing_type: string | null;
  /** For a child: whether the run found was started for the same parent command. */
  of_parent?: boolean | null;
  known: boolean;
  parent_held: boolean;
}

/** The parameters of `list`'s filter, in `LIST_FILTER`'s order. */
function filterParams(filter: BatchFilter): unknown[] {
  return [
    filter.status === undefined ? null : ([] as string[]).concat(filter.status),
    filter.type ?? null,
    json(filter.attributes),
    filter.createdAfter ?? null,
    filter.createdBefore ?? null,
    filter.latest === true,
  ];
}

// biome-ignore lint/suspicious/noExplicitAny: a row of reel.workflows, shaped by the migration.
function toDescription(r: Record<string, any>): WorkflowDescription {
  const d: WorkflowDescription = {
    workflowId: r.workflow_id,
    runId: r.run_id,
    type: r.type,
    status: r.status,
    input: r.no_input ? undefined : r.input,
    historyLength: r.history_length,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (!r.no_result) d.result = r.result;
  if (r.attributes !== null) d.attributes = r.attributes;
  if (r.parent_run_id !== null) d.parentRunId = r.parent_run_id;
  if (r.parent_workflow_id !== null) d.parentWorkflowId = r.parent_workflow_id;
  if (r.reset_to !== null) d.resetTo = r.reset_to;
  if (r.error !== null) d.error = r.error;
  if (r.closed_at !== null) d.closedAt = r.closed_at;
  if (r.priority !== 0) d.priority = r.priority;
  if (r.slot === 'waiting') d.waitingFor = { concurrencyKey: r.concurrency_key };
  if (r.status === 'parked')
    d.parked = { error: r.parked_error, attempts: r.park_attempts, retryAt: r.ready_at };
  return d;
}

import type pg from 'pg';
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
import * as q from './batch-queries.ts';
import { withClient } from './held-client.ts';
import type { PostgresInbox } from './postgres-inbox.ts';
import type { PostgresRuns } from './postgres-runs.ts';
import { json } from './statements.ts';

/**
 * `PostgresStore`'s batches: their rows and leases, and each operation applied in one transaction
 * with the mark that the batch reached the workflow, through the same statements as a single cancel,
 * signal or terminate.
 */
export class PostgresBatches {
  /** `clock`: the store's clock for a call at engine time `now` (null: the database's). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
    private readonly runs: PostgresRuns,
    private readonly inbox: PostgresInbox,
  ) {}

  count(filter: BatchFilter): Promise<number> {
    return this.runs.count(filter);
  }

  async create(batch: NewBatch, now: Date, reserveMs: number): Promise<boolean> {
    const { rows } = await this.pool.query(q.CREATE_BATCH, [
      batch.id,
      json(batch.operation),
      json(batch.filter),
      batch.pageSize,
      batch.matched,
      now,
      reserveMs,
      this.clock(now),
    ]);
    return rows.length > 0;
  }

  async get(id: string): Promise<BatchDescription | undefined> {
    const { rows } = await this.pool.query(q.GET_BATCH, [id]);
    return rows[0] && toBatch(rows[0]);
  }

  async claim(id: string, owner: string, now: Date, leaseMs: number): Promise<BatchClaim | undefined> {
    const { rows } = await this.pool.query(q.CLAIM_BATCH, [id, owner, leaseMs, this.clock(now), now]);
    const row = rows[0];
    if (!row) return undefined;
    if (row.claimed_token !== null) {
      const batch = toBatch({ ...row, lease_owner: owner, lease_expires_at: row.claimed_until });
      return { claimed: { batchId: id, fencingToken: Number(row.claimed_token) }, batch };
    }
    if (row.status !== 'running') return { closed: toBatch(row) };
    return { held: true, heldForMs: Number(row.held_for_ms ?? 0) };
  }

  /** On an error, `withClient` destroys the client, and ending its session rolls the transaction back. */
  apply(batchId: string, workflowId: string, op: BatchOperation, now: Date): Promise<BatchRunOutcome> {
    return withClient(this.pool, async (client) => {
      await client.query('begin');
      const { rows } = await client.query(q.MARK_BATCH_RUN, [batchId, workflowId]);
      const mark = rows[0];
      if (!mark.marked) {
        await client.query('rollback');
        return mark.status === 'running' ? 'already' : 'stopped';
      }
      const delivered =
        op.kind === 'terminate'
          ? await this.runs.terminate(workflowId, op.reason, now, client)
          : await this.inbox.enqueue(
              workflowId,
              op.kind === 'cancel'
                ? { kind: 'cancel', name: null, payload: op.reason ?? null }
                : { kind: 'signal', name: op.name, payload: op.payload },
              now,
              client,
            );
      // Not reached: no mark either, so the answer is the same each time the page is done.
      await client.query(delivered ? 'commit' : 'rollback');
      return delivered ? 'applied' : delivered === undefined ? 'missing' : 'closed';
    });
  }

  async advance(lease: BatchLease, step: BatchStep, now: Date, leaseMs: number): Promise<boolean> {
    const res = await this.pool.query(q.ADVANCE_BATCH, [
      lease.batchId,
      lease.fencingToken,
      step.cursor ?? null,
      step.skipped,
      step.last,
      now,
      leaseMs,
      this.clock(now),
    ]);
    return (res.rowCount ?? 0) > 0;
  }

  async orphaned(now: Date, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(q.ORPHANED_BATCHES, [this.clock(now), limit]);
    return rows.map((r) => r.id);
  }

  async stop(id: string, now: Date): Promise<boolean | undefined> {
    const { rows } = await this.pool.query(q.STOP_BATCH, [id, now]);
    return rows[0].status === null ? undefined : rows[0].stopped;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: a row of reel.batches, shaped by the migration.
function toBatch(r: Record<string, any>): BatchDescription {
  const filter = { ...r.filter };
  for (const key of ['createdAfter', 'createdBefore'] as const)
    if (filter[key] !== undefined) filter[key] = new Date(filter[key]);
  const b: BatchDescription = {
    id: r.id,
    operation: r.operation,
    filter,
    pageSize: r.page_size,
    matched: Number(r.matched),
    status: r.status,
    done: Number(r.done),
    skipped: Number(r.skipped),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.cursor !== null) b.cursor = r.cursor;
  if (r.lease_owner !== null) b.runner = { owner: r.lease_owner, leaseExpiresAt: r.lease_expires_at };
  if (r.closed_at !== null) b.closedAt = r.closed_at;
  return b;
}

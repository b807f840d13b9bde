import type pg from 'pg';
import type { ErrorInfo } from '../../errors.ts';
import { CLAIM_LOADS_EVENTS, type ClaimedRun, type Lease } from '../store.ts';
import * as q from './lease-queries.ts';
import { json, prepared } from './statements.ts';

/**
 * `PostgresStore`'s leases on runs: claiming runnable runs, when one is next claimable, renewing
 * held leases and parking a run, timed by the store's clock.
 */
export class PostgresLeases {
  /** `clock`: the store's clock for a call at engine time `now` (null: the database's). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
  ) {}

  async claim(
    owner: string,
    types: string[],
    limit: number,
    now: Date,
    leaseMs: number,
  ): Promise<ClaimedRun[]> {
    const { rows } = await this.pool.query(prepared(q.CLAIM), [
      owner,
      types,
      limit,
      this.clock(now),
      leaseMs,
      CLAIM_LOADS_EVENTS,
    ]);
    return rows.map((r) => ({
      workflowId: r.workflow_id,
      runId: r.run_id,
      type: r.type,
      fencingToken: Number(r.fencing_token),
      parkAttempts: r.park_attempts,
      readySince: r.ready_since,
      loaded:
        r.events === null
          ? undefined
          : { history: JSON.parse(r.events), inbox: { items: r.inbox, version: Number(r.inbox_version) } },
    }));
  }

  async nextReadyIn(types: string[], now: Date): Promise<number | undefined> {
    const { rows } = await this.pool.query(prepared(q.NEXT_READY_IN), [types, this.clock(now)]);
    return rows[0].ms === null ? undefined : Math.max(0, Number(rows[0].ms));
  }

  async park(lease: Lease, error: ErrorInfo, now: Date, retryAt: Date): Promise<boolean> {
    const res = await this.pool.query(q.PARK, [lease.runId, lease.fencingToken, json(error), now, retryAt]);
    return res.rowCount === 1;
  }

  async renew(leases: Lease[], now: Date, leaseMs: number): Promise<string[]> {
    if (leases.length === 0) return [];
    const { rows } = await this.pool.query(prepared(q.RENEW), [
      leases.map((l) => l.runId),
      leaseMs,
      leases.map((l) => l.fencingToken),
      this.clock(now),
    ]);
    const kept = new Set(rows.map((r) => r.run_id as string));
    return leases.filter((l) => !kept.has(l.runId)).map((l) => l.runId);
  }
}

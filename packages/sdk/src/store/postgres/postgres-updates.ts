import type pg from 'pg';
import type { ErrorInfo } from '../../errors.ts';
import { type Lease, OPEN_STATUSES } from '../store.ts';
import { type NewUpdate, type SendUpdateOutcome, type UpdateState, updateState } from '../updates.ts';
import { json, prepared } from './statements.ts';
import * as q from './update-queries.ts';

/** `PostgresStore`'s updates: sending one, reading where it stands, recording a rejection. */
export class PostgresUpdates {
  /** `clock`: the store's clock for a call at engine time `now` (null: the database's). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
  ) {}

  async send(workflowId: string, update: NewUpdate, now: Date): Promise<SendUpdateOutcome> {
    const payload = json({ updateId: update.updateId, arg: update.arg });
    for (let attempt = 0; ; attempt++) {
      const { rows } = await this.pool.query(prepared(q.SEND_UPDATE), [
        workflowId,
        update.updateId,
        update.name,
        payload,
        now,
        this.clock(now),
      ]);
      const row = rows[0];
      if (row.known) return 'known';
      if (Number(row.delivered) > 0) return 'sent';
      if (row.status === null) return 'not_found';
      // Open, yet not sent: the run closed or continued as new while the statement waited for its row,
      // or a concurrent send of the same id registered it first. Look again.
      if (OPEN_STATUSES.includes(row.status) && attempt < 5) continue;
      return 'closed';
    }
  }

  async read(workflowId: string, updateId: string): Promise<UpdateState | undefined> {
    const { rows } = await this.pool.query(prepared(q.READ_UPDATE), [workflowId, updateId]);
    const row = rows[0];
    if (!row) return undefined;
    return updateState({
      rejection: row.rejection,
      completed: row.completed,
      acceptedIn: row.accepted_in,
      latestStatus: row.latest_status,
    });
  }

  async reject(lease: Lease, updateId: string, error: ErrorInfo): Promise<void> {
    await this.pool.query(prepared(q.REJECT_UPDATE), [
      lease.runId,
      lease.fencingToken,
      updateId,
      json(error),
    ]);
  }
}

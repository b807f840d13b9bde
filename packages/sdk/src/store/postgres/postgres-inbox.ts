import type pg from 'pg';
import type { Json } from '../../codec.ts';
import { type InboxItem, OPEN_STATUSES } from '../store.ts';
import * as q from './inbox-queries.ts';
import { json, prepared } from './statements.ts';

/** `PostgresStore`'s inboxes: input to the latest run of a workflow id, and a run's inbox read. */
export class PostgresInbox {
  /** `clock`: the store's clock for a call at engine time `now` (null: the database's). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
  ) {}

  /** `db`: the pool, or a client inside a transaction (a batch's mark commits with the input). */
  async enqueue(
    workflowId: string,
    item: Omit<InboxItem, 'id'>,
    now: Date,
    db: pg.Pool | pg.ClientBase = this.pool,
  ): Promise<boolean | undefined> {
    for (let attempt = 0; ; attempt++) {
      const { rows } = await db.query(prepared(q.ENQUEUE), [
        workflowId,
        item.kind,
        item.name,
        json(item.payload),
        now,
        this.clock(now),
      ]);
      const row = rows[0];
      const delivered = Number(row.delivered) > 0;
      // Open in the statement's snapshot, yet not delivered: the run closed or continued as new while
      // the statement waited for its row. Look again: the input goes to the successor, if there is one.
      if (!delivered && OPEN_STATUSES.includes(row.status) && attempt < 5) continue;
      return row.status === null ? undefined : delivered;
    }
  }

  async read(runId: string): Promise<{ items: InboxItem[]; version: number }> {
    const { rows } = await this.pool.query(prepared(q.READ_INBOX), [runId]);
    const items = rows
      .filter((r) => r.id !== null)
      .map((r) => ({ id: String(r.id), kind: r.kind, name: r.name, payload: r.payload as Json }));
    return { items, version: Number(rows[0]?.inbox_version ?? 0) };
  }
}

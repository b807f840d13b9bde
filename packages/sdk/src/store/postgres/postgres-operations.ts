import type pg from 'pg';
import type { HistoryEvent } from '../../workflow/events.ts';
import { OPEN_STATUSES, type ResetOutcome, type ResetRequest, type WorkflowStatus } from '../store.ts';
import { withClient } from './held-client.ts';
import * as q from './operation-queries.ts';
import { json } from './statements.ts';

/** `PostgresStore`'s operator actions: retry now, and reset. */
export class PostgresOperations {
  /** `clock`: the store's clock for a call at engine time `now` (null: the database's). */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: (now: Date) => Date | null,
  ) {}

  async retryNow(workflowId: string, now: Date): Promise<boolean | undefined> {
    for (let attempt = 0; ; attempt++) {
      const { rows } = await this.pool.query(q.RETRY_NOW, [workflowId, now, this.clock(now)]);
      const row = rows[0];
      const delivered = Number(row.delivered) > 0;
      // As in `PostgresInbox.enqueue`: a run that continued as new while the statement waited has a successor.
      if (!delivered && OPEN_STATUSES.includes(row.status) && attempt < 5) continue;
      return row.status === null ? undefined : delivered;
    }
  }

  /** One transaction; the old run's row lock orders it with its holder's writes (see `ResetRequest`). */
  reset(req: ResetRequest): Promise<ResetOutcome> {
    return withClient(this.pool, async (db) => {
      await db.query('begin');
      try {
        const outcome = await this.write(db, req);
        await db.query(outcome === 'ok' ? 'commit' : 'rollback');
        return outcome;
      } catch (err) {
        await db.query('rollback').catch(() => {});
        // A run of the id started while the reset was on its way: the one open run per id is taken.
        if ((err as { code?: string }).code === '23505') return 'open_elsewhere';
        throw err;
      }
    });
  }

  private async write(db: pg.PoolClient, req: ResetRequest): Promise<ResetOutcome> {
    const { workflowId, runId: old, newRunId, toEvent, now } = req;
    await db.query(q.LOCK_PARENT, [old]);
    const locked = (await db.query(q.LOCK_RUN, [workflowId, old])).rows[0];
    if (!locked) return 'not_found';
    if (locked.history_length !== req.historyLength) return 'changed';
    if ((await db.query(q.OPEN_ELSEWHERE, [workflowId, old])).rows[0].open) return 'open_elsewhere';
    const open = OPEN_STATUSES.includes(locked.status as WorkflowStatus);
    const reason = req.reason === undefined ? {} : { reason: req.reason };
    const point: Omit<Extract<HistoryEvent, { type: 'reset_point' }>, 'type'> = {
      fromRunId: old,
      toEvent,
      seed: req.seed,
      ...reason,
    };
    const clock = this.clock(now);
    if (open) await db.query(q.CLOSE_RESET_RUN, [old, newRunId, now, json({ newRunId, toEvent, ...reason })]);
    else await db.query(q.MARK_RESET, [old, newRunId, now]);
    await db.query(q.INSERT_RESET_RUN, [old, newRunId, toEvent, now, clock, json(point)]);
    await db.query(q.HAND_ON_INBOX, [old, newRunId, toEvent, open]);
    await db.query(q.ADOPT_CHILDREN, [old, newRunId, toEvent, now]);
    await db.query(q.TELL_PARENT_OF_RESET, [newRunId]);
    if (open) await db.query(q.LEAVE_RESET_RUN, [old, now, clock]);
    await db.query(q.WAKE_RESET_RUN, [newRunId]);
    return 'ok';
  }
}

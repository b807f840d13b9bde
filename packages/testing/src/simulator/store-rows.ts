import type pg from 'pg';
import type { MemoryStore } from '../memory-store.ts';

/** A run's row as the store holds it at one instant. */
export interface RunRow {
  status: string;
  leaseOwner: string | null;
  /** For a held run, its lease expiry. */
  readyAt: Date | null;
  historyLength: number;
}

/** Reads a run's row under the `Store` port, at once. */
export type RowReader = (runId: string) => Promise<RunRow | undefined>;

export function memoryRows(store: MemoryStore): RowReader {
  return async (runId) => store.peek(runId);
}

export function postgresRows(pool: pg.Pool): RowReader {
  return async (runId) => {
    const { rows } = await pool.query(
      'select status, lease_owner, ready_at, history_length from reel.workflows where run_id = $1',
      [runId],
    );
    const r = rows[0];
    return (
      r && {
        status: r.status,
        leaseOwner: r.lease_owner,
        readyAt: r.ready_at,
        historyLength: Number(r.history_length),
      }
    );
  };
}

/**
 * Invariant 7 on Postgres: the runs whose history outlived them. No foreign key ties history to its
 * run (`0022_history_without_foreign_key.sql`): every statement that writes history must hold the run.
 */
export async function runsOfOrphanHistory(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query(
    `select distinct h.run_id from reel.history h
      where not exists (select 1 from reel.workflows w where w.run_id = h.run_id)`,
  );
  return rows.map((r) => r.run_id);
}

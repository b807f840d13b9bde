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

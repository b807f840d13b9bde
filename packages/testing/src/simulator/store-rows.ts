import { OPEN_STATUSES } from '@reel/sdk';
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
export interface RowReader {
  (runId: string): Promise<RunRow | undefined>;
  /** How many of these runs are open and were ever claimed (fencing token past 0), at one instant. */
  started(runIds: string[]): Promise<number>;
}

export function memoryRows(store: MemoryStore): RowReader {
  return Object.assign(async (runId: string) => store.peek(runId), {
    started: async (runIds: string[]) =>
      runIds.filter((id) => {
        const row = store.peek(id);
        return row && OPEN_STATUSES.includes(row.status) && row.fencingToken > 0;
      }).length,
  });
}

export function postgresRows(pool: pg.Pool): RowReader {
  const started = async (runIds: string[]) => {
    const { rows } = await pool.query(
      `select count(*)::int as n from reel.workflows
        where run_id = any($1) and status = any($2) and fencing_token > 0`,
      [runIds, OPEN_STATUSES],
    );
    return rows[0].n as number;
  };
  return Object.assign(
    async (runId: string) => {
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
    },
    { started },
  );
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

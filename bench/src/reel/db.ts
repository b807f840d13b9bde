/** Reads of Reel's tables that tell the bench when a run has reached the state it waits for. */
import pg from 'pg';
import { sleep } from '../load.ts';

/** Polls `sql` (returning one row with a boolean `ok`) until it holds. */
export async function until(
  pool: pg.Pool,
  sql: string,
  params: unknown[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query(sql, params);
    if (rows[0]?.ok) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${sql} ${JSON.stringify(params)}`);
    await sleep(5);
  }
}

/** The run is suspended on a signal: released, with no wake time. */
export const SUSPENDED_ON_SIGNAL = `
select coalesce(bool_and(status = 'running' and lease_owner is null and ready_at is null), false) as ok
  from reel.workflows where workflow_id = $1`;

export function pool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 2 });
}

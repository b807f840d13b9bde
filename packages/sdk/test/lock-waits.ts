import pg from 'pg';
import { expect } from 'vitest';

/** A pool of one connection to `connectionString`, and that connection's backend pid. */
export async function connection(connectionString: string): Promise<{ pool: pg.Pool; pid: number }> {
  const one = new pg.Pool({ connectionString, max: 1 });
  const { rows } = await one.query('select pg_backend_pid() as pid');
  return { pool: one, pid: rows[0].pid };
}

/** Resolves once backend `pid` waits for a lock, as `pool` sees it. */
export async function untilWaiting(pool: pg.Pool, pid: number): Promise<void> {
  const waiting = async () =>
    (
      await pool.query("select wait_event_type = 'Lock' as waiting from pg_stat_activity where pid = $1", [
        pid,
      ])
    ).rows[0]?.waiting;
  await expect.poll(waiting, { timeout: 10_000 }).toBe(true);
}

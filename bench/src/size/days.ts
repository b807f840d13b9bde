/**
 * Retention day after day, as a database at its steady size lives it: each day a new day of closed
 * runs comes in, then `purgeExpired` deletes the oldest day, then autovacuum, with the tables' and the
 * server's settings, does what it would in a day: it passes over each table past its threshold.
 * Tells whether the tables grow.
 */
import type pg from 'pg';
import { PostgresStore } from '../../../packages/sdk/src/index.ts';
import { purgeExpired } from '../../../packages/worker/src/index.ts';
import { table } from '../stats.ts';
import { fillClosed } from './fill.ts';
import { mib, type TableState, tableStates } from './pg-stats.ts';

/** The longest wait for autovacuum after a day's deletions. */
const AUTOVACUUM_WAIT_MS = 5 * 60_000;

export interface DaysPlan {
  days: number;
  /** Closed runs a day, of `events` events each, numbered on from `first`. */
  perDay: number;
  events: number;
  first: number;
  /** The first new day's first close. */
  from: Date;
}

/** Deleted rows of reel.history the statistics have so far (ended sessions report theirs). */
async function historyDeletes(sql: pg.ClientBase): Promise<number> {
  const { rows } = await sql.query(
    `select n_tup_del::float8 as n from pg_stat_user_tables where schemaname = 'reel' and relname = 'history'`,
  );
  return rows[0].n;
}

/** Waits until the statistics count `n` deleted history rows, then reads the tables' state. */
export async function statesOnceDeleted(sql: pg.ClientBase, n: number): Promise<TableState[]> {
  for (let i = 0; i < 100 && (await historyDeletes(sql)) < n; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  return tableStates(sql);
}

/** Runs `plan.days` days on `connectionString`'s database; a table row per day. */
export async function retentionDays(
  sql: pg.ClientBase,
  connectionString: string,
  plan: DaysPlan,
): Promise<string> {
  const rows: string[][] = [];
  for (let day = 0; day < plan.days; day++) {
    await fillClosed(sql, {
      runs: plan.perDay,
      first: plan.first + day * plan.perDay,
      events: plan.events,
      from: new Date(plan.from.getTime() + day * 86_400_000),
      days: 1,
      chunk: plan.perDay,
    });
    const { rows: bounds } = await sql.query(
      `select min(closed_at) + interval '1 day' as cutoff from reel.workflows where closed_at is not null`,
    );
    const deletesBefore = await historyDeletes(sql);
    const store = new PostgresStore({ connectionString });
    const t = performance.now();
    const deleted = await purgeExpired(store, bounds[0].cutoff);
    const seconds = (performance.now() - t) / 1000;
    await store.close();
    let states = await statesOnceDeleted(sql, deletesBefore + deleted * plan.events);
    // A day is long enough for autovacuum to take the tables past its threshold: wait for it.
    const waitStart = performance.now();
    while (
      states.some((s) => s.dead > s.autovacuumAt) &&
      performance.now() - waitStart < AUTOVACUUM_WAIT_MS
    ) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      states = await tableStates(sql);
    }
    const waited = (performance.now() - waitStart) / 1000;
    const [workflows, history] = states as [TableState, TableState]; // tableStates' order
    rows.push([
      String(day + 1),
      deleted.toLocaleString('en-US'),
      seconds.toFixed(1),
      waited.toFixed(0),
      history.dead.toLocaleString('en-US'),
      String(history.autovacuums),
      mib(history.bytes),
      workflows.dead.toLocaleString('en-US'),
      String(workflows.autovacuums),
      mib(workflows.bytes),
    ]);
  }
  return table(
    [
      'day',
      'runs deleted',
      'delete s',
      'autovacuum wait s',
      'history dead rows',
      'history autovacuums',
      'history MiB',
      'workflows dead rows',
      'workflows autovacuums',
      'workflows MiB',
    ],
    rows,
  );
}

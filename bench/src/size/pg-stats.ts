/** What `at-size.ts` reads of Postgres itself: relation sizes, dead tuples, lock waits. */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { table } from '../stats.ts';

export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** reel.* tables of at least 1 MiB: heap, indexes, TOAST and all, in MiB. */
export async function tableSizes(db: pg.ClientBase): Promise<string> {
  const { rows } = await db.query(`
    select c.relname as name, pg_total_relation_size(c.oid)::float8 as total, pg_relation_size(c.oid)::float8 as heap,
           pg_indexes_size(c.oid)::float8 as indexes, c.reltuples::float8 as rows
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'reel' and c.relkind = 'r' and pg_total_relation_size(c.oid) >= 1048576
     order by 2 desc`);
  return table(
    ['table', 'rows (estimate)', 'total MiB', 'heap MiB', 'indexes MiB'],
    rows.map((r) => [
      r.name,
      Math.round(r.rows).toLocaleString('en-US'),
      mib(r.total),
      mib(r.heap),
      mib(r.indexes),
    ]),
  );
}

/** The indexes of reel.workflows and reel.history, in MiB. */
export async function indexSizes(db: pg.ClientBase): Promise<string> {
  const { rows } = await db.query(`
    select t.relname as tbl, i.relname as name, pg_relation_size(i.oid)::float8 as size
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
      join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'reel' and t.relname in ('workflows', 'history')
     order by t.relname desc, 3 desc`);
  return table(
    ['table', 'index', 'MiB'],
    rows.map((r) => [r.tbl, r.name, mib(r.size)]),
  );
}

export interface TableState {
  name: string;
  live: number;
  dead: number;
  bytes: number;
  autovacuums: number;
  /** Dead tuples past which autovacuum takes the table: threshold + scale factor × reltuples (its own, else the server's). */
  autovacuumAt: number;
}

/** An autovacuum setting of table `c`: its own (`alter table … set`), else the server's. */
const setting = (name: string) =>
  `coalesce((select o.option_value from pg_options_to_table(c.reloptions) o where o.option_name = '${name}'),
            current_setting('${name}'))::float8`;

/** reel.workflows and reel.history as the statistics collector has them (flushed by ended sessions). */
export async function tableStates(db: pg.ClientBase): Promise<TableState[]> {
  const { rows } = await db.query(`
    select s.relname as name, s.n_live_tup::float8 as live, s.n_dead_tup::float8 as dead,
           pg_total_relation_size(s.relid)::float8 as bytes, s.autovacuum_count::int as autovacuums,
           ${setting('autovacuum_vacuum_threshold')} + ${setting('autovacuum_vacuum_scale_factor')} * c.reltuples as at
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
     where s.schemaname = 'reel' and s.relname in ('workflows', 'history')
     order by s.relname desc`);
  return rows.map((r) => ({ ...r, autovacuumAt: r.at }));
}

export function statesTable(states: { when: string; rows: TableState[] }[]): string {
  return table(
    ['when', 'table', 'live rows', 'dead rows', 'autovacuum at', 'autovacuums', 'total MiB'],
    states.flatMap(({ when, rows }) =>
      rows.map((s) => [
        when,
        s.name,
        s.live.toLocaleString('en-US'),
        s.dead.toLocaleString('en-US'),
        Math.round(s.autovacuumAt).toLocaleString('en-US'),
        String(s.autovacuums),
        mib(s.bytes),
      ]),
    ),
  );
}

/**
 * Polls pg_locks every few ms for the longest wait of any session on this database for a lock not yet
 * granted (a row lock is waited for as the holder's transaction id), by `waitstart` (Postgres 14+):
 * waits shorter than the poll may go unseen. `involving`: also the longest wait whose waiter or a
 * blocker runs a statement containing this text. `what`: the lock and the waiting statement.
 */
export function sampleLockWaits(
  db: pg.ClientBase,
  involving: string,
  everyMs = 5,
): { stop: () => Promise<{ any: LockWait; involving: LockWait }> } {
  const longest = { any: { ms: 0, what: '' }, involving: { ms: 0, what: '' } };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await db.query(
        `select extract(epoch from clock_timestamp() - l.waitstart)::float8 * 1000 as ms,
                l.locktype || ' ' || l.mode || ': ' || left(regexp_replace(a.query, '\\s+', ' ', 'g'), 100) as what,
                strpos(a.query, $1) > 0 or exists (select 1 from pg_stat_activity b
                                                     where b.pid = any(pg_blocking_pids(a.pid))
                                                       and strpos(b.query, $1) > 0) as involving
           from pg_locks l join pg_stat_activity a using (pid)
          where not l.granted and a.datname = current_database() and l.waitstart is not null`,
        [involving],
      );
      for (const { ms, what, involving: inv } of rows) {
        if (ms > longest.any.ms) longest.any = { ms, what };
        if (inv && ms > longest.involving.ms) longest.involving = { ms, what };
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return longest;
    },
  };
}

export interface LockWait {
  ms: number;
  what: string;
}

/**
 * The CPU time, in ms, of the backends now connected to database `name`, read from /proc when the
 * server runs on this machine (undefined otherwise). Subtract two readings over sessions that stay open.
 */
export async function backendCpuMs(db: pg.ClientBase, name: string): Promise<number | undefined> {
  const { rows } = await db.query('select pid from pg_stat_activity where datname = $1', [name]);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      return undefined;
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Linux's USER_HZ, as /proc counts CPU time. */
const TICKS_PER_SECOND = 100;

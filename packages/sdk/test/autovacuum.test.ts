// Retention deletes about a thirtieth of reel.history and reel.workflows a day; autovacuum passes
// over each once a fiftieth of it is dead (0019_autovacuum.sql), so a day's deleted rows make room
// for the next day's, instead of six days of them piling up first (bench/at-size.ts).
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../src/index.ts';

const db = useTestDatabase();
let store: PostgresStore;
let pool: pg.Pool;

beforeAll(async () => {
  store = new PostgresStore({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  await pool?.end();
});

it('autovacuum takes reel.history and reel.workflows once 2% of their rows are dead', async () => {
  const { rows } = await pool.query(
    `select c.relname as table, o.option_value::float8 as scale_factor
       from pg_class c join pg_namespace n on n.oid = c.relnamespace,
            pg_options_to_table(c.reloptions) o
      where n.nspname = 'reel' and o.option_name = 'autovacuum_vacuum_scale_factor'
      order by 1`,
  );
  expect(rows).toEqual([
    { table: 'history', scale_factor: 0.02 },
    { table: 'workflows', scale_factor: 0.02 },
  ]);
});

import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { CLAIM } from '../src/store/postgres/lease-queries.ts';
import { genericPlan } from './store-statements.ts';

/**
 * What Postgres plans for a claim. The runs it takes are chosen in `reel.claim_candidates` (0027),
 * whose statement is planned for each call's types and limit once the table is large; the statement
 * around it must keep one plan per connection, and that plan must stay right as a new database grows.
 */

const db = useTestDatabase();
let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  await migrate(pool);
});
afterAll(() => pool?.end());

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

const scans = (node: PlanNode): string[] => [
  ...(node['Node Type'] === 'Seq Scan' ? [node['Relation Name'] as string] : []),
  ...(node.Plans ?? []).flatMap(scans),
];

it('a claim prepared while the database is new and empty finds its runs by key, not by scanning them', async () => {
  const session = await pool.connect();
  try {
    await session.query('set plan_cache_mode = force_generic_plan');
    expect(scans((await genericPlan(session, CLAIM)) as PlanNode)).not.toContain('workflows');
  } finally {
    await session.query('reset plan_cache_mode');
    session.release();
  }
});

it('among thousands of runs, Postgres plans a claim once per connection, not at every call', async () => {
  await pool.query(`
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at, closed_at)
    select gen_random_uuid(), 'wf-' || i, 't' || i % 10, case when i % 100 = 0 then 'running' else 'completed' end,
           now(), now(), case when i % 100 = 0 then now() end, case when i % 100 <> 0 then now() end
      from generate_series(1, 20000) i;
    analyze`);
  const claim = { name: 'claim', text: CLAIM };
  for (let i = 0; i < 20; i++) await pool.query(claim, ['w', ['t0', 't1'], 10, null, 30_000, 100]);
  const { rows } = await pool.query(
    `select generic_plans, custom_plans from pg_prepared_statements where name = 'claim'`,
  );
  // The plan cache makes five plans for the values it is given before it weighs a generic one.
  expect(Number(rows[0].custom_plans)).toBeLessThanOrEqual(5);
  expect(Number(rows[0].generic_plans)).toBeGreaterThanOrEqual(15);
});

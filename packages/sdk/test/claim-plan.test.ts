import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { CLAIM } from '../src/store/postgres/lease-queries.ts';
import { genericPlan } from './store-statements.ts';

/**
 * What Postgres plans for a claim. The runs it takes are chosen in `reel.claim_candidates` (0028),
 * whose statements keep one plan each, right whatever the claim's types; the statement around it must
 * keep one plan per connection, and that plan must stay right as a new database grows.
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

/** Ready runs of `type`, ready `agoMs` before now. */
async function ready(type: string, count: number, agoMs: number): Promise<void> {
  await pool.query(
    `insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at)
     select gen_random_uuid(), $1 || '-' || i, $1, 'running', now(), now(), now() - $2 * interval '1 millisecond'
       from generate_series(1, $3) i`,
    [type, agoMs, count],
  );
}

/** Pages a call of reel.claim_candidates reads, on plans made without knowing its values. */
async function pagesRead(session: pg.PoolClient, types: string[], maxRuns: number): Promise<number> {
  await session.query('set plan_cache_mode = force_generic_plan');
  try {
    const { rows } = await session.query(
      'explain (analyze, buffers, format json) select * from reel.claim_candidates($1, $2, now())',
      [types, maxRuns],
    );
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
  } finally {
    await session.query('reset plan_cache_mode');
  }
}

it('one plan serves a claim of a rare type and one of a type with a backlog: neither reads past what it takes', async () => {
  await ready('backlog', 20_000, 60_000);
  await ready('rare', 3, 1_000);
  await pool.query('analyze reel.workflows');
  const session = await pool.connect();
  try {
    // A first call reads the catalog, and each call is rolled back: a claim locks what it takes.
    await session.query(`select reel.claim_candidates('{}', 1, now())`);
    for (const [types, maxRuns] of [
      [['rare'], 2],
      [['backlog', 'rare'], 10],
      [['rare', 'backlog'], 10],
    ] as const) {
      await session.query('begin');
      const pages = await pagesRead(session, [...types], maxRuns);
      await session.query('rollback');
      expect(pages).toBeLessThan(100);
    }
  } finally {
    session.release();
  }
});

it('a claim skips the runs other claims hold and takes the next ones, in claim order', async () => {
  await ready('contended', 6, 10_000);
  const { rows } = await pool.query(
    `select run_id from reel.workflows where type = 'contended' order by ready_at`,
  );
  const inOrder = rows.map((r) => r.run_id as string);
  const sessions = [0, 1, 2].map(() => new pg.Client({ connectionString: db.connectionString }));
  const claim = async (session: pg.Client, maxRuns: number) => {
    await session.query('begin');
    const taken = await session.query(`select run_id from reel.claim_candidates('{contended}', $1, now())`, [
      maxRuns,
    ]);
    return taken.rows.map((r) => r.run_id as string);
  };
  try {
    for (const session of sessions) await session.connect();
    const [first, second, third] = sessions as [pg.Client, pg.Client, pg.Client];
    expect(await claim(first, 3)).toEqual(inOrder.slice(0, 3));
    // The second reads the first's runs first, skips them, and reads on past them.
    expect(await claim(second, 3)).toEqual(inOrder.slice(3, 6));
    expect(await claim(third, 5)).toEqual([]);
  } finally {
    for (const session of sessions) await session.end();
  }
});

import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { CLOSE, COMMIT_MANY } from '../src/store/postgres/commit-queries.ts';
import { TERMINATE } from '../src/store/postgres/run-queries.ts';
import { genericPlan, statements as storeStatements } from './store-statements.ts';

/**
 * A close, a group commit that closes runs and a termination read no more pages after thousands of
 * runs came and went, as prepared statements whose generic plans were made while the table was small
 * and its statistics said few runs were open (a new database, or a busy one between two analyzes).
 * Those plans once found a closing run's children by walking `workflows_open_id` (which also holds
 * the entries of every run opened since the last vacuum), or by scanning every run and every task,
 * on every close, for none found. No statement of the store may walk that index but by workflow id,
 * in this state where the planner is most tempted to.
 */

const db = useTestDatabase();
let pool: pg.Pool;
/** The session of the prepared statements. */
let session: pg.PoolClient;
const RUNS = 5000;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString, max: 2 });
  await migrate(pool);
  await pool.query(`
    alter table reel.workflows set (autovacuum_enabled = off);
    alter table reel.tasks set (autovacuum_enabled = off);
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, closed_at)
    select gen_random_uuid(), 'closed-' || i, 't', 'completed', now(), now(), now() from generate_series(1, 1000) i;
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at, lease_owner,
                                fencing_token, history_length)
    select ('00000000-0000-0000-0000-00000000000' || i)::uuid, 'closing-' || i, 't', 'running', now(), now(),
           now() + interval '1 minute', 'worker', 1, 1
      from generate_series(1, 3) i;
    analyze reel.workflows`);
  session = await pool.connect();
  await session.query('set plan_cache_mode = force_generic_plan');
  for (const [i, [, statement]] of statements.entries()) await session.query(`prepare s${i} as ${statement}`);
});
afterAll(async () => {
  session?.release();
  await pool?.end();
});

const run = (i: number) => `00000000-0000-0000-0000-00000000000${i}`;

/** Pages prepared statement `i` reads (shared buffers hit or read), rolled back. */
async function pagesRead(i: number): Promise<number> {
  const params = statements[i]?.[2] ?? [];
  await session.query('begin');
  try {
    const { rows } = await session.query(
      `explain (analyze, buffers, format json) execute s${i}(${params.map(literal).join(', ')})`,
    );
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
  } finally {
    await session.query('rollback');
  }
}

/** `value` as an untyped SQL literal (arrays in Postgres's array syntax), which takes the parameter's type. */
function literal(value: unknown): string {
  if (value === null) return 'null';
  const element = (v: unknown) => (v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`);
  const text = Array.isArray(value) ? `{${value.map(element).join(',')}}` : String(value);
  return `'${text.replaceAll("'", "''")}'`;
}

const now = new Date().toISOString();
const statements: [string, string, unknown[]][] = [
  [
    'CLOSE',
    CLOSE,
    [
      run(1),
      1,
      [1],
      ['workflow_completed'],
      ['{}'],
      now,
      'completed',
      '1',
      null,
      false,
      null,
      0,
      null,
      [now],
      [],
      null,
    ],
  ],
  [
    'COMMIT_MANY closing two runs',
    COMMIT_MANY,
    [
      [run(2), run(3)],
      [1, 1],
      [1, 1],
      [1, 1],
      ['completed', 'completed'],
      ['1', '1'],
      [null, null],
      [false, false],
      [0, 0],
      [null, null],
      [null, null],
      [now, now],
      [run(2), run(3)],
      [1, 1],
      ['workflow_completed', 'workflow_completed'],
      ['{}', '{}'],
      [now, now],
      [],
      [null, null],
    ],
  ],
  ['TERMINATE', TERMINATE, ['closing-1', '{"name":"Terminated"}', now, '{}', null]],
];

it('no statement of the store walks workflows_open_id but by workflow id', async () => {
  const walks: string[] = [];
  const byIndex = (node: PlanNode): boolean =>
    (node['Index Name'] === 'workflows_open_id' && !/workflow_id/.test(node['Index Cond'] ?? '')) ||
    (node.Plans ?? []).some(byIndex);
  for (const [name, text] of await storeStatements())
    if (byIndex((await genericPlan(session, text)) as PlanNode)) walks.push(name);
  expect(walks).toEqual([]);
});

interface PlanNode {
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

it('a close, a group commit and a termination read no more pages after thousands of runs came and went', async () => {
  const pagesBefore: number[] = [];
  for (const i of statements.keys()) pagesBefore.push(await pagesRead(i));
  // Runs opened and closed (and their tasks) since the last vacuum: their dead entries stay.
  await pool.query(`
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at)
    select gen_random_uuid(), 'done-' || i, 't', 'running', now(), now(), now() from generate_series(1, ${RUNS}) i;
    insert into reel.tasks (run_id, cmd, attempt, name, args, queue, available_at, ready_at, created_at)
    select run_id, 0, 1, 'a', '[]', 'default', now(), now(), now() from reel.workflows where workflow_id like 'done-%';
    delete from reel.tasks;
    update reel.workflows set status = 'completed', closed_at = now(), ready_at = null where workflow_id like 'done-%'`);
  const grown: string[] = [];
  for (const [i, [name]] of statements.entries()) {
    const after = await pagesRead(i);
    if (after - (pagesBefore[i] ?? 0) >= 20)
      grown.push(`${name}: ${pagesBefore[i]} pages before, ${after} after`);
  }
  expect(grown).toEqual([]);
});

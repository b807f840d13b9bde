import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/index.ts';
import { CLOSE, COMMIT_MANY } from '../src/store/postgres/commit-queries.ts';
import { TERMINATE } from '../src/store/postgres/run-queries.ts';

/**
 * A run's children and parent are found by their links (`workflows_parent`, the primary key), never
 * among the entries of `workflows_open_id`, which also holds those of every run opened since the last
 * vacuum: a close, a group commit that closes runs and a termination read no more pages after
 * thousands of runs came and went. Statistics that say few runs are open (true of most systems) once
 * made the planner look for a closing run's children there (2,861 entries and 156 heap pages a close
 * in the concurrency-50 benchmark).
 */

const db = useTestDatabase();
let pool: pg.Pool;
const RUNS = 5000;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString, max: 1 });
  await migrate(pool);
  await pool.query(`
    alter table reel.workflows set (autovacuum_enabled = off);
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, closed_at)
    select gen_random_uuid(), 'closed-' || i, 't', 'completed', now(), now(), now() from generate_series(1, 1000) i;
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at, lease_owner,
                                fencing_token, history_length)
    select ('00000000-0000-0000-0000-00000000000' || i)::uuid, 'closing-' || i, 't', 'running', now(), now(),
           now() + interval '1 minute', 'worker', 1, 1
      from generate_series(1, 3) i;
    analyze reel.workflows`);
});
afterAll(() => pool?.end());

const run = (i: number) => `00000000-0000-0000-0000-00000000000${i}`;

/** Pages a statement reads (shared buffers hit or read), its generic plan as a prepared statement's, rolled back. */
async function pagesRead(statement: string, params: unknown[]): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('set local plan_cache_mode = force_generic_plan');
    await client.query(`prepare s as ${statement}`);
    const args = params.map((_, i) => `$${i + 1}`).join(', ');
    const { rows } = await client.query(
      `explain (analyze, buffers, format json) execute s(${args})`.replace(/\$\d+/g, (p) =>
        literal(params[Number(p.slice(1)) - 1]),
      ),
    );
    const plan = rows[0]['QUERY PLAN'][0].Plan;
    return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
  } finally {
    await client.query('rollback; deallocate all');
    client.release();
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

it('a close, a group commit and a termination read no more pages after thousands of runs came and went', async () => {
  const before = new Map<string, number>();
  for (const [name, statement, params] of statements) before.set(name, await pagesRead(statement, params));
  // Runs opened and closed since the last vacuum: their entries stay in the indexes of open runs.
  await pool.query(`
    insert into reel.workflows (run_id, workflow_id, type, status, created_at, updated_at, ready_at)
    select gen_random_uuid(), 'done-' || i, 't', 'running', now(), now(), now() from generate_series(1, ${RUNS}) i;
    update reel.workflows set status = 'completed', closed_at = now(), ready_at = null where workflow_id like 'done-%'`);
  const grown: string[] = [];
  for (const [name, statement, params] of statements) {
    const after = await pagesRead(statement, params);
    if (after - (before.get(name) ?? 0) >= 20)
      grown.push(`${name}: ${before.get(name)} pages before, ${after} after`);
  }
  expect(grown).toEqual([]);
});

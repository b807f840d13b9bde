import { Client, PostgresStore, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();
let pool: pg.Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query('create table starts (id bigserial primary key, workflow_id text not null)');
});
afterAll(() => pool.end());

async function note(workflowId: string): Promise<void> {
  await pool.query('insert into starts (workflow_id) values ($1)', [workflowId]);
}

async function prioritised(ctx: WorkflowContext) {
  await ctx.activity(note, ctx.info.workflowId);
}

it('under a backlog, three workers claim the higher priority runs first, though started last', async () => {
  const store = new PostgresStore({ connectionString: db.connectionString });
  await store.migrate();
  await store.registerTypes(['prioritised'], new Date());
  const client = new Client({ store });
  // The backlog builds before any worker runs: 150 runs of priority 0, then 50 of priority 10.
  const handles = [];
  for (let i = 0; i < 150; i++) handles.push(await client.start(prioritised, undefined, { id: `low-${i}` }));
  for (let i = 0; i < 50; i++)
    handles.push(await client.start(prioritised, undefined, { id: `high-${i}`, priority: 10 }));
  const inFlight = 3 * 2;
  const workers = await Promise.all(
    [1, 2, 3].map(() =>
      Worker.create({
        connectionString: db.connectionString,
        workflows: { prioritised },
        activities: { note },
        concurrency: 2,
        handleSignals: false,
      }),
    ),
  );
  for (const w of workers) void w.run();
  await Promise.all(handles.map((h) => h.result({ timeout: '60s' })));
  await Promise.all(workers.map((w) => w.shutdown()));
  await client.close();

  const { rows } = await pool.query<{ workflow_id: string }>('select workflow_id from starts order by id');
  const position = (prefix: string) => rows.flatMap((r, i) => (r.workflow_id.startsWith(prefix) ? [i] : []));
  // Claims take the high runs first; only the runs in flight at the switch can start out of order.
  expect(Math.max(...position('high-'))).toBeLessThan(50 + inFlight);
  expect(Math.min(...position('low-'))).toBeGreaterThanOrEqual(50 - inFlight);
  expect(position('low-')).toHaveLength(150);
}, 120_000);

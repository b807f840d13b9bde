import { Client, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();

async function reindex(_ctx: WorkflowContext, input: number) {
  return input;
}

it('a debounced burst of starts, concurrent then one after another, produces one run with the last input', async () => {
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { reindex },
    handleSignals: false,
  });
  void worker.run();
  const client = new Client({ connectionString: db.connectionString });
  const debounce = { key: 'user-7', period: '3s' };
  const burst = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.start(reindex, 100 + i, { debounce })),
  );
  const handles = [...burst];
  for (let i = 1; i <= 5; i++) handles.push(await client.start(reindex, i, { debounce }));

  expect(new Set(handles.map((h) => h.id)).size).toBe(1);
  expect(handles.filter((h) => h.created)).toHaveLength(1);
  expect(await handles[0]?.result({ timeout: '30s' })).toBe(5);
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const { rows } = await pool.query(`select 1 from reel.workflows where type = 'reindex'`);
  expect(rows).toHaveLength(1);
  await pool.end();
  // Once a worker has started the run, the next start begins a new one.
  const next = await client.start(reindex, 6, { debounce: { key: 'user-7', period: '1ms' } });
  expect(next.created).toBe(true);
  expect(await next.result({ timeout: '30s' })).toBe(6);
  await client.close();
  await worker.shutdown();
}, 60_000);

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();
const children: ChildProcess[] = [];
beforeAll(async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query('create table side_effects (workflow_id text, step int)');
  await pool.end();
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Waits until the workflow's activities have started `n` steps (each records itself first). */
async function stepsStarted(pool: pg.Pool, workflowId: string, n: number): Promise<void> {
  for (;;) {
    const { rows } = await pool.query('select count(*)::int as n from side_effects where workflow_id = $1', [
      workflowId,
    ]);
    if (rows[0].n >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The worker that takes over, in the test's process, running the same workflow. */
async function workerInThisProcess(): Promise<Worker> {
  process.env.DATABASE_URL = db.connectionString; // read by the fixture's activity pool
  const { crashable, recordStep } = await import('./fixtures/crash-workflow.ts');
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { crashable },
    activities: { recordStep },
    handleSignals: false,
  });
  void worker.run();
  return worker;
}

function startWorkerProcess(): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/crash-worker-main.ts', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: db.connectionString },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return child;
}

it('a crash during the first activity, whose scheduling waits for its result, replays to the same call', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const first = startWorkerProcess();
  await once(first.stdout as NodeJS.ReadableStream, 'data');
  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start('crashable', 2, { id: 'crash-first' });
  await stepsStarted(pool, 'crash-first', 1);
  first.kill('SIGKILL');
  await once(first, 'exit');
  // Nothing but the start is durable: the first activity_scheduled was to go with its result.
  expect((await client.history('crash-first')).events.map((e) => e.type)).toEqual(['workflow_started']);

  const second = await workerInThisProcess();
  expect(await handle.result({ timeout: '30s' })).toEqual([1, 2]);
  await second.shutdown();
  const { rows } = await pool.query<{ step: number; n: number }>(
    "select step, count(*)::int as n from side_effects where workflow_id = 'crash-first' group by step order by step",
  );
  // At least once: step 1's result was never recorded, so it ran again; step 2 once.
  expect(rows).toEqual([
    { step: 1, n: 2 },
    { step: 2, n: 1 },
  ]);
  await client.close();
  await pool.end();
});

it('resumes a workflow on another worker after SIGKILL, never re-running a recorded activity', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const first = startWorkerProcess();
  const [ready] = await once(first.stdout as NodeJS.ReadableStream, 'data');
  expect(String(ready)).toContain('ready');

  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start('crashable', 5, { id: 'crash-me' });

  // Kill the worker while step 3 runs: steps 1 and 2 are recorded, step 3 has started.
  await stepsStarted(pool, 'crash-me', 3);
  first.kill('SIGKILL');
  await once(first, 'exit');

  const recorded = (await client.history('crash-me')).events
    .filter((e) => e.type === 'activity_completed')
    .map((e) => e.cmd);
  expect(recorded.length).toBeGreaterThanOrEqual(2);

  const second = await workerInThisProcess();
  expect(await handle.result({ timeout: '30s' })).toEqual([1, 2, 3, 4, 5]);
  await second.shutdown();

  const { rows } = await pool.query<{ step: number; n: number }>(
    "select step, count(*)::int as n from side_effects where workflow_id = 'crash-me' group by step order by step",
  );
  const runs = new Map(rows.map((r) => [r.step, r.n]));
  for (const cmd of recorded)
    expect(runs.get(cmd + 1), `step ${cmd + 1} was recorded before the crash`).toBe(1);
  expect([...runs.keys()]).toEqual([1, 2, 3, 4, 5]);
  await client.close();
  await pool.end();
  await (await import('./fixtures/crash-workflow.ts')).closeFixturePool();
});

it('drains on SIGTERM: the running activity finishes and is recorded before the process exits', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const child = startWorkerProcess();
  await once(child.stdout as NodeJS.ReadableStream, 'data');
  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start('crashable', 1, { id: 'drain-me' });
  await stepsStarted(pool, 'drain-me', 1);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  expect(await handle.result({ timeout: '1s' })).toEqual([1]);
  const { rows } = await pool.query(
    "select count(*)::int as n from side_effects where workflow_id = 'drain-me'",
  );
  expect(rows[0].n).toBe(1);
  await client.close();
  await pool.end();
});

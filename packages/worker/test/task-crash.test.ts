import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

it('a task worker killed mid-task: another task worker runs the attempt once the claim lapses', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query(
    'create table task_runs (pid int, attempt int, last_heartbeat json, at timestamptz default clock_timestamp())',
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/task-worker-main.ts', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: db.connectionString, RENDER_MS: '60000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const [ready] = await once(child.stdout as NodeJS.ReadableStream, 'data');
  expect(String(ready)).toContain('ready');

  process.env.DATABASE_URL = db.connectionString; // read by the fixture's activity pool
  process.env.RENDER_MS = '50';
  const { renderJob, slowRender, closeFixturePool } = await import('./fixtures/gpu-crash.ts');
  const workflowWorker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { renderJob },
    activities: { slowRender },
    handleSignals: false,
    logger: recordingLogger(),
  });
  void workflowWorker.run();
  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start(renderJob, 3, { id: 'render-crash' });

  // The child has the task; once a claim renewal has stored its heartbeat, kill it.
  await until(async () => {
    const { rows } = await pool.query('select 1 from reel.tasks where last_heartbeat is not null');
    return rows.length > 0;
  }, "the child's heartbeat to be stored");
  const { rows: claimed } = await pool.query('select claimed_by, ready_at from reel.tasks');
  expect(claimed).toHaveLength(1);
  expect(claimed[0].claimed_by).toMatch(new RegExp(`:${child.pid}:`));
  child.kill('SIGKILL');
  await once(child, 'exit');

  const taskWorker = await Worker.create({
    connectionString: db.connectionString,
    taskQueues: ['gpu'],
    activities: { slowRender },
    handleSignals: false,
    pollIntervalMs: 100,
    logger: recordingLogger(),
  });
  void taskWorker.run();
  expect(await handle.result({ timeout: '20s' })).toEqual({ frame: 3, pid: process.pid });

  const { rows } = await pool.query<{ pid: number; attempt: number; last_heartbeat: unknown; at: Date }>(
    'select pid, attempt, last_heartbeat, at from task_runs order by at',
  );
  expect(rows.map((r) => [r.pid, r.attempt])).toEqual([
    [child.pid, 1],
    [process.pid, 1], // the same attempt again: a crash is not a failed attempt
  ]);
  const [, rerun] = rows;
  if (!rerun) throw new Error('the task did not run again');
  expect(rerun.last_heartbeat).toEqual({ frame: 3, startedBy: child.pid });
  // not before the child's claim lapsed
  expect(rerun.at.getTime()).toBeGreaterThanOrEqual((claimed[0].ready_at as Date).getTime() - 50);
  const types = (await client.history('render-crash')).events.map((e) => e.type);
  expect(types).toEqual([
    'workflow_started',
    'activity_scheduled',
    'activity_completed',
    'workflow_completed',
  ]);

  await taskWorker.shutdown();
  await workflowWorker.shutdown();
  await client.close();
  await pool.end();
  await closeFixturePool();
});

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until } from './helpers.ts';

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

/** The worker that takes over, in the test's process, running the same workflow. */
async function workerInThisProcess(): Promise<Worker> {
  process.env.DATABASE_URL = db.connectionString; // read by the fixture's activity pool
  const { crashable, recordStep, updatable } = await import('./fixtures/crash-workflow.ts');
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { crashable, updatable },
    activities: { recordStep },
    handleSignals: false,
  });
  void worker.run();
  return worker;
}

/**
 * A worker process whose activity holds at step `holdStep` (until its stdin closes, or forever), and
 * a way to wait for a line it prints: 'ready', 'holding step <n>', 'draining'.
 */
function startWorkerProcess(holdStep: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/crash-worker-main.ts', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: db.connectionString, HOLD_STEP: String(holdStep) },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  const printed = (line: string) =>
    until(() => lines.includes(line), `the worker process to print '${line}'`);
  return { child, printed };
}

const sideEffects = async (pool: pg.Pool, workflowId: string) =>
  (
    await pool.query<{ step: number; n: number }>(
      'select step, count(*)::int as n from side_effects where workflow_id = $1 group by step order by step',
      [workflowId],
    )
  ).rows;

it('a crash during the first activity, whose scheduling waits for its result, replays to the same call', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const first = startWorkerProcess(1);
  await first.printed('ready');
  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start('crashable', 2, { id: 'crash-first' });
  await first.printed('holding step 1');
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  // Nothing but the start is durable: the first activity_scheduled was to go with its result.
  expect((await client.history('crash-first')).events.map((e) => e.type)).toEqual(['workflow_started']);

  const second = await workerInThisProcess();
  expect(await handle.result({ timeout: '30s' })).toEqual([1, 2]);
  await second.shutdown();
  // At least once: step 1's result was never recorded, so it ran again; step 2 once.
  expect(await sideEffects(pool, 'crash-first')).toEqual([
    { step: 1, n: 2 },
    { step: 2, n: 1 },
  ]);
  await client.close();
  await pool.end();
});

it('answers an update in flight when its worker is SIGKILLed, once, after another worker takes over', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const first = startWorkerProcess(7);
  await first.printed('ready');
  const client = new Client({ connectionString: db.connectionString });
  await client.start('updatable', undefined, { id: 'crash-update' });
  const answer = client.update('crash-update', 'step', 7, { updateId: 'in-flight', timeout: '60s' });
  await first.printed('holding step 7');
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  // Accepted and durable before its activity started; no outcome yet.
  const types = async () => (await client.history('crash-update')).events.map((e) => e.type);
  expect(await types()).toEqual(['workflow_started', 'update_accepted', 'activity_scheduled']);

  const second = await workerInThisProcess();
  expect(await answer).toBe(70);
  // The same update again: its outcome, not a second run of it.
  expect(await client.update('crash-update', 'step', 7, { updateId: 'in-flight' })).toBe(70);
  await client.signal('crash-update', 'stop');
  expect(await client.result('crash-update', { timeout: '30s' })).toBe('stopped');
  await second.shutdown();
  const recorded = await types();
  expect(recorded.filter((t) => t === 'update_accepted')).toHaveLength(1);
  expect(recorded.filter((t) => t === 'update_completed')).toHaveLength(1);
  // The activity under way at the crash ran again (at least once), the handler's outcome was recorded once.
  expect(await sideEffects(pool, 'crash-update')).toEqual([{ step: 7, n: 2 }]);
  await client.close();
  await pool.end();
});

it('resumes a workflow on another worker after SIGKILL, never re-running a recorded activity', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const first = startWorkerProcess(3);
  await first.printed('ready');

  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start('crashable', 5, { id: 'crash-me' });

  // Kill the worker while step 3 runs: steps 1 and 2 are recorded, step 3 has started.
  await first.printed('holding step 3');
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const recorded = (await client.history('crash-me')).events
    .filter((e) => e.type === 'activity_completed')
    .map((e) => e.cmd);
  expect(recorded).toHaveLength(2);

  const second = await workerInThisProcess();
  expect(await handle.result({ timeout: '30s' })).toEqual([1, 2, 3, 4, 5]);
  await second.shutdown();

  const runs = new Map((await sideEffects(pool, 'crash-me')).map((r) => [r.step, r.n]));
  for (const cmd of recorded)
    expect(runs.get(cmd + 1), `step ${cmd + 1} was recorded before the crash`).toBe(1);
  expect([...runs]).toEqual([
    [1, 1],
    [2, 1],
    [3, 2], // under way at the crash: it ran again
    [4, 1],
    [5, 1],
  ]);
  await client.close();
  await pool.end();
  await (await import('./fixtures/crash-workflow.ts')).closeFixturePool();
});

it('drains on SIGTERM: the running activity finishes and is recorded before the process exits', async () => {
  const pool = new pg.Pool({ connectionString: db.connectionString });
  const worker = startWorkerProcess(1);
  await worker.printed('ready');
  const client = new Client({ connectionString: db.connectionString });
  const handle = await client.start('crashable', 1, { id: 'drain-me' });
  await worker.printed('holding step 1');
  worker.child.kill('SIGTERM');
  await worker.printed('draining');
  worker.child.stdin?.end(); // the activity finishes only now, while the worker drains
  const [code] = await once(worker.child, 'exit');
  expect(code).toBe(0);
  expect(await handle.result({ timeout: '1s' })).toEqual([1]);
  expect(await sideEffects(pool, 'drain-me')).toEqual([{ step: 1, n: 1 }]);
  await client.close();
  await pool.end();
});

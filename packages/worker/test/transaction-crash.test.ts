import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { insertRow, transactional } from './fixtures/transaction-workflow.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
const REPETITIONS = 3; // of each kill point (examples/transfer-exactly-once kills one more)
let pool: pg.Pool;
let client: Client;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: db.connectionString });
  await pool.query('create table app_rows (id serial primary key, workflow_id text not null)');
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await client?.close();
  await pool?.end();
});

/** A worker process that holds its ctx.transaction step at `hold`, and a wait for a line it prints. */
async function workerProcess(hold: 'before-commit' | 'after-commit') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/transaction-worker-main.ts', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: db.connectionString, HOLD: hold },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  const printed = (line: string) =>
    until(() => lines.includes(line), `the worker process to print '${line}'`, 30_000);
  await printed('ready');
  return { child, printed };
}

const rowsOf = async (workflowId: string) =>
  (await pool.query('select id from app_rows where workflow_id = $1', [workflowId])).rows.map((r) => r.id);

it.each(
  Array.from(
    { length: REPETITIONS * 2 },
    (_, i) => [i, i % 2 === 0 ? 'before-commit' : 'after-commit'] as const,
  ),
)(
  'a ctx.transaction step whose worker is SIGKILLed %i (%s) leaves exactly one row once resumed',
  async (i, hold) => {
    const id = `tx-crash-${i}`;
    const first = await workerProcess(hold);
    const handle = await client.start(transactional, undefined, { id });
    await first.printed(hold === 'before-commit' ? 'wrote' : 'committed');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    // Before the commit nothing of the step is durable; after it, its outcome waits in the run's inbox.
    expect(await rowsOf(id)).toHaveLength(hold === 'before-commit' ? 0 : 1);

    const second = await Worker.create({
      connectionString: db.connectionString,
      workflows: { transactional },
      activities: { insertRow },
      handleSignals: false,
    });
    void second.run();
    try {
      const rowId = await handle.result({ timeout: '30s' });
      expect(await rowsOf(id)).toEqual([rowId]);
      const { events } = await client.history(id);
      expect(events.filter((e) => e.type === 'activity_completed')).toMatchObject([{ result: rowId }]);
    } finally {
      await second.shutdown();
    }
  },
  60_000,
);

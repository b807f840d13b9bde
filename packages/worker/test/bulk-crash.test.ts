import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, PostgresStore } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { bulkWaiter } from './fixtures/bulk-workflow.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
const RUNS = 1000;

/** Per run of `bulkWaiter`: how many cancel requests its inbox and its history hold. */
async function cancelsPerRun(store: PostgresStore) {
  const { rows } = await store.pool.query<{ run_id: string; inbox: number; history: number }>(
    `select w.run_id,
            (select count(*)::int from reel.inbox i where i.run_id = w.run_id and i.kind = 'cancel') as inbox,
            (select count(*)::int from reel.history h where h.run_id = w.run_id and h.type = 'cancel_requested') as history
       from reel.workflows w where w.type = 'bulkWaiter'`,
  );
  return rows;
}

it('a bulk cancel of 1,000 runs whose process is SIGKILLed mid-page, then resumed, cancels each run exactly once', async () => {
  const store = new PostgresStore({ connectionString: db.connectionString });
  await store.migrate();
  await store.registerTypes(['bulkWaiter'], new Date());
  const client = new Client({ store });
  // Real starts, in parallel: no worker runs yet, so each run waits in its first state.
  for (let i = 0; i < RUNS; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => client.start('bulkWaiter', undefined, { id: `bulk-${i + j}` })),
    );
  expect(await client.batches.count({ type: 'bulkWaiter', status: 'running' })).toBe(RUNS);

  // The runner process stops in the middle of its fourth page, after 350 runs, and is killed there.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/bulk-cancel-main.ts', import.meta.url))],
    {
      env: { ...process.env, DATABASE_URL: db.connectionString, BATCH_ID: 'recall', STOP_AFTER: '350' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  await until(() => lines.includes('reached 350'), 'the runner process to reach 350 runs', 60_000);
  child.kill('SIGKILL');
  await once(child, 'exit');

  // Three pages are recorded done; the fourth was half applied when the process died.
  const crashed = await client.batches.describe('recall');
  expect(crashed).toMatchObject({ status: 'running', matched: RUNS, done: 300, skipped: 0, pageSize: 100 });
  expect((await cancelsPerRun(store)).filter((r) => r.inbox > 0)).toHaveLength(350);

  // Resumed by another process's client once the dead runner's lease has lapsed: it does the fourth
  // page again, from the cursor of the third, and reaches none of its first 50 runs a second time.
  const resumed = await client.batches.resume('recall');
  expect(resumed).toMatchObject({ status: 'completed', matched: RUNS, done: RUNS, skipped: 0 });
  const inboxes = await cancelsPerRun(store);
  expect(inboxes).toHaveLength(RUNS);
  expect(inboxes.filter((r) => r.inbox !== 1)).toEqual([]);

  // The runs read their cancel requests: one cancel_requested each in history, and they close.
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { bulkWaiter },
    handleSignals: false,
    concurrency: 50,
  });
  void worker.run();
  await until(
    async () => (await client.batches.count({ type: 'bulkWaiter', status: 'cancelled' })) === RUNS,
    'every run to close as cancelled',
    120_000,
  );
  await worker.shutdown();
  const histories = await cancelsPerRun(store);
  expect(histories.filter((r) => r.history !== 1 || r.inbox !== 0)).toEqual([]);
  await client.close();
}, 240_000);

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type BatchFilter, Client, PostgresStore } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { bulkWaiter } from './fixtures/bulk-workflow.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
let store: PostgresStore;
let client: Client;
beforeAll(async () => {
  store = new PostgresStore({ connectionString: db.connectionString });
  await store.migrate();
  await store.registerTypes(['bulkWaiter'], new Date());
  client = new Client({ store });
});
afterAll(() => client.close());

/** Starts `n` runs of `bulkWaiter` in `group`, 100 at a time; no worker runs them yet. */
async function startRuns(group: string, n: number): Promise<BatchFilter> {
  for (let i = 0; i < n; i += 100)
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, (_, j) =>
        client.start('bulkWaiter', undefined, { id: `${group}-${i + j}`, attributes: { group } }),
      ),
    );
  return { type: 'bulkWaiter', status: 'running', attributes: { group } };
}

/** Runs the bulk cancel in a child process, pages of 100, and SIGKILLs it once `stopAfter` runs are reached. */
async function cancelAndKill(batchId: string, filter: BatchFilter, stopAfter: number): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/bulk-cancel-main.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        DATABASE_URL: db.connectionString,
        BATCH_ID: batchId,
        FILTER: JSON.stringify(filter),
        STOP_AFTER: String(stopAfter),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  await until(() => lines.includes(`reached ${stopAfter}`), `the runner to reach ${stopAfter} runs`, 60_000);
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/** Per run of `group`: how many cancel requests its inbox and its history hold. */
async function cancelsPerRun(group: string) {
  const { rows } = await store.pool.query<{ workflow_id: string; inbox: number; history: number }>(
    `select w.workflow_id,
            (select count(*)::int from reel.inbox i where i.run_id = w.run_id and i.kind = 'cancel') as inbox,
            (select count(*)::int from reel.history h where h.run_id = w.run_id and h.type = 'cancel_requested') as history
       from reel.workflows w where w.attributes @> $1`,
    [{ group }],
  );
  return rows;
}

it('a bulk cancel of 1,000 runs whose process is SIGKILLed mid-page is taken over by a worker: each run cancelled exactly once', async () => {
  const filter = await startRuns('crash', 1000);
  expect(await client.batches.count(filter)).toBe(1000);

  // The runner stops in the middle of its fourth page, after 350 runs, and is killed there.
  await cancelAndKill('recall', filter, 350);
  expect(await client.batches.describe('recall')).toMatchObject({
    status: 'running',
    matched: 1000,
    done: 350,
    skipped: 0,
    runner: { owner: expect.any(String) },
  });
  expect((await cancelsPerRun('crash')).filter((r) => r.inbox > 0)).toHaveLength(350);

  // No one resumes it: a worker takes the batch over once the dead runner's lease has lapsed, does
  // the fourth page again from the third's cursor, reaching none of its first 50 runs twice, and
  // the runs read their cancel requests.
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { bulkWaiter },
    handleSignals: false,
    concurrency: 50,
    pollIntervalMs: 100,
  });
  void worker.run();
  await until(
    async () =>
      (await client.batches.describe('recall')).status === 'completed' &&
      (await client.batches.count({ ...filter, status: 'cancelled' })) === 1000,
    'the batch to complete and every run to close as cancelled',
    120_000,
  );
  await worker.shutdown();
  expect(await client.batches.describe('recall')).toMatchObject({ done: 1000, skipped: 0 });
  const runs = await cancelsPerRun('crash');
  expect(runs).toHaveLength(1000);
  expect(runs.filter((r) => r.history !== 1 || r.inbox !== 0)).toEqual([]);
}, 240_000);

it('a batch whose runner was SIGKILLed is resumed by client.batches.resume: each run asked once', async () => {
  const filter = await startRuns('resume', 300);
  await cancelAndKill('resume-me', filter, 150);
  expect(await client.batches.describe('resume-me')).toMatchObject({ status: 'running', done: 150 });

  // Waits for the dead runner's lease to lapse, then goes on from its last page done.
  expect(await client.batches.resume('resume-me')).toMatchObject({
    status: 'completed',
    matched: 300,
    done: 300,
    skipped: 0,
  });
  const runs = await cancelsPerRun('resume');
  expect(runs).toHaveLength(300);
  expect(runs.filter((r) => r.inbox !== 1)).toEqual([]);
}, 120_000);

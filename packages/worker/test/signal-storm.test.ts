import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { collector, stamp } from './fixtures/storm-workflow.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** A worker process; resolves once it serves. */
async function workerProcess(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/storm-worker-main.ts', import.meta.url))],
    { env: { ...process.env, DATABASE_URL: db.connectionString }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  let ready = false;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line === 'ready') ready = true;
  });
  await until(() => ready, 'a worker process to serve');
  return child;
}

const WORKFLOWS = 4;
const SENDERS = 16;
const PER_SENDER = 25; // 400 signals, 100 per workflow
const KILL_EVERY = 60; // accepted signals between two SIGKILLs

it('every accepted signal arrives once, in order per sender, while worker processes are SIGKILLed', async () => {
  const client = new Client({ connectionString: db.connectionString });
  const processes = [await workerProcess(), await workerProcess()];
  const ids = Array.from({ length: WORKFLOWS }, (_, w) => `storm-${w}`);
  const expected = (SENDERS * PER_SENDER) / WORKFLOWS;
  for (const id of ids) await client.start(collector, { expected, got: [] }, { id });

  // Each sender sends its signals one after the other, round-robin over the workflows; after every
  // KILL_EVERY accepted signals, the oldest worker process is killed and a new one started.
  let accepted = 0;
  let killing = Promise.resolve();
  const sent = new Map<string, string[]>(ids.map((id) => [id, []]));
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, s) => {
      for (let i = 0; i < PER_SENDER; i++) {
        const id = ids[(s + i) % WORKFLOWS] as string;
        const item = `s${s}-${i}`;
        await client.signal(id, 'item', item);
        sent.get(id)?.push(item);
        if (++accepted % KILL_EVERY === 0)
          killing = killing.then(async () => {
            processes.shift()?.kill('SIGKILL');
            processes.push(await workerProcess());
          });
      }
    }),
  );
  await killing;

  // The test's own worker joins, so the runs finish however the kills fell.
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { collector },
    activities: { stamp },
    handleSignals: false,
    leaseMs: 1000,
  });
  void worker.run();
  for (const id of ids) {
    const got = (await client.result(id, { timeout: '60s' })) as string[];
    const want = sent.get(id) as string[];
    expect(got).toHaveLength(want.length);
    expect(new Set(got)).toEqual(new Set(want));
    // A sender waits for each send before the next: its signals arrive in the order it sent them.
    for (let s = 0; s < SENDERS; s++) {
      const mine = got.filter((item) => item.startsWith(`s${s}-`));
      expect(mine).toEqual(want.filter((item) => item.startsWith(`s${s}-`)));
    }
  }
  await worker.shutdown();
  await client.close();
}, 120_000);

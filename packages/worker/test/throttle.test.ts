import { Client, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();

async function sync(_ctx: WorkflowContext, input: number) {
  return input;
}

it('concurrent throttled starts from two clients, one handing runs to its worker, make one run with the first input', async () => {
  const worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { sync },
    handleSignals: false,
  });
  void worker.run();
  const local = new Client({ connectionString: db.connectionString, worker });
  const remote = new Client({ connectionString: db.connectionString });
  const throttle = { key: 'account-7', period: '1 minute' };
  const handles = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? local : remote).start(sync, i, { throttle })),
  );

  expect(new Set(handles.map((h) => h.runId)).size).toBe(1);
  const created = handles.filter((h) => h.created);
  expect(created).toHaveLength(1);
  expect(await handles[0]?.result({ timeout: '30s' })).toBe(handles.indexOf(created[0] as never));
  // Still within the period: the closed run is returned, nothing starts.
  expect(await remote.start(sync, 99, { throttle })).toMatchObject({ id: handles[0]?.id, created: false });
  // A period that has passed since that run started: a new run.
  const next = await remote.start(sync, 100, { throttle: { key: 'account-7', period: '1ms' } });
  expect(next.created).toBe(true);
  expect(await next.result({ timeout: '30s' })).toBe(100);
  await Promise.all([local.close(), remote.close()]);
  await worker.shutdown();
}, 60_000);

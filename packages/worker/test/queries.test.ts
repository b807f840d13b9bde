import { Client, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();

async function pack(item: string) {
  await new Promise((r) => setTimeout(r, 300));
  return `packed ${item}`;
}

async function fulfilment(ctx: WorkflowContext, items: string[]) {
  const done: string[] = [];
  ctx.onQuery('progress', () => ({ done, left: items.length - done.length }));
  ctx.onQuery('has', (item: string) => done.includes(`packed ${item}`));
  for (const item of items) done.push(await ctx.activity(pack, item));
  await ctx.signal('close');
  return done;
}

let client: Client;
beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(() => client.close());

const worker = () =>
  Worker.create({
    connectionString: db.connectionString,
    workflows: { fulfilment },
    activities: { pack },
    handleSignals: false,
    pollIntervalMs: 100,
  });

it('answers a query from the worker holding the run, then by replay once it is suspended', async () => {
  const w = await worker();
  void w.run();
  const handle = await client.start(fulfilment, ['a', 'b'], { id: 'q-1' });
  await new Promise((r) => setTimeout(r, 450)); // 'a' packed, 'b' packing: the run is in memory
  expect(await client.query('q-1', 'progress')).toEqual({ done: ['packed a'], left: 1 });
  await new Promise((r) => setTimeout(r, 600)); // both packed; suspended waiting for 'close'
  expect((await handle.describe()).status).toBe('running');
  expect(await client.query('q-1', 'progress')).toEqual({ done: ['packed a', 'packed b'], left: 0 });
  expect(await client.query('q-1', 'has', ['b'])).toBe(true);

  await expect(client.query('q-1', 'nope')).rejects.toMatchObject({
    code: 'REEL_UNKNOWN_QUERY',
    message: expect.stringContaining('progress, has'),
  });
  await expect(client.query('nobody', 'progress')).rejects.toMatchObject({ code: 'REEL_WORKFLOW_NOT_FOUND' });
  await expect(client.query('q-1', '')).rejects.toMatchObject({ code: 'REEL_INVALID_ARGUMENT' });
  await handle.signal('close');
  expect(await handle.result()).toEqual(['packed a', 'packed b']);
  // a closed workflow still answers, by replay
  expect(await client.query('q-1', 'progress')).toEqual({ done: ['packed a', 'packed b'], left: 0 });
  await w.shutdown();

  await expect(client.query('q-1', 'progress')).rejects.toMatchObject({ code: 'REEL_NO_WORKER' });
});

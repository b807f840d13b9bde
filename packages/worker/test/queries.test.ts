import {
  Client,
  PostgresStore,
  type RecordedEvent,
  type StoreListener,
  type WorkflowContext,
} from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { leaseOf, suspendedUntil, until, untilRecorded } from './helpers.ts';

const db = useTestDatabase();

/** Items whose packing has begun; 'b' then waits until the test lets it finish. */
const packing: string[] = [];
let finishB!: () => void;
const bMayFinish = new Promise<void>((resolve) => (finishB = resolve));

async function pack(item: string) {
  packing.push(item);
  if (item === 'b') await bMayFinish;
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

/** Counts history loads: a worker answers a query about a run it does not hold by loading its history. */
class CountingStore extends PostgresStore {
  loads = 0;
  override async loadHistory(runId: string): Promise<RecordedEvent[]> {
    this.loads++;
    return super.loadHistory(runId);
  }
}

let client: Client;
let pool: pg.Pool;
beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
});
afterAll(async () => {
  await client.close();
  await pool.end();
});

it('answers a query from the worker holding the run, then by replay once it is suspended', async () => {
  const store = new CountingStore({ connectionString: db.connectionString });
  const w = await Worker.create({
    store,
    workflows: { fulfilment },
    activities: { pack },
    handleSignals: false,
    pollIntervalMs: 100,
  });
  void w.run();
  const handle = await client.start(fulfilment, ['a', 'b'], { id: 'q-1' });
  // 'a' packed (its result durable before 'b' starts), 'b' packing: the run is in the worker's memory.
  await until(() => packing.includes('b'), "'b' to start packing");
  expect((await leaseOf(pool, handle.runId)).owner).toBe(w.identity);
  const loads = store.loads;
  expect(await client.query('q-1', 'progress')).toEqual({ done: ['packed a'], left: 1 });
  expect(store.loads).toBe(loads); // answered from memory

  finishB();
  await untilRecorded(client, 'q-1', 'activity_completed', 2);
  await until(() => suspendedUntil(pool, handle.runId, null), "the run to wait for 'close', suspended");
  expect(await client.query('q-1', 'progress')).toEqual({ done: ['packed a', 'packed b'], left: 0 });
  expect(store.loads).toBe(loads + 1); // answered by replay
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
  await store.close();

  await expect(client.query('q-1', 'progress')).rejects.toMatchObject({ code: 'REEL_NO_WORKER' });
});

it('answers a query posted while it was not listening, once it listens again', async () => {
  /** Hears no query until `hearAgain`, which then says, as a reconnected listener does, that anything may have changed. */
  class DeafStore extends PostgresStore {
    private deaf = true;
    private readonly listeners: StoreListener[] = [];
    override listen(listener: StoreListener) {
      this.listeners.push(listener);
      return super.listen({ ...listener, onQuery: (...args) => !this.deaf && listener.onQuery?.(...args) });
    }
    hearAgain() {
      this.deaf = false;
      for (const l of this.listeners) l.onWake?.('');
    }
  }
  const store = new DeafStore({ connectionString: db.connectionString });
  const w = await Worker.create({
    store,
    workflows: { fulfilment },
    activities: { pack },
    handleSignals: false,
  });
  void w.run();
  try {
    const handle = await client.start(fulfilment, [], { id: 'q-deaf' });
    await until(() => suspendedUntil(pool, handle.runId, null), "the run to wait for 'close', suspended");
    const answer = client.query('q-deaf', 'progress', [], { timeout: '5s' });
    await until(
      async () => (await pool.query(`select 1 from reel.queries where claimed_by is null`)).rowCount === 1,
      'the query to be posted, unheard',
    );
    store.hearAgain();
    expect(await answer).toEqual({ done: [], left: 0 });
  } finally {
    await w.shutdown();
    await store.close();
  }
});

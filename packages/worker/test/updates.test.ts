import { Client, PostgresStore, type WorkflowContext, type WorkflowFn } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { eventsOf, suspendedUntil, until } from './helpers.ts';

const db = useTestDatabase();

/** Every pricing the activity did, by sku: an update's handler runs it once per accepted update. */
const priced: string[] = [];
async function price(sku: string) {
  priced.push(sku);
  return sku.length * 10;
}

/** A cart: `add` prices an item with an activity and answers the new total; a sku is required. */
async function cart(ctx: WorkflowContext) {
  let total = 0;
  ctx.onUpdate(
    'add',
    async (sku: string) => {
      if (sku === 'gone') throw new Error('sku gone is no longer sold');
      total += await ctx.activity(price, sku);
      return total;
    },
    {
      validate: (sku) => {
        if (typeof sku !== 'string' || sku === '') throw new Error('an item needs a sku');
      },
    },
  );
  await ctx.signal('checkout');
  return total;
}

/** Registers its handler only once `open` is signalled: updates sent before wait for it. */
async function lateCart(ctx: WorkflowContext) {
  await ctx.signal('open');
  const items: string[] = [];
  ctx.onUpdate('add', (sku: string) => {
    items.push(sku);
    return items.length;
  });
  await ctx.signal('checkout');
  return items;
}

/** Lets its `enter` update in only once the signal `open` has come; stays held in memory meanwhile. */
async function gate(ctx: WorkflowContext) {
  let open = false;
  ctx.onSignal('open', () => {
    open = true;
  });
  ctx.onUpdate('enter', (who: string) => `welcome ${who}`, {
    validate: () => {
      if (!open) throw new Error('the gate is closed');
    },
  });
  await ctx.waitFor(() => false, { timeout: '1 minute' });
}

/** Greets whoever enters until the signal `close` comes (or a minute passes), then returns. */
async function doorman(ctx: WorkflowContext) {
  ctx.onUpdate('enter', (who: string) => `welcome ${who}`);
  await ctx.signal('close', { timeout: '1 minute' });
  return 'closed';
}

/** A store whose inbox reads a test can hold, so that input sent meanwhile is read in one batch. */
class HeldInboxStore extends PostgresStore {
  held: Promise<void> | undefined;
  reading = 0;
  override async readInbox(runId: string) {
    this.reading++;
    while (this.held) await this.held;
    return super.readInbox(runId);
  }
}

let client: Client;
let pool: pg.Pool;
let worker: Worker;
beforeAll(async () => {
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows: { cart, lateCart },
    activities: { price },
    handleSignals: false,
    pollIntervalMs: 100,
  });
  void worker.run();
});
afterAll(async () => {
  await worker.shutdown();
  await client.close();
  await pool.end();
});

const historyTypes = async (id: string) => (await client.history(id)).events.map((e) => e.type);

it("returns the handler's result once its activity has run, recorded between update_accepted and update_completed", async () => {
  await client.start(cart, undefined, { id: 'up-1' });
  expect(await client.update('up-1', 'add', 'book')).toBe(40);
  expect(await client.update('up-1', 'add', 'pen')).toBe(70);
  const types = await historyTypes('up-1');
  expect(types.slice(1)).toEqual([
    'update_accepted',
    'activity_scheduled',
    'activity_completed',
    'update_completed',
    'update_accepted',
    'activity_scheduled',
    'activity_completed',
    'update_completed',
  ]);
  await client.signal('up-1', 'checkout');
  expect(await client.result('up-1')).toBe(70);
});

it('rejects through the validator without writing anything to history', async () => {
  const handle = await client.start(cart, undefined, { id: 'up-2' });
  await until(() => suspendedUntil(pool, handle.runId, null), "the run to wait for 'checkout'");
  const before = await client.history('up-2');
  await expect(client.update('up-2', 'add', '')).rejects.toMatchObject({
    code: 'REEL_UPDATE_REJECTED',
    message: 'an item needs a sku',
  });
  expect((await client.history('up-2')).events).toEqual(before.events);
  // the rejected item is consumed: the inbox is empty, and the run still takes updates
  await until(
    async () => (await pool.query("select 1 from reel.inbox where kind = 'update'")).rowCount === 0,
    'the inbox to empty',
  );
  expect(await client.update('up-2', 'add', 'ink')).toBe(30);
});

it('answers a second update with the same id with the first outcome, running the handler once', async () => {
  await client.start(cart, undefined, { id: 'up-3' });
  const [a, b] = await Promise.all([
    client.update('up-3', 'add', 'lamp', { updateId: 'req-1' }),
    client.update('up-3', 'add', 'lamp', { updateId: 'req-1' }),
  ]);
  expect([a, b]).toEqual([40, 40]);
  // after it completed, too: the first outcome, not a new run of the handler (nor its new argument)
  expect(await client.update('up-3', 'add', 'chair', { updateId: 'req-1' })).toBe(40);
  expect(priced.filter((s) => s === 'lamp')).toHaveLength(1);
  expect(priced).not.toContain('chair');
  expect(await eventsOf(client, 'up-3', 'update_accepted')).toHaveLength(1);
  // a rejection is the outcome of its id too
  await expect(client.update('up-3', 'add', '', { updateId: 'req-2' })).rejects.toMatchObject({
    code: 'REEL_UPDATE_REJECTED',
  });
  await expect(client.update('up-3', 'add', 'desk', { updateId: 'req-2' })).rejects.toMatchObject({
    code: 'REEL_UPDATE_REJECTED',
  });
});

it('fails the update, not the run, when the handler throws', async () => {
  await client.start(cart, undefined, { id: 'up-4' });
  await expect(client.update('up-4', 'add', 'gone')).rejects.toMatchObject({
    code: 'REEL_UPDATE_FAILED',
    message: 'sku gone is no longer sold',
  });
  expect(await client.update('up-4', 'add', 'cup')).toBe(30);
});

it('holds an update sent before its handler is registered until the code registers it', async () => {
  const handle = await client.start(lateCart, undefined, { id: 'up-5' });
  await until(() => suspendedUntil(pool, handle.runId, null), "the run to wait for 'open'");
  const answer = client.update('up-5', 'add', 'early');
  await until(
    async () => (await pool.query("select 1 from reel.inbox where kind = 'update'")).rowCount === 1,
    'the update to be sent',
  );
  expect(await historyTypes('up-5')).not.toContain('update_accepted');
  await client.signal('up-5', 'open');
  expect(await answer).toBe(1);
  await client.signal('up-5', 'checkout');
  expect(await client.result('up-5')).toEqual(['early']);
});

it('refuses an update of a closed workflow, and of an unknown one, with a clear code', async () => {
  await client.start(cart, undefined, { id: 'up-6' });
  await client.signal('up-6', 'checkout');
  await client.result('up-6');
  await expect(client.update('up-6', 'add', 'late')).rejects.toMatchObject({ code: 'REEL_WORKFLOW_CLOSED' });
  await expect(client.update('up-none', 'add', 'x')).rejects.toMatchObject({
    code: 'REEL_WORKFLOW_NOT_FOUND',
  });
  await expect(client.update('up-6', '', 'x')).rejects.toMatchObject({ code: 'REEL_INVALID_ARGUMENT' });
});

it('tells the caller when the run closes before the update could run', async () => {
  const handle = await client.start(lateCart, undefined, { id: 'up-7' });
  await until(() => suspendedUntil(pool, handle.runId, null), "the run to wait for 'open'");
  const answer = client.update('up-7', 'add', 'never').catch((err: unknown) => err);
  await until(
    async () => (await pool.query("select 1 from reel.inbox where kind = 'update'")).rowCount === 1,
    'the update to be sent',
  );
  await client.terminate('up-7');
  expect(await answer).toMatchObject({
    code: 'REEL_WORKFLOW_CLOSED',
    message: expect.stringContaining('terminated'),
  });
});

it('validates an update against the state the input read with it, and before it, made', async () => {
  const { answer, stop } = await signalAndUpdateInOneRead(gate, 'up-8', 'open', 'enter');
  // one read took both: the signal reached the code before the validator ran
  expect(await answer).toBe('welcome Ada');
  await stop();
});

it('an update read with the signal that ends the run is answered closed, and goes with the run', async () => {
  const { answer, handle, stop } = await signalAndUpdateInOneRead(doorman, 'up-9', 'close', 'enter');
  // The signal, read first, ended the code before the update reached it.
  expect(await answer).toMatchObject({ code: 'REEL_WORKFLOW_CLOSED' });
  expect(await handle.result()).toBe('closed');
  const { rowCount } = await pool.query('select 1 from reel.inbox where run_id = $1', [handle.runId]);
  expect(rowCount).toBe(0);
  await stop();
});

/**
 * Starts `workflow` as `id` on a worker of its own whose inbox reads the test holds; once the run waits
 * in the worker's memory (a timer recorded), sends the signal `signal` and then the update `update`
 * ('Ada'), so that one read of the inbox takes both. The update's answer is its result or its error.
 */
async function signalAndUpdateInOneRead(workflow: WorkflowFn, id: string, signal: string, update: string) {
  const store = new HeldInboxStore({ connectionString: db.connectionString });
  const w = await Worker.create({
    store,
    workflows: { [workflow.name]: workflow },
    stickyMs: 120_000,
    handleSignals: false,
  });
  void w.run();
  const handle = await client.start(workflow, undefined, { id });
  await until(async () => (await eventsOf(client, id, 'timer_started')).length === 1, 'the run to wait');
  let release!: () => void;
  store.held = new Promise((resolve) => (release = resolve));
  const reads = store.reading;
  await client.signal(id, signal);
  const answer = client.update(id, update, 'Ada').catch((err: unknown) => err);
  await until(
    async () =>
      (await pool.query('select 1 from reel.inbox where run_id = $1', [handle.runId])).rowCount === 2,
    'both inputs in the inbox',
  );
  await until(() => store.reading > reads, 'the worker to read its inbox');
  store.held = undefined;
  release();
  const stop = async () => {
    await w.shutdown();
    await store.close();
  };
  return { answer, handle, stop };
}

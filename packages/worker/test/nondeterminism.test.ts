import { Client, PostgresStore, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIRST_PAGE } from '../src/driver-history.ts';
import { Worker } from '../src/index.ts';
import { until, untilRecorded } from './helpers.ts';

const db = useTestDatabase();

async function reserve(item: string) {
  return `reserved ${item}`;
}
async function charge(item: string) {
  return `charged ${item}`;
}
const activities = { reserve, charge };

/** The code as first deployed: reserve, wait for approval, charge. */
const v1 = {
  checkout: async function checkout(ctx: WorkflowContext, item: string) {
    const reserved = await ctx.activity(reserve, item);
    await ctx.signal('approve');
    return [reserved, await ctx.activity(charge, item)];
  },
};
/** A deploy that swaps the order of the commands: it cannot replay v1's history. */
const v2 = {
  checkout: async function checkout(ctx: WorkflowContext, item: string) {
    const charged = await ctx.activity(charge, item);
    await ctx.signal('approve');
    return [await ctx.activity(reserve, item), charged];
  },
};

let client: Client;
beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(() => client.close());

const options = { activities, handleSignals: false, pollIntervalMs: 100 } as const;

it('parks a workflow whose new code issues commands in another order, then resumes it on fixed code', async () => {
  const first = await Worker.create({ connectionString: db.connectionString, workflows: v1, ...options });
  void first.run();
  const handle = await client.start(v1.checkout, 'book', { id: 'checkout-1' });
  await untilRecorded(client, 'checkout-1', 'activity_completed');
  await first.shutdown();
  const recorded = (await client.history('checkout-1')).events;

  const bad = await Worker.create({ connectionString: db.connectionString, workflows: v2, ...options });
  void bad.run();
  await handle.signal('approve');
  await until(async () => (await handle.describe()).status === 'parked', 'the run to be parked');
  const parked = await handle.describe();
  expect(parked.parked?.error).toMatchObject({ name: 'NonDeterminismError', code: 'REEL_NONDETERMINISM' });
  expect(parked.parked?.error.message).toContain('checkout-1');
  expect(parked.parked?.error.message).toContain(
    "issues activity 'charge' but history recorded activity 'reserve'",
  );
  expect(parked.parked?.error.details).toEqual({
    seq: 0,
    expected: { kind: 'activity', name: 'charge' },
    recorded: { kind: 'activity', name: 'reserve' },
  });
  expect(parked.parked?.retryAt).toBeInstanceOf(Date);
  expect(parked.error).toBeUndefined();
  expect((await client.history('checkout-1')).events).toEqual(recorded); // nothing written, nothing lost
  await bad.shutdown();

  // The fixed deploy picks it up on the next retry and finishes it, signal included.
  const fixed = await Worker.create({ connectionString: db.connectionString, workflows: v1, ...options });
  void fixed.run();
  expect(await handle.result({ timeout: '20s' })).toEqual(['reserved book', 'charged book']);
  await fixed.shutdown();
});

/**
 * Reserves `n` items at once, then runs `last` on one more: a history longer than the first page a
 * worker loads. `bulkOf(charge)` differs from `bulkOf(reserve)` after that page.
 */
function bulkOf(last: typeof reserve) {
  return {
    bulk: async function bulk(ctx: WorkflowContext, n: number) {
      await Promise.all(Array.from({ length: n }, (_, i) => ctx.activity(reserve, `item ${i}`)));
      const done = await ctx.activity(last, 'last');
      await ctx.signal('approve');
      return done;
    },
  };
}
const bulkV1 = bulkOf(reserve);
const bulkV2 = bulkOf(charge);

/** Records the pages of history it is asked for. */
class PagesStore extends PostgresStore {
  readonly pages: [number | undefined, number | undefined][] = [];
  override loadHistory(runId: string, afterSeq?: number, beforeSeq?: number) {
    this.pages.push([afterSeq, beforeSeq]);
    return super.loadHistory(runId, afterSeq, beforeSeq);
  }
}

it('replays a history longer than a page as it loads, and parks it on a difference found in a later page', async () => {
  const n = FIRST_PAGE / 2 + 50;
  const first = await Worker.create({ connectionString: db.connectionString, workflows: bulkV1, ...options });
  void first.run();
  const handle = await client.start(bulkV1.bulk, n, { id: 'bulk-1' });
  await untilRecorded(client, 'bulk-1', 'activity_completed', n + 1);
  await first.shutdown();
  const recorded = (await client.history('bulk-1')).events;
  expect(recorded.length).toBeGreaterThan(FIRST_PAGE);

  const store = new PagesStore({ connectionString: db.connectionString });
  const bad = await Worker.create({ store, workflows: bulkV2, ...options });
  void bad.run();
  await handle.signal('approve');
  await until(async () => (await handle.describe()).status === 'parked', 'the run to be parked');
  expect(store.pages).toEqual([
    [undefined, FIRST_PAGE],
    [FIRST_PAGE - 1, 3 * FIRST_PAGE],
  ]);
  expect((await handle.describe()).parked?.error.details).toEqual({
    seq: n,
    expected: { kind: 'activity', name: 'charge' },
    recorded: { kind: 'activity', name: 'reserve' },
  });
  expect((await client.history('bulk-1')).events).toEqual(recorded);
  await bad.shutdown();
  await store.close();

  const fixed = await Worker.create({ connectionString: db.connectionString, workflows: bulkV1, ...options });
  void fixed.run();
  expect(await handle.result({ timeout: '20s' })).toBe('reserved last');
  await fixed.shutdown();
});

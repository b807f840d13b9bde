import { Client, PostgresStore, type WorkflowContext } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';

const db = useTestDatabase();

/** A store that counts history loads. */
class CountingStore extends PostgresStore {
  loads = 0;
  override async loadHistory(runId: string) {
    this.loads++;
    return super.loadHistory(runId);
  }
}

async function tally(ctx: WorkflowContext) {
  let seen = 0;
  ctx.onQuery('seen', () => seen);
  for (;;) {
    await ctx.signal('note');
    seen++;
  }
}

let store: CountingStore;
let client: Client;
beforeAll(() => {
  store = new CountingStore({ connectionString: db.connectionString });
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await client.close();
  await store.close();
});

/** Resolves once a worker has run the code and let the run go: it waits for a signal, suspended. */
async function suspended(runId: string, historyLength: number): Promise<void> {
  for (;;) {
    const { rows } = await store.pool.query(
      'select lease_owner, history_length, fencing_token from reel.workflows where run_id = $1',
      [runId],
    );
    const row = rows[0];
    if (row.fencing_token > 0 && row.lease_owner === null && row.history_length === historyLength) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('answers repeated queries to a run no worker holds from one replay, until its history grows', async () => {
  const worker = await Worker.create({ store, workflows: { tally }, handleSignals: false, stickyMs: 0 });
  void worker.run();
  const handle = await client.start(tally, undefined, { id: 'tally-1' });
  const { runId } = await handle.describe();
  await suspended(runId, 1);
  const before = store.loads;
  expect(await client.query('tally-1', 'seen')).toBe(0);
  expect(await client.query('tally-1', 'seen')).toBe(0);
  expect(store.loads - before).toBe(1);

  await handle.signal('note', 'a');
  await suspended(runId, 2);
  const afterSignal = store.loads;
  expect(await client.query('tally-1', 'seen')).toBe(1);
  expect(store.loads - afterSignal).toBe(1);
  await worker.shutdown();
});

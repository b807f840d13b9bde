import { randomUUID } from 'node:crypto';
import { PostgresStore } from '@reel/sdk';
import { expect, test } from 'vitest';
import { runsOfOrphanHistory } from '../src/simulator/store-rows.ts';
import { useTestDatabase } from '../src/test-database.ts';

const db = useTestDatabase();

test("the simulator's Postgres check finds a history whose run is gone", async () => {
  const store = new PostgresStore({ connectionString: db.connectionString });
  try {
    await store.migrate();
    const now = new Date();
    await store.registerTypes(['t'], now);
    const start = (workflowId: string) =>
      store.start({ workflowId, runId: randomUUID(), type: 't', input: null, now });
    const { runId } = await start('orphaned');
    await start('kept');
    expect(await runsOfOrphanHistory(store.pool)).toEqual([]);

    // Nothing in Postgres ties history to its run: deleting the run alone leaves its history behind.
    await store.pool.query('delete from reel.workflows where run_id = $1', [runId]);
    expect(await runsOfOrphanHistory(store.pool)).toEqual([runId]);
  } finally {
    await store.close();
  }
});

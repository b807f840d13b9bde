import type { PostgresStore } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { activities, openAccounts, transfer, workflows } from './workflows.ts';

// A ctx.transaction step needs a database to run in: on the default in-memory store the run is
// parked and result() says how to test it; createTestEnv({ store: 'postgres' }) runs it on the test
// database, with the virtual clock as usual. The database is this file's own, on the server the
// test run shares (DATABASE_URL, else one embedded Postgres for the whole run).
const db = useTestDatabase();

it('tells how to test a ctx.transaction step on the in-memory store', async () => {
  await using env = await createTestEnv({ workflows, activities });
  const handle = await env.client.start(transfer, { from: 'alice', to: 'bob', cents: 100 });
  await expect(handle.result()).rejects.toMatchObject({
    code: 'REEL_TRANSACTION_UNSUPPORTED',
    message: expect.stringContaining("store: 'postgres'"),
  });
});

it("books a transfer once and refuses an overdraft, on the test environment's Postgres", async () => {
  await using env = await createTestEnv({
    workflows,
    activities,
    store: 'postgres',
    connectionString: db.connectionString,
  });
  const pool = (env.store as PostgresStore).pool;
  const opened = await env.client.start(openAccounts, { alice: 10_000, bob: 2_500 });
  expect(await opened.result()).toEqual({ alice: 10_000, bob: 2_500 });

  const booked = await env.client.start(transfer, { from: 'alice', to: 'bob', cents: 2_500 }, { id: 't-1' });
  expect(await booked.result()).toEqual({ status: 'booked', balances: { alice: 7_500, bob: 5_000 } });

  const overdraft = await env.client.start(
    transfer,
    { from: 'bob', to: 'alice', cents: 9_999 },
    { id: 't-2' },
  );
  expect(await overdraft.result()).toEqual({
    status: 'refused',
    reason: 'Account bob holds less than 9999 cents.',
  });
  const { events } = await env.client.history('t-2');
  expect(events.filter((e) => e.type === 'activity_failed')).toMatchObject([{ attempts: 1 }]); // not retried

  expect((await pool.query('select id, cents from accounts order by id')).rows).toEqual([
    { id: 'alice', cents: 7_500 },
    { id: 'bob', cents: 5_000 },
  ]);
  expect((await pool.query('select transfer_id, cents from ledger')).rows).toEqual([
    { transfer_id: 't-1', cents: 2_500 },
  ]);
});

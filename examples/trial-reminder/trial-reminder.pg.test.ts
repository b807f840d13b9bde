import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accounts, outbox } from './activities.ts';
import { activities, trialReminder, workflows } from './workflows.ts';

// The main path on a real Postgres with a real worker, with short waits; trial-reminder.test.ts
// covers every path with the real ones, on a virtual clock.
const db = useTestDatabase();
let worker: Worker;
let client: Client;

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities,
    handleSignals: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
});

afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
});

it('sends the welcome and the tips, then converts a user with a card once the trial ends', async () => {
  accounts.set('pg-1', { plan: 'trial', card: '4242' });
  const endsAt = new Date(Date.now() + 1_500).toISOString();
  const handle = await client.start(
    trialReminder,
    { userId: 'pg-1', email: 'pg-1@example.com', endsAt, tipsAfter: '300ms' },
    { id: 'trial-pg-1' },
  );

  expect(await handle.result()).toEqual({ status: 'converted' });
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(endsAt));
  expect(accounts.get('pg-1')?.plan).toBe('pro');
  expect(outbox.filter((m) => m.to === 'pg-1@example.com').map((m) => m.template)).toEqual([
    'welcome',
    'tips',
    'welcome-to-pro',
  ]);
});

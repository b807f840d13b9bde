import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { accounts, outbox } from './activities.ts';
import { activities, trialReminder, workflows } from './workflows.ts';

// The main path on a real Postgres with a real worker, with short waits; trial-reminder.test.ts
// covers every path with the real ones, on a virtual clock.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('sends the welcome and the tips, then converts a user with a card once the trial ends', async () => {
  accounts.set('pg-1', { plan: 'trial', card: '4242' });
  const endsAt = new Date(Date.now() + 1_500).toISOString();
  const handle = await reel.client.start(
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

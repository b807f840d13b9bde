import { CancelledError } from '@reel/sdk';
import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { delivered } from './activities.ts';
import { activities, bulkEmail, workflows } from './workflows.ts';

// On a real Postgres with a real worker: a campaign that continues as new, and one stopped by a
// cancel; bulk-emailer.test.ts covers the other paths.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

/** How many addresses the fake provider delivered `campaignId` to. */
const deliveredFor = (campaignId: string) =>
  [...delivered].filter((d) => d.startsWith(`${campaignId}:`)).length;

it('sends a campaign over several runs and counts what was sent and what bounced', async () => {
  const handle = await reel.client.start(
    bulkEmail,
    { id: 'pg-1', listId: 'demo-200', pageSize: 50, pagesPerRun: 2 },
    { id: 'campaign-pg-1' },
  );

  expect(await handle.result()).toMatchObject({ cursor: 200, sent: 196, failed: 4, runs: 2 });
  expect(deliveredFor('pg-1')).toBe(196);
  const { items } = await reel.client.list({ type: 'bulkEmail' });
  expect(items.filter((r) => r.workflowId === 'campaign-pg-1').map((r) => r.status)).toEqual([
    'completed',
    'continued',
  ]);
});

it('stops a campaign that is cancelled halfway', async () => {
  const handle = await reel.client.start(
    bulkEmail,
    { id: 'pg-2', listId: 'demo-5000', pageSize: 50, concurrency: 5 },
    { id: 'campaign-pg-2' },
  );
  const stopped = expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
  await expect.poll(() => deliveredFor('pg-2'), { interval: 10 }).toBeGreaterThan(0);
  await handle.cancel('wrong subject');

  await stopped;
  expect(deliveredFor('pg-2')).toBeLessThan(100); // the page it was on, and no further
});

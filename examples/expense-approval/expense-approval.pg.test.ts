import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { payouts } from './activities.ts';
import { activities, expenseApproval, workflows } from './workflows.ts';

// The main path on a real Postgres with a real worker; expense-approval.test.ts covers every path.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('pays an expense once the manager approves it', async () => {
  const expense = {
    id: 'pg-1',
    employee: 'ada@example.com',
    manager: 'grace@example.com',
    cents: 4_000,
    description: 'a taxi',
  };
  const handle = await reel.client.start(expenseApproval, expense, { id: 'expense-pg-1' });
  await handle.signal('decision', { approved: true, by: 'grace' });

  expect(await handle.result()).toEqual({ status: 'approved', by: 'grace', payoutId: 'payout_pg-1' });
  expect(payouts.get('payout_pg-1')).toEqual({ employee: 'ada@example.com', cents: 4_000 });
});

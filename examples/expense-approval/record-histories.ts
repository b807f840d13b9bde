// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-expense-approval record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { activities, type Decision, type Expense, expenseApproval, workflows } from './workflows.ts';

const expense = (id: string): Expense => ({
  id,
  employee: 'ada@example.com',
  manager: 'grace@example.com',
  cents: 12_050,
  description: 'a train ticket',
});

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, Decision | undefined][] = [
  ['approved', { approved: true, by: 'grace' }],
  ['rejected', { approved: false, by: 'grace', reason: 'not a business trip' }],
  ['expired', undefined],
];
for (const [name, decision] of scenarios) {
  const handle = await env.client.start(expenseApproval, expense(name), { id: `expense-${name}` });
  await env.sleep('1 day');
  if (decision) await handle.signal('decision', decision);
  await handle.result();
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

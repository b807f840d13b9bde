// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-trial-reminder record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { accounts } from './activities.ts';
import { activities, trialReminder, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, string | undefined][] = [
  ['converted', '4242'],
  ['reminded', undefined],
];
for (const [name, card] of scenarios) {
  accounts.set(name, { plan: 'trial', card });
  const input = { userId: name, email: `${name}@example.com`, endsAt: '2026-01-19T00:00:00Z' };
  const handle = await env.client.start(trialReminder, input, { id: `trial-${name}` });
  await handle.result();
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

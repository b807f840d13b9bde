// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-dashboard-builder record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { notificationService } from './activities.ts';
import { activities, buildDashboard, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, string, boolean][] = [
  ['rendered', 'u1', false],
  ['without-notifications', 'u1', true],
  ['unknown-user', 'nobody', false],
];
for (const [name, userId, notificationsDown] of scenarios) {
  notificationService.down = notificationsDown;
  const handle = await env.client.start(buildDashboard, userId, { id: `dashboard-${name}` });
  await handle.result().catch(() => undefined);
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

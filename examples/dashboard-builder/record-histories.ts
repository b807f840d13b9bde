// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-dashboard-builder record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { writeFile } from 'node:fs/promises';
import { createTestEnv } from '@reel/testing';
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
  const history = await env.client.history(handle.id);
  await writeFile(
    new URL(`./histories/${name}.json`, import.meta.url),
    `${JSON.stringify(history, null, 2)}\n`,
  );
  console.log(`recorded histories/${name}.json (${history.events.length} events)`);
}

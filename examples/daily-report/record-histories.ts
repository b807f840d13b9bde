// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-daily-report record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { dailyReportSchedule } from './schedule.ts';
import { activities, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T12:00:00Z' });
await env.client.schedules.create(dailyReportSchedule(['ops@example.com', 'gone@invalid.example']));
await env.sleep('1 day'); // the tick of 09:00 in New York

const { items } = await env.client.list({ type: 'dailyReport' });
const [run] = items;
if (!run) throw new Error('The schedule did not fire.');
const events = await recordHistory(
  env.client,
  run.workflowId,
  new URL('./histories/scheduled.json', import.meta.url),
);
console.log(`recorded histories/scheduled.json (${events} events) from ${run.workflowId}`);

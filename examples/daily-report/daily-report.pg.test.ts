import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deliveries } from './activities.ts';
import { dailyReportSchedule } from './schedule.ts';
import { activities, dailyReport, workflows } from './workflows.ts';

// On a real Postgres with a real worker: the schedule is stored with its next 09:00 in New York,
// and a run triggered from it reports and delivers. daily-report.test.ts lets the days pass.
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

it('stores the schedule for 09:00 in New York, and a triggered run sends the report', async () => {
  const schedule = await client.schedules.create(dailyReportSchedule(['pg-ops@example.com']));
  const next = schedule.nextFireAt as Date;
  const inNewYork = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  expect(inNewYork.format(next)).toBe('09:00');
  expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);

  const handle = await client.schedules.trigger('daily-report', dailyReport);
  const report = await handle.result(); // a ReportResult: the handle is typed by the schedule's workflow
  expect(report).toMatchObject({ delivered: 1, undeliverable: [] });
  expect(deliveries).toContainEqual({ to: 'pg-ops@example.com', url: report.url });
  expect((await client.schedules.describe('daily-report')).recentRuns[0]?.workflowId).toBe(handle.id);
});

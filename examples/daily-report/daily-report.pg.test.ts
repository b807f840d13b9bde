import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { deliveries } from './activities.ts';
import { dailyReportSchedule } from './schedule.ts';
import { activities, dailyReport, workflows } from './workflows.ts';

// On a real Postgres with a real worker: the schedule is stored with its next 09:00 in New York,
// and a run triggered from it reports and delivers. daily-report.test.ts lets the days pass.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('stores the schedule for 09:00 in New York, and a triggered run sends the report', async () => {
  const schedule = await reel.client.schedules.create(dailyReportSchedule(['pg-ops@example.com']));
  const next = schedule.nextFireAt as Date;
  const inNewYork = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  expect(inNewYork.format(next)).toBe('09:00');
  expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);

  const handle = await reel.client.schedules.trigger('daily-report', dailyReport);
  const report = await handle.result(); // a ReportResult: the handle is typed by the schedule's workflow
  expect(report).toMatchObject({ delivered: 1, undeliverable: [] });
  expect(deliveries).toContainEqual({ to: 'pg-ops@example.com', url: report.url });
  expect((await reel.client.schedules.describe('daily-report')).recentRuns[0]?.workflowId).toBe(handle.id);
});

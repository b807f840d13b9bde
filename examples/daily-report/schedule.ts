import type { ScheduleOptions } from '@reel/sdk';
import { dailyReport } from './workflows.ts';

/** The time zone the report is due in, and reports on. */
export const TIMEZONE = 'America/New_York';

/**
 * The schedule: every day at 09:00 in New York, summer and winter (13:00 UTC in summer, 14:00 in
 * winter). `overlap: 'skip'`: a tick that comes while yesterday's run is still open is dropped.
 * Create it once, at deploy time: `client.schedules.create(dailyReportSchedule([...]))`.
 */
export function dailyReportSchedule(recipients: string[]): ScheduleOptions<typeof dailyReport> {
  return {
    id: 'daily-report',
    workflow: dailyReport,
    cron: '0 9 * * *',
    timezone: TIMEZONE,
    input: { recipients, timezone: TIMEZONE },
    overlap: 'skip',
  };
}

import { ActivityFailure, type WorkflowContext } from '@reel/sdk';
import { deliverReport, gatherMetrics, renderReport } from './activities.ts';

/** The workflow input, the same for every run of the schedule (see schedule.ts). */
export interface ReportInput {
  recipients: string[];
  /** The time zone the report's date is read in: the schedule's. */
  timezone: string;
}

export interface ReportResult {
  /** The day reported on, in `timezone`: '2026-03-09'. */
  date: string;
  url: string;
  delivered: number;
  undeliverable: string[];
}

/**
 * Generates the report of the day and sends its link to every recipient. A schedule starts it
 * (schedule.ts); started by hand, it reports on the day it runs. The date comes from `ctx.now()`,
 * the time of the tick, so a run replayed days later still reports on its own day.
 */
export async function dailyReport(ctx: WorkflowContext, input: ReportInput): Promise<ReportResult> {
  // 'en-CA' formats as YYYY-MM-DD.
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: input.timezone }).format(ctx.now());
  const metrics = await ctx.activity(gatherMetrics, date);
  // A setting of the deployment, read once and recorded: a run replayed after it changed (a worker
  // restarted with another value) still renders as it began.
  const layout = await ctx.sideEffect(() => process.env.REPORT_LAYOUT ?? 'summary');
  const url = await ctx.activity(renderReport, date, metrics, layout);
  const sent = await ctx.map(input.recipients, (to) => ctx.activity(deliverReport, to, url), {
    concurrency: 5,
    onError: 'continue',
  });
  const undeliverable: string[] = [];
  for (const [i, outcome] of sent.entries()) {
    if (outcome.status === 'fulfilled') continue;
    if (!(outcome.reason instanceof ActivityFailure)) throw outcome.reason; // a cancellation
    undeliverable.push(input.recipients[i] as string);
  }
  return { date, url, delivered: sent.length - undeliverable.length, undeliverable };
}

/** What `reel dev --workflows examples/daily-report/workflows.ts` and `reel worker` run. */
export const workflows = { dailyReport };
export const activities = { gatherMetrics, renderReport, deliverReport };

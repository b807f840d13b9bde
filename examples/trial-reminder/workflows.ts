import type { Duration, WorkflowContext } from '@reel/sdk';
import { convertToPro, hasCard, sendEmail } from './activities.ts';

/** The workflow input: plain JSON, so the end date is an ISO string. */
export interface Trial {
  userId: string;
  email: string;
  /** When the trial ends, e.g. '2026-03-16T00:00:00Z'. */
  endsAt: string;
  /** How long after the welcome the tips go out. Default '3 days'. */
  tipsAfter?: Duration;
}

export type TrialResult = { status: 'converted' } | { status: 'reminded' };

/**
 * Welcomes a new trial user, sends tips 3 days later, then sleeps until the trial's end date. On
 * that day it converts a user who saved a card to the pro plan, and reminds one who did not.
 * Both sleeps are durable timers: a trial of 14 days holds no worker for 14 days.
 */
export async function trialReminder(ctx: WorkflowContext, trial: Trial): Promise<TrialResult> {
  if (Number.isNaN(Date.parse(trial.endsAt)))
    throw new Error(`The trial's endsAt '${trial.endsAt}' is not a date.`);

  await ctx.activity(sendEmail, trial.email, 'welcome');
  await ctx.sleep(trial.tipsAfter ?? '3 days');
  await ctx.activity(sendEmail, trial.email, 'tips');
  await ctx.sleepUntil(trial.endsAt); // at once if the trial has already ended

  if (await ctx.activity(hasCard, trial.userId)) {
    await ctx.activity(convertToPro, trial.userId);
    await ctx.activity(sendEmail, trial.email, 'welcome-to-pro');
    return { status: 'converted' };
  }
  await ctx.activity(sendEmail, trial.email, 'trial-ended-add-a-card');
  return { status: 'reminded' };
}

/** What `reel dev --workflows examples/trial-reminder/workflows.ts` and `reel worker` run. */
export const workflows = { trialReminder };
export const activities = { sendEmail, hasCard, convertToPro };

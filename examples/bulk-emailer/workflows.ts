import { ActivityFailure, CancelledError, type WorkflowContext } from '@reel/sdk';
import { fetchRecipients, sendEmail } from './activities.ts';

/** The workflow input: the campaign, and how far earlier runs of it got. */
export interface Campaign {
  id: string;
  listId: string;
  /** Addresses read per page. Default 100. */
  pageSize?: number;
  /** Sends in flight at once. Default 20. */
  concurrency?: number;
  /** Pages sent per run before it continues as new, to keep each history short. Default 10. */
  pagesPerRun?: number;
  /** Carried from run to run by continue-as-new; absent on the first. */
  progress?: Progress;
}

export interface Progress {
  /** Where the next page starts: at the end, the list's length. */
  cursor: number;
  sent: number;
  failed: number;
  /** Why the first sends failed (at most 5, to keep the input small). */
  failures: string[];
  runs: number;
}

/**
 * Sends a campaign to every address of a mailing list, a page at a time: at most `concurrency`
 * sends in flight, and a send that fails for good (a bounce) is counted, not fatal. After
 * `pagesPerRun` pages the run continues as new with its progress, so that a list of a million
 * addresses never makes one history of a million events. The 'progress' query answers at any time.
 */
export async function bulkEmail(ctx: WorkflowContext, campaign: Campaign): Promise<Progress> {
  const { pageSize = 100, concurrency = 20, pagesPerRun = 10 } = campaign;
  const progress: Progress = { cursor: 0, sent: 0, failed: 0, failures: [], runs: 0, ...campaign.progress };
  progress.runs++;
  ctx.onQuery('progress', () => progress);

  for (let page = 0; page < pagesPerRun; page++) {
    const { recipients, next } = await ctx.activity(
      fetchRecipients,
      campaign.listId,
      progress.cursor,
      pageSize,
    );
    const outcomes = await ctx.map(recipients, (to) => ctx.activity(sendEmail, campaign.id, to), {
      concurrency,
      onError: 'continue',
    });
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') {
        progress.sent++;
        continue;
      }
      // A cancelled campaign stops here: the sends cancelled are not failures of the campaign.
      if (outcome.reason instanceof CancelledError) throw outcome.reason;
      progress.failed++;
      if (progress.failures.length < 5) progress.failures.push(messageOf(outcome.reason));
    }
    progress.cursor = next ?? progress.cursor + recipients.length;
    if (next === null) return progress;
  }
  return ctx.continueAsNew({ ...campaign, progress });
}

function messageOf(reason: unknown): string {
  return reason instanceof ActivityFailure ? reason.failure.message : String(reason);
}

/** What `reel dev --workflows examples/bulk-emailer/workflows.ts` and `reel worker` run. */
export const workflows = { bulkEmail };
export const activities = { fetchRecipients, sendEmail };

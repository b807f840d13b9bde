import { type ActivityFn, activityContext, NonRetryableError, replaceActivity } from '@reel/sdk';
import { book, cleanup, note, slow, step, unbook } from './workflows.ts';

/** What the activities of a scenario report to it, and draw from it. */
export interface ActivityHost {
  /** Called by every attempt as it starts; the attempt does nothing before it resolves. */
  attemptStarted(activity: string, key: string): Promise<void>;
  /** How long an attempt works (simulated time). */
  workMs(): number;
  /** How long a slow attempt works: longer than its start-to-close timeout. */
  readonly slowMs: number;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The scenario's activity implementations, registered under the names the workflows use. Their
 * outcome depends only on their arguments and the attempt number, so a plain model can predict it.
 */
export function activityRegistry(host: ActivityHost): Record<string, ActivityFn> {
  const started = async (name: string, key: string) => {
    const { attempt } = activityContext();
    await host.attemptStarted(name, key);
    return attempt;
  };
  return {
    step: replaceActivity(step, async (key: string, failures: number) => {
      const attempt = await started('step', key);
      await pause(host.workMs());
      if (attempt <= failures) throw new Error(`${key} failed on attempt ${attempt}`);
      return `${key}:done`;
    }),
    slow: replaceActivity(slow, async (key: string, slowAttempts: number) => {
      const attempt = await started('slow', key);
      await pause(attempt <= slowAttempts ? host.slowMs : host.workMs());
      return `${key}:done`;
    }),
    book: replaceActivity(book, async (key: string, fail: boolean) => {
      await started('book', key);
      await pause(host.workMs());
      if (fail) throw new NonRetryableError(`no seat for ${key}`);
      return `bk:${key}`;
    }),
    unbook: replaceActivity(unbook, async (id: string) => {
      await started('unbook', id);
      await pause(host.workMs());
      return `ub:${id}`;
    }),
    note: replaceActivity(note, async (key: string) => {
      await started('note', key);
      await pause(host.workMs());
      return `nt:${key}`;
    }),
    cleanup: replaceActivity(cleanup, async (key: string) => {
      await started('cleanup', key);
      await pause(host.workMs());
      return `cl:${key}`;
    }),
  };
}

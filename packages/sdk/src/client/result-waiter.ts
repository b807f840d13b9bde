import { type Duration, toMs } from '../duration.ts';
import {
  CancelledError,
  ErrorCodes,
  ReelError,
  WorkflowFailedError,
  WorkflowTerminatedError,
} from '../errors.ts';
import { type ClosedNotice, OPEN_STATUSES, type Store, type WorkflowDescription } from '../store/store.ts';
import type { LocalWorker } from './client.ts';
import { type ClientNotifications, POLL_MS } from './notifications.ts';

/** How a run closed, as `result()` turns it into a value or an error. */
export type ClosedRun = Pick<WorkflowDescription, 'workflowId' | 'status' | 'result' | 'error'>;

/**
 * Waits for workflows to close, for `result()`: from the local worker that holds the run when there is
 * one, else by describing the run again on each close notification (or poll), following continue-as-new.
 */
export class ResultWaiter {
  constructor(
    private readonly store: Store,
    private readonly worker: LocalWorker | undefined,
    private readonly notifications: ClientNotifications,
    /** The run (latest unless `runId`), checked and found, or `REEL_WORKFLOW_NOT_FOUND`. */
    private readonly describe: (
      workflowId: string,
      runId: string | undefined,
    ) => Promise<WorkflowDescription>,
  ) {}

  /** Waits for a workflow to close and returns its result (see `WorkflowHandle.result`). */
  async result<R>(workflowId: string, options: { runId?: string; timeout?: Duration }): Promise<R> {
    const deadline =
      options.timeout === undefined ? Infinity : Date.now() + toMs(options.timeout, 'result timeout');
    let runId = options.runId;
    /** Whether `runId` is a successor named by a `continued` run (which may not be visible yet). */
    let following = false;
    // A run a worker of this process holds: that worker hands over its outcome once it is durable.
    const held = runId === undefined ? undefined : this.worker?.closing(runId);
    if (held) {
      const closed = deadline === Infinity ? await held : await untilDeadline(held, deadline);
      if (closed) return closedResult(closed) as R;
    }
    // Subscribed before the first look: a close between the look and the wait still wakes it.
    await this.notifications.listen();
    /** The close notice of run `runId` heard since the last look, with its outcome. */
    let told: ClosedNotice | undefined;
    for (let first = true; ; first = false) {
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const stopWaiting = this.notifications.onClosed(workflowId, (notice) => {
        if (notice && notice.runId === runId) told = notice;
        wake();
      });
      try {
        const seen = first && runId !== undefined ? this.notifications.watched(runId) : undefined;
        if (typeof seen === 'object') told = seen;
        // The run's close told with its outcome: nothing to read.
        if (told?.outcome && FINAL.includes(told.status))
          return closedResult({ workflowId, status: told.status, ...told.outcome }) as R;
        // No close heard since before the run was started (the waiter above hears any from now on): it
        // is open, or its notification was lost while the subscription was down, which the poll covers.
        const unclosed = seen === false;
        // A run that continued as new (or was reset) names its successor: follow it by run id. A successor not
        // visible yet is waited for like an open run (a notification or the next poll), never spun on.
        const run = unclosed
          ? undefined
          : following
            ? await this.store.describe(workflowId, runId)
            : await this.describe(workflowId, runId);
        if (run && !HANDED_OVER.includes(run.status) && !OPEN_STATUSES.includes(run.status))
          return closedResult(run) as R;
        const status = unclosed ? 'running' : (run?.status ?? 'continuing as new');
        const next = run && successorOf(run);
        if (next) {
          runId = next;
          following = true;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new ReelError(
            ErrorCodes.TIMEOUT,
            `Workflow ${workflowId} did not close within the timeout; it is still ${status}.`,
          );
        }
        if (next) continue;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([woken, new Promise((r) => (timer = setTimeout(r, Math.min(left, POLL_MS))))]);
        clearTimeout(timer);
      } finally {
        stopWaiting();
      }
    }
  }
}

/** Closed statuses whose run handed its work to another. */
const HANDED_OVER = ['continued', 'reset'];

/** Closed statuses that end the workflow: a close told with one of them and its outcome is the result. */
const FINAL = ['completed', 'failed', 'cancelled', 'terminated'];

/** The run a `continued` run (its result is `{ continuedAs }`) or a `reset` one handed over to. */
function successorOf(run: WorkflowDescription): string | undefined {
  if (run.status === 'reset') return run.resetTo;
  if (run.status !== 'continued') return undefined;
  const next = (run.result as { continuedAs?: unknown } | undefined)?.continuedAs;
  return typeof next === 'string' ? next : undefined;
}

/**
 * What `result()` gives for a closed run: its result, or the error matching how it closed
 * (`CancelledError`, `WorkflowTerminatedError`, `WorkflowFailedError`). Shared with `HttpClient`.
 */
export function closedResult(run: ClosedRun): unknown {
  if (run.status === 'completed') return run.result;
  if (run.status === 'cancelled')
    throw new CancelledError(run.error?.message ?? `Workflow ${run.workflowId} was cancelled.`);
  if (run.status === 'terminated')
    throw new WorkflowTerminatedError(run.workflowId, run.error?.message || undefined);
  throw new WorkflowFailedError(run.workflowId, run.error ?? { name: 'Error', message: 'unknown failure' });
}

/** What `held` gives, or undefined once `deadline` (ms since the epoch) passes first. */
async function untilDeadline<T>(held: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    // setTimeout fires at once past 2^31 - 1 ms: a longer wait ends in the polling loop after.
    timer = setTimeout(() => resolve(undefined), Math.min(deadline - Date.now(), 2 ** 31 - 1));
  });
  try {
    return await Promise.race([held, late]);
  } finally {
    clearTimeout(timer);
  }
}

import { randomUUID } from 'node:crypto';
import { ErrorCodes, ReelError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { checkResetPoint } from './reset-point.ts';
import { checkId, checkRunId, notFound } from './validate.ts';

/** Options of `client.reset`. */
export interface ResetOptions {
  /** The `seq` of the last event the new run keeps: it replays those, and redoes everything after. */
  toEvent: number;
  /** The run to reset (default: the latest run of the workflow id). */
  runId?: string;
  /** Recorded in the old run's `workflow_reset` and the new run's `reset_point`. */
  reason?: string;
}

/**
 * Retry now: the latest run of `workflowId` skips the backoff it waits out, whether an activity's
 * retry or, parked, its own. Throws `REEL_WORKFLOW_NOT_FOUND`, or `REEL_WORKFLOW_CLOSED` for a closed run.
 */
export async function retryNow(store: Store, workflowId: string, now: Date): Promise<void> {
  const done = await store.retryNow(checkId(workflowId), now);
  if (done === undefined) throw notFound(workflowId);
  if (!done)
    throw new ReelError(
      ErrorCodes.WORKFLOW_CLOSED,
      `Workflow ${workflowId} has already closed, so it has nothing to retry. Reset it to run it again from a point of its history.`,
    );
}

/**
 * Reset: a new run of `workflowId` from event `toEvent` of a run's history (see `Store.reset`).
 * The point is checked against the history as read; if the run records more events meanwhile, it is
 * read and checked again. Returns the new run's id.
 */
export async function reset(
  store: Store,
  workflowId: string,
  options: ResetOptions,
  now: () => Date,
): Promise<string> {
  checkId(workflowId);
  if (options.reason !== undefined && typeof options.reason !== 'string')
    throw new ReelError(ErrorCodes.INVALID_ARGUMENT, 'The reset reason must be a string.');
  const runId = options.runId === undefined ? undefined : checkRunId(options.runId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const run = await store.describe(workflowId, runId);
    if (!run) throw notFound(workflowId);
    const history = await store.loadHistory(run.runId);
    const toEvent = checkResetPoint(workflowId, history, options.toEvent);
    const seeded = history.findLast((e) => e.type === 'reset_point');
    const newRunId = randomUUID();
    const outcome = await store.reset({
      workflowId,
      runId: run.runId,
      historyLength: history.length,
      toEvent,
      newRunId,
      seed: seeded?.type === 'reset_point' ? seeded.seed : run.runId,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      now: now(),
    });
    if (outcome === 'ok') return newRunId;
    if (outcome === 'not_found') throw notFound(workflowId);
    if (outcome === 'open_elsewhere')
      throw new ReelError(
        ErrorCodes.WORKFLOW_ALREADY_STARTED,
        `Workflow ${workflowId} has an open run other than ${run.runId}: reset that one, or terminate it first.`,
      );
  }
  throw new ReelError(
    ErrorCodes.INVALID_RESET_POINT,
    `Workflow ${workflowId} kept recording events while its reset point was checked. Try again, or terminate the run first and reset it closed.`,
  );
}

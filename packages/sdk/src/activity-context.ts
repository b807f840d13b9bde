import { AsyncLocalStorage } from 'node:async_hooks';
import type { Json } from './codec.ts';
import { ErrorCodes, ReelError } from './errors.ts';

/** What a running activity can know about itself. */
export interface ActivityContext {
  workflowId: string;
  runId: string;
  /** The activity's registered name. */
  activity: string;
  /** This attempt's number, from 1. */
  attempt: number;
  /** Aborted when the attempt times out, the workflow is cancelled, or the worker shuts down. */
  signal: AbortSignal;
  /**
   * Tells Reel the attempt is alive, resetting its `heartbeatTimeout`. `details` (JSON, keep it small)
   * describe the progress so far: a later attempt reads the last ones as `lastHeartbeat`.
   */
  heartbeat(details?: Json): void;
  /** The details an earlier attempt of this activity last sent with `heartbeat`, if any: where to resume. */
  lastHeartbeat?: Json;
}

/** Set by the worker around each activity attempt. */
export const activityStorage = new AsyncLocalStorage<ActivityContext>();

/**
 * The context of the activity attempt that is running; activities stay plain functions and ask for it
 * only when they need it.
 * @example
 * export async function download(url: string) {
 *   const res = await fetch(url, { signal: activityContext().signal });
 *   return res.text();
 * }
 */
export function activityContext(): ActivityContext {
  const ctx = activityStorage.getStore();
  if (!ctx)
    throw new ReelError(
      ErrorCodes.INVALID_ARGUMENT,
      'activityContext() was called outside a running activity.',
    );
  return ctx;
}

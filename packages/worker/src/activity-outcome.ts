import {
  type ActivityOptions,
  type ErrorInfo,
  type HistoryEvent,
  type Json,
  type Logger,
  type RetryPolicy,
  toMs,
} from '@reel/sdk';
import type { AttemptResult, HeartbeatOptions } from './activity-runner.ts';
import { timerDelay } from './driver-timers.ts';
import { retryDelay } from './retry.ts';

const DEFAULT_START_TO_CLOSE_MS = 5 * 60_000;

/**
 * The event recording how attempt `attempt` of activity `cmd` ended: completed, retrying at the time
 * the retry policy gives, or failed for good. Local and task-queue activities both go through here.
 */
export function attemptEvent(
  activity: { cmd: number; attempt: number },
  result: AttemptResult,
  policy: RetryPolicy | undefined,
  now: Date,
): HistoryEvent {
  const { cmd, attempt } = activity;
  if (result.ok) return { type: 'activity_completed', cmd, result: result.value };
  const delay = retryDelay(policy, attempt, result.error);
  return delay === undefined
    ? { type: 'activity_failed', cmd, attempts: attempt, error: result.error }
    : {
        type: 'activity_retrying',
        cmd,
        attempt,
        error: result.error,
        retryAt: new Date(now.getTime() + delay).toISOString(),
      };
}

/**
 * What `runAttempt` needs for one attempt, from the activity's options: its start-to-close timeout
 * and its heartbeat settings, with `last`, the details an earlier attempt last sent.
 */
export function attemptSettings(
  options: ActivityOptions,
  last: Json | undefined,
): { timeoutMs: number; heartbeat: HeartbeatOptions } {
  const timeoutMs =
    options.startToCloseTimeout === undefined
      ? DEFAULT_START_TO_CLOSE_MS
      : toMs(options.startToCloseTimeout, 'startToCloseTimeout');
  const heartbeat: HeartbeatOptions = last === undefined ? {} : { last };
  if (options.heartbeatTimeout !== undefined)
    heartbeat.timeoutMs = timerDelay(toMs(options.heartbeatTimeout, 'heartbeatTimeout'));
  return { timeoutMs: timerDelay(timeoutMs), heartbeat };
}

/**
 * Logs a failed attempt at `warn`, with its error and, when the policy retries it, the delay before
 * the next attempt (`retryInMs`). Local and task-queue attempts both go through here.
 */
export function logFailedAttempt(
  logger: Logger,
  activity: { name: string; attempt: number },
  error: ErrorInfo,
  retryInMs: number | undefined,
): void {
  const fields = {
    activity: activity.name,
    attempt: activity.attempt,
    err: { message: error.message, code: error.code, name: error.name },
    ...(retryInMs === undefined ? {} : { retryInMs }),
  };
  logger.warn(
    fields,
    retryInMs === undefined
      ? `activity ${activity.name} failed for good on attempt ${activity.attempt}: ${error.message}`
      : `activity ${activity.name} attempt ${activity.attempt} failed; next attempt in ${(retryInMs / 1000).toFixed(1)} s: ${error.message}`,
  );
}

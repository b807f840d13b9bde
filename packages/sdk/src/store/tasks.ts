import type { Json } from '../codec.ts';
import type { ErrorInfo } from '../errors.ts';
import type { AttemptLimits } from '../workflow/activity-limits.ts';
import type { TraceCarrier } from '../workflow/events.ts';

/**
 * `enqueueTask`'s options. `inherited`: an earlier driver of the run may have queued this attempt,
 * and a task worker may be completing it right now; the store then waits out a completion under way
 * before it decides, so that it does not queue the completed attempt again.
 */
export interface EnqueueOptions {
  inherited?: boolean;
}

/**
 * One attempt of an activity that runs on a task queue (`defineActivity(fn, { taskQueue })`), as the
 * workflow's worker enqueues it once the `activity_scheduled` (or `activity_retrying`) event is durable.
 */
export interface NewTask extends AttemptLimits {
  runId: string;
  /** The activity's command number in the run. */
  cmd: number;
  /** The attempt to run, from 1. */
  attempt: number;
  /** The activity's registered name. */
  name: string;
  args: Json[];
  queue: string;
  /** Not claimable before this time (a retry's backoff). */
  availableAt: Date;
  /** The details an earlier attempt last sent with `heartbeat`. */
  lastHeartbeat?: Json;
  /** The span the attempt's span is a child of: the run's segment that enqueued it. */
  trace?: TraceCarrier;
}

/**
 * Why a queued attempt waits, as the last claim that passed it over recorded: its concurrency key's
 * slots are all held, or its rate limit's next token is not yet due.
 */
export type TaskWait = { concurrencyKey: string } | { rateLimitKey: string };

/** A claim on a task: every later write about it presents the claim number, fenced like a lease. */
export interface TaskClaim {
  id: string;
  /** Incremented on every claim; a write with an older number changes nothing. */
  claim: number;
}

/** A task a worker serving its queue has claimed. */
export interface ClaimedTask extends NewTask, TaskClaim {
  workflowId: string;
}

/** How one attempt of a task ended, as its worker reports it. */
export type TaskOutcome = { ok: true; result: Json | undefined } | { ok: false; error: ErrorInfo };

/**
 * The payload of an `activity_result` inbox item: a task's outcome on its way to the run's driver,
 * which turns it into `activity_completed`, `activity_retrying` or `activity_failed`.
 */
export type ActivityResultPayload = { cmd: number; attempt: number } & (
  | { ok: true; result?: Json }
  | { ok: false; error: ErrorInfo }
);

/** The inbox payload reporting `outcome` for attempt `attempt` of command `cmd`. */
export function activityResultPayload(cmd: number, attempt: number, outcome: TaskOutcome): Json {
  const payload = outcome.ok
    ? { cmd, attempt, ok: true, ...(outcome.result === undefined ? {} : { result: outcome.result }) }
    : { cmd, attempt, ok: false, error: outcome.error };
  return payload as unknown as Json;
}

import type { Json } from '../codec.ts';
import type { ConcurrencyLimit } from '../flow-options.ts';

/**
 * What a tick does while a run an earlier tick started is still open: `skip` drops the tick,
 * `bufferOne` keeps at most one pending tick and starts it when that run closes, `allowAll` starts
 * it anyway.
 */
export type OverlapPolicy = 'skip' | 'bufferOne' | 'allowAll';

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'bufferOne', 'allowAll'];

/** A run a schedule started. */
export interface ScheduledRun {
  workflowId: string;
  runId: string;
}

/** What `client.schedules.describe()` and `list()` return about one schedule. */
export interface ScheduleDescription {
  id: string;
  workflowType: string;
  /** The cron expression, read in `timezone`. */
  cron: string;
  /** IANA time zone name, e.g. `Europe/Paris`. */
  timezone: string;
  /** The input every run gets. */
  input: Json | undefined;
  overlap: OverlapPolicy;
  /** The concurrency limit each run it starts holds a slot of, or waits for (docs/flow-control.md). */
  concurrency?: ConcurrencyLimit;
  /** The priority of each run it starts, when not 0. */
  priority?: number;
  paused: boolean;
  /** The next tick; `null` while paused, or when the cron expression never matches again. */
  nextFireAt: Date | null;
  /** A tick `bufferOne` holds back until the open run closes; `null` when there is none. */
  bufferedAt: Date | null;
  /** The runs this schedule started most recently, newest first (at most 10). */
  recentRuns: ScheduledRun[];
  createdAt: Date;
  updatedAt: Date;
}

/** A schedule to store, checked by the client. */
export type NewSchedule = Pick<
  ScheduleDescription,
  | 'id'
  | 'workflowType'
  | 'cron'
  | 'timezone'
  | 'input'
  | 'overlap'
  | 'concurrency'
  | 'priority'
  | 'paused'
  | 'nextFireAt'
>;

/** `created`, or why not: the id is taken, or no worker has registered the workflow type. */
export type CreateScheduleOutcome = 'created' | 'exists' | 'unknown_type';

/** What one tick of a schedule did. */
export interface ScheduleTick {
  scheduleId: string;
  /** The type of the workflow the schedule starts. */
  workflowType: string;
  /** The time the tick was due (for a buffered tick, the time it was due, not the time it started). */
  fireAt: Date;
  /**
   * `started` a run; `skipped` (policy `skip`, a run still open); `buffered` (policy `bufferOne`);
   * `dropped` (policy `bufferOne` with a tick already buffered).
   */
  outcome: 'started' | 'skipped' | 'buffered' | 'dropped';
  /** The run, when `started`. */
  run?: ScheduledRun;
}

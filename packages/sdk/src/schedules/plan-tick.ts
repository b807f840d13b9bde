import { nextFireTime, RECENT_RUNS } from './cron.ts';
import type { ScheduleDescription, ScheduledRun, ScheduleTick } from './types.ts';

/** What a store does with one due schedule, decided the same way by every store. */
export interface TickPlan {
  /** Ticks in order; each `started` one is a run for the store to start. */
  ticks: { fireAt: Date; outcome: ScheduleTick['outcome'] }[];
  nextFireAt: Date | null;
  bufferedAt: Date | null;
}

/**
 * Decides what a schedule does at `now`: starts the buffered tick once no run is open, then handles
 * the due tick by the overlap policy, and moves `nextFireAt` to the first match after `now`. Ticks
 * missed while no worker ran collapse into the one due tick.
 * @param previousOpen whether a run the schedule started is still open (running or parked)
 */
export function planTick(
  s: Pick<ScheduleDescription, 'cron' | 'timezone' | 'overlap' | 'nextFireAt' | 'bufferedAt'>,
  previousOpen: boolean,
  now: Date,
): TickPlan {
  const ticks: TickPlan['ticks'] = [];
  let open = previousOpen;
  let bufferedAt = s.bufferedAt;
  let nextFireAt = s.nextFireAt;
  if (bufferedAt && !open) {
    ticks.push({ fireAt: bufferedAt, outcome: 'started' });
    bufferedAt = null;
    open = true;
  }
  if (nextFireAt && nextFireAt <= now) {
    const fireAt = nextFireAt;
    nextFireAt = nextFireTime(s.cron, s.timezone, now);
    if (!open || s.overlap === 'allowAll') ticks.push({ fireAt, outcome: 'started' });
    else if (s.overlap === 'skip') ticks.push({ fireAt, outcome: 'skipped' });
    else if (bufferedAt) ticks.push({ fireAt, outcome: 'dropped' });
    else {
      ticks.push({ fireAt, outcome: 'buffered' });
      bufferedAt = fireAt;
    }
  }
  return { ticks, nextFireAt, bufferedAt };
}

/**
 * The workflow id of the run a tick starts: the same for every worker and every retry of the tick,
 * so starting it twice returns the first run (start is idempotent by id).
 */
export function tickWorkflowId(scheduleId: string, fireAt: Date): string {
  return `${scheduleId}@${fireAt.toISOString()}`;
}

/** The recent runs after `started` (oldest first), newest first and capped. */
export function withRecent(recent: ScheduledRun[], started: ScheduledRun[]): ScheduledRun[] {
  return [...started].reverse().concat(recent).slice(0, RECENT_RUNS);
}

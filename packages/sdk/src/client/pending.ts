import type { ErrorInfo } from '../errors.ts';
import type { TaskWait } from '../store/tasks.ts';
import type { RecordedEvent } from '../workflow/events.ts';

/** An activity the run waits for. */
export interface PendingActivity {
  cmd: number;
  name: string;
  /** The attempt running or to run next, from 1. */
  attempt: number;
  /** The error of the last failed attempt, if one failed. */
  lastError?: ErrorInfo;
  /** When the next attempt starts, while it waits out a retry backoff. */
  nextAttemptAt?: Date;
  /** Set when the activity runs on a task queue. */
  taskQueue?: string;
  /**
   * Set while the attempt waits for a limit: a slot of its concurrency key, or a token of its rate
   * limit (docs/flow-control.md), as the last claim that passed it over recorded.
   */
  waitingFor?: TaskWait;
}

/** What an open run waits on, as its history tells without replaying it (see `pendingWork`). */
export interface PendingWork {
  activities: PendingActivity[];
  /**
   * Timers started and not fired: sleeps, and the timeouts of signal waits (`signal` set) and of
   * conditions (a condition met before its timeout still shows its timer until then).
   */
  timers: { cmd: number; fireAt: Date; signal?: string }[];
  /** Children scheduled and not finished; `runId` once started. */
  children: { cmd: number; workflowId: string; workflowType: string; runId?: string }[];
}

/**
 * What the run of `history` waits on: activities scheduled without an outcome (their attempt, last
 * error and next attempt time from the last `activity_retrying`, skipped by a later
 * `retry_requested`; what limit they wait for, from `waits`, the store's), timers not fired, children
 * not finished. Replay-free, so any client can tell. A signal or condition awaited with no timeout
 * leaves no event, so only the timed ones show (as timers).
 */
export function pendingWork(
  history: RecordedEvent[],
  waits: { cmd: number; waitingFor: TaskWait }[] = [],
): PendingWork {
  const activities = new Map<number, PendingActivity>();
  const timers = new Map<number, PendingWork['timers'][number]>();
  const children = new Map<number, PendingWork['children'][number]>();
  for (const e of history) {
    switch (e.type) {
      case 'activity_scheduled':
        activities.set(e.cmd, {
          cmd: e.cmd,
          name: e.name,
          attempt: 1,
          ...(e.taskQueue === undefined ? {} : { taskQueue: e.taskQueue }),
        });
        break;
      case 'activity_retrying': {
        const a = activities.get(e.cmd);
        if (a)
          Object.assign(a, {
            attempt: e.attempt + 1,
            lastError: e.error,
            nextAttemptAt: new Date(e.retryAt),
          });
        break;
      }
      case 'retry_requested':
        for (const a of activities.values())
          if (a.nextAttemptAt && a.nextAttemptAt > new Date(e.at)) a.nextAttemptAt = new Date(e.at);
        break;
      case 'activity_completed':
      case 'activity_failed':
        activities.delete(e.cmd);
        break;
      case 'timer_started':
        timers.set(e.cmd, {
          cmd: e.cmd,
          fireAt: new Date(e.fireAt),
          ...(e.signal === undefined ? {} : { signal: e.signal }),
        });
        break;
      case 'timer_fired':
        timers.delete(e.cmd);
        break;
      case 'signal_received':
        // the wait it timed is over; the timer is then never recorded as fired
        for (const t of timers.values()) if (t.signal === e.name) timers.delete(t.cmd);
        break;
      case 'child_scheduled':
        children.set(e.cmd, { cmd: e.cmd, workflowId: e.workflowId, workflowType: e.workflowType });
        break;
      case 'child_started': {
        const c = children.get(e.cmd);
        if (c) c.runId = e.runId;
        break;
      }
      case 'child_completed':
      case 'child_failed':
        children.delete(e.cmd);
        break;
    }
  }
  for (const w of waits) {
    const a = activities.get(w.cmd);
    if (a) a.waitingFor = w.waitingFor;
  }
  return {
    activities: [...activities.values()],
    timers: [...timers.values()],
    children: [...children.values()],
  };
}

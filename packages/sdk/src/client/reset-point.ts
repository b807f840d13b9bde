import { ErrorCodes, ReelError } from '../errors.ts';
import { CLOSING_EVENTS, type RecordedEvent } from '../workflow/events.ts';

/** The events that settle an activity (or move it on) after the event that scheduled it. */
const FOLLOW_UPS = new Set(['activity_retrying', 'activity_completed', 'activity_failed']);

/**
 * Checks that a run reset to event `toEvent` of `history` (keeping it and those before) can go on:
 * the point is an event of the history and not its close, and it splits no activity from its retries
 * and outcome: the new run could neither replay the half it keeps nor redo it (the attempt and its
 * outcome are gone). A child is never split: the new run takes over the children of the kept events
 * (`Store.reset`). Throws `REEL_INVALID_RESET_POINT`, naming the nearest points that would do.
 */
export function checkResetPoint(workflowId: string, history: RecordedEvent[], toEvent: unknown): number {
  const last = history.length - 1;
  const closes = CLOSING_EVENTS.has((history[last] as RecordedEvent).type);
  const highest = closes ? last - 1 : last;
  if (!(Number.isInteger(toEvent) && (toEvent as number) >= 0 && (toEvent as number) <= highest)) {
    throw new ReelError(
      ErrorCodes.INVALID_RESET_POINT,
      `The reset point of workflow ${workflowId} must be the seq of an event of its history from 0 to ${highest}${closes ? ' (not its closing event)' : ''}, not ${JSON.stringify(toEvent)}.`,
    );
  }
  const point = toEvent as number;
  const scheduled = new Map<number, RecordedEvent>();
  for (const e of history.slice(0, point + 1)) if (e.type === 'activity_scheduled') scheduled.set(e.cmd, e);
  const split = history
    .slice(point + 1)
    .find((e) => FOLLOW_UPS.has(e.type) && 'cmd' in e && scheduled.has(e.cmd)) as
    | (RecordedEvent & { cmd: number })
    | undefined;
  if (!split) return point;
  const start = scheduled.get(split.cmd) as Extract<RecordedEvent, { type: 'activity_scheduled' }>;
  const what = `activity '${start.name}'`;
  const ends = history.filter((e) => 'cmd' in e && e.cmd === split.cmd && FOLLOW_UPS.has(e.type));
  throw new ReelError(
    ErrorCodes.INVALID_RESET_POINT,
    `Event ${point} of workflow ${workflowId} lies between the scheduling of ${what} (command ${split.cmd}, event ${start.seq}) and event ${split.seq} (${split.type}): the new run could neither replay nor redo it. Choose an event before ${start.seq}, or from ${(ends.at(-1) as RecordedEvent).seq} on.`,
  );
}

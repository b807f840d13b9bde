import { ErrorCodes, ReelError } from '../errors.ts';
import { CLOSING_EVENTS, type RecordedEvent } from '../workflow/events.ts';

/** The events that settle an activity (or move it on) after the event that scheduled it. */
const FOLLOW_UPS = new Set(['activity_retrying', 'activity_completed', 'activity_failed']);

/**
 * Checks that a run reset to event `toEvent` of `history` (keeping it and those before) can go on:
 * the point is an event of the history and not its close; it splits no activity from its retries
 * and outcome (the new run could neither replay the half it keeps nor redo it: the attempt and its
 * outcome are gone); and no completed update from its acceptance (the new run would run its handler
 * again, after its caller had the outcome). A child is never split: the new run takes over the
 * children of the kept events (`Store.reset`). Throws `REEL_INVALID_RESET_POINT`, naming the nearest
 * points that would do.
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
  const kept = history.slice(0, point + 1);
  const dropped = history.slice(point + 1);
  const split = splitActivity(kept, dropped) ?? splitUpdate(kept, dropped);
  if (!split) return point;
  throw new ReelError(
    ErrorCodes.INVALID_RESET_POINT,
    `Event ${point} of workflow ${workflowId} lies between ${split.what}. Choose an event before ${split.from}, or from ${split.to} on.`,
  );
}

/** What a point splits: its description, its first event, and the event from which a point keeps it whole. */
interface Split {
  what: string;
  from: number;
  to: number;
}

function splitActivity(kept: RecordedEvent[], dropped: RecordedEvent[]): Split | undefined {
  const scheduled = new Map<number, Extract<RecordedEvent, { type: 'activity_scheduled' }>>();
  for (const e of kept) if (e.type === 'activity_scheduled') scheduled.set(e.cmd, e);
  const next = dropped.find((e) => FOLLOW_UPS.has(e.type) && 'cmd' in e && scheduled.has(e.cmd));
  if (!next || !('cmd' in next)) return undefined;
  const start = scheduled.get(next.cmd) as Extract<RecordedEvent, { type: 'activity_scheduled' }>;
  const ends = dropped.filter((e) => 'cmd' in e && e.cmd === next.cmd && FOLLOW_UPS.has(e.type));
  return {
    what: `the scheduling of activity '${start.name}' (command ${next.cmd}, event ${start.seq}) and event ${next.seq} (${next.type}): the new run could neither replay nor redo it`,
    from: start.seq,
    to: (ends.at(-1) as RecordedEvent).seq,
  };
}

function splitUpdate(kept: RecordedEvent[], dropped: RecordedEvent[]): Split | undefined {
  for (const e of kept) {
    if (e.type !== 'update_accepted') continue;
    const done = dropped.find((d) => d.type === 'update_completed' && d.updateId === e.updateId);
    if (done)
      return {
        what: `the acceptance of update '${e.name}' (${e.updateId}, event ${e.seq}) and its completion (event ${done.seq}): the new run would run its handler again`,
        from: e.seq,
        to: done.seq,
      };
  }
  return undefined;
}

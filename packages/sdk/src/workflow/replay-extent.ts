import type { EventType, RecordedEvent } from './events.ts';

/** Events the code's answers depend on before replay reaches them (`ctx.patched`, `ctx.random`). */
const LOOKAHEAD_EVENTS = new Set<EventType>(['patch_marker', 'reset_point']);

/**
 * How far the log is a replay: where the code re-walks recorded history (`ctx.isReplaying`), where a
 * command history lacks is non-determinism, and, while the history is given in pages, whether the
 * next page may be replayed onto what came before. Positions are counts of events delivered.
 */
export class ReplayExtent {
  /**
   * Recorded events whose effects on the code are recorded too: a worker flushes the commands an event
   * led to together with the event, so while the code reacts to one of these it is replaying, and a
   * command history lacks is non-determinism. `workflow_started` alone, written by `start`, is not one.
   * While the history is partial, all of it is, however long it turns out to be.
   */
  private replayLength: number;
  private isPartial: boolean;
  /**
   * In a reset run, the position of its last `reset_point`: the events before it are copied from the
   * reset run, whose reactions to the last of them were cut off with the rest, so a command history
   * lacks there is new code's work, not non-determinism. -1 in other runs.
   */
  readonly resetAt: number;

  constructor(history: readonly RecordedEvent[], partial: boolean) {
    this.isPartial = partial;
    this.replayLength = partial ? Number.POSITIVE_INFINITY : effectsRecorded(history);
    this.resetAt = history.findLastIndex((e) => e.type === 'reset_point');
  }

  /** The history holds only its first pages: the rest comes through `WorkflowExecution.extend`. */
  get partial(): boolean {
    return this.isPartial;
  }

  /** The code, at `position`, re-walks recorded history (`ctx.isReplaying`). */
  replaying(position: number): boolean {
    return position <= this.replayLength;
  }

  /** A command the code issues at `position` and history lacks is non-determinism. */
  strict(position: number): boolean {
    return position <= this.replayLength && position > this.resetAt + 1;
  }

  /**
   * False if `page` holds a patch marker or a reset point: the code's earlier answers depended on
   * them, so the replay so far may differ from one of the whole history.
   */
  continuesWith(page: readonly RecordedEvent[]): boolean {
    return !page.some((e) => LOOKAHEAD_EVENTS.has(e.type));
  }

  /** The last page is in: `history` is now the whole history. */
  whole(history: readonly RecordedEvent[]): void {
    this.isPartial = false;
    this.replayLength = effectsRecorded(history);
  }
}

function effectsRecorded(history: readonly RecordedEvent[]): number {
  return history.length > 1 ? history.length : 0;
}

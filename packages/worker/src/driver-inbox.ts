import type { ErrorInfo, HistoryEvent, InboxItem, Json, RecordedEvent, WorkflowExecution } from '@reel/sdk';

/** What a read of the inbox gives. */
export type InboxRead = { items: InboxItem[]; version: number };

/**
 * A run's view of its inbox: the items read and not yet consumed by a flush, and the version they
 * were read at. Items become history events; they are deleted in the commit that records those events,
 * and a release or close is conditional on `version`, so no item can be left behind unread.
 */
export class DriverInbox {
  /** The inbox version of the last read. */
  version = 0;
  /** New input may be waiting: read before the next step decides anything. */
  dirty = true;
  /** A cancellation was read and held back, with what came after it: they stay in the store, unread. */
  held = false;
  /** A task's outcome came before the run's code had the whole log: it stays unread, with what followed. */
  deferred = false;
  /** Updates taken and not yet validated (`DriverUpdates`): they stay in the store until they are. */
  readonly updates: InboxItem[] = [];
  /** Items taken whose consumption is not durable yet, with the event each became (if any). */
  private consumed: Consumed[] = [];
  private readonly seen = new Set<string>();

  /** The items not seen before, in order of arrival; records the version. Pass each to `consume`. */
  take({ items, version }: InboxRead): InboxItem[] {
    this.version = version;
    this.dirty = this.held = this.deferred = false;
    const fresh = items.filter((item) => !this.seen.has(item.id));
    for (const item of fresh) this.seen.add(item.id);
    return fresh;
  }

  /**
   * Appends the items of `read` not seen before to `exec` as history events, each consumed by the next
   * flush; returns the events. A task's outcome becomes the event `taskResult` makes of it (none:
   * stale, dropped). An update waits in `updates` for its validation. A cancellation `holdCancel` says
   * must wait is left unread, with the items after it, until a later read; so is a task's outcome
   * `taskResult` cannot judge yet (`'later'`). Tasks' outcomes read with a cancellation go before it:
   * the step did its work, and its code must see so (a saga undoes it).
   */
  apply(
    read: InboxRead,
    exec: WorkflowExecution,
    taskResult: (payload: InboxItem['payload']) => HistoryEvent | undefined | 'later',
    holdCancel: (item: InboxItem) => boolean,
  ): RecordedEvent[] {
    const events: RecordedEvent[] = [];
    const fresh = resultsFirst(this.take(read));
    for (const [i, item] of fresh.entries()) {
      if (item.kind === 'cancel' && holdCancel(item)) {
        for (const later of fresh.slice(i)) this.seen.delete(later.id);
        this.held = this.dirty = true;
        break;
      }
      if (item.kind === 'update') {
        this.updates.push(item);
        continue;
      }
      const event = item.kind === 'activity_result' ? taskResult(item.payload) : inboxEvent(item);
      if (event === 'later') {
        for (const later of fresh.slice(i)) this.seen.delete(later.id);
        this.deferred = this.dirty = true;
        break;
      }
      const recorded = event && exec.append(event);
      this.consume(item.id, recorded?.seq);
      if (recorded && item.kind !== 'activity_result') events.push(recorded);
    }
    return events;
  }

  /**
   * The updates taken and never validated go with the run's close: its code has returned, and their
   * callers hear that the run closed. The close's flush deletes them.
   */
  dropUpdates(): void {
    for (const item of this.updates.splice(0)) this.consume(item.id);
  }

  /** Item `id` became the event at `seq` (none: it was dropped, stale); the next flush deletes it. */
  consume(id: string, seq?: number): void {
    this.consumed.push({ id, seq });
  }

  /** The items a flush consumes; give them back with `restore` if it wrote nothing. */
  drain(): Consumed[] {
    return this.consumed.splice(0);
  }

  restore(items: Consumed[]): void {
    this.consumed.unshift(...items);
  }

  /** The flush that consumed `items` is durable: they are gone from the store. */
  forget(items: Consumed[]): void {
    for (const { id } of items) this.seen.delete(id);
  }

  /** The events from `seq` on were taken back: their items stay in the store's inbox, unconsumed. */
  unconsume(seq: number): void {
    this.consumed = this.consumed.filter((c) => c.seq === undefined || c.seq < seq);
  }

  get pending(): boolean {
    return this.consumed.length > 0;
  }
}

/** An inbox item taken, and the position of the event it became. */
export interface Consumed {
  id: string;
  seq: number | undefined;
}

/** The history event an inbox item (other than a task's outcome) becomes. */
export function inboxEvent(item: InboxItem): HistoryEvent {
  switch (item.kind) {
    case 'signal':
      return { type: 'signal_received', name: item.name as string, payload: item.payload };
    case 'retry':
      return { type: 'retry_requested' };
    case 'cancel':
      return {
        type: 'cancel_requested',
        ...(typeof item.payload === 'string' ? { reason: item.payload } : {}),
      };
    case 'child': {
      const outcome = item.payload as unknown as {
        cmd: number;
        status: string;
        result?: Json;
        error?: ErrorInfo;
      };
      return outcome.status === 'completed'
        ? { type: 'child_completed', cmd: outcome.cmd, result: outcome.result ?? undefined }
        : {
            type: 'child_failed',
            cmd: outcome.cmd,
            status: outcome.status,
            error: outcome.error ?? { name: 'Error', message: outcome.status },
          };
    }
    default:
      throw new Error(`unknown inbox item kind ${item.kind}`);
  }
}

/** `items` with every task outcome after a cancellation moved before it. */
function resultsFirst(items: InboxItem[]): InboxItem[] {
  const cancel = items.findIndex((item) => item.kind === 'cancel');
  if (cancel < 0) return items;
  const rest = items.slice(cancel);
  return [
    ...items.slice(0, cancel),
    ...rest.filter((item) => item.kind === 'activity_result'),
    ...rest.filter((item) => item.kind !== 'activity_result'),
  ];
}

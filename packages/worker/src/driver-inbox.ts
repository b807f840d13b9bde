import type { ErrorInfo, HistoryEvent, InboxItem, Json } from '@reel/sdk';

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
  /** Items turned into events that are not durable yet: the next flush consumes them. */
  private consumed: string[] = [];
  private readonly seen = new Set<string>();

  /** The items not seen before, in order of arrival; records the version. */
  take({ items, version }: { items: InboxItem[]; version: number }): InboxItem[] {
    this.version = version;
    this.dirty = false;
    const fresh = items.filter((item) => !this.seen.has(item.id));
    for (const item of fresh) {
      this.seen.add(item.id);
      this.consumed.push(item.id);
    }
    return fresh;
  }

  /** The ids a flush consumes; give them back with `restore` if it wrote nothing. */
  drain(): string[] {
    return this.consumed.splice(0);
  }

  restore(ids: string[]): void {
    this.consumed.unshift(...ids);
  }

  /** The flush that consumed `ids` is durable: they are gone from the store. */
  forget(ids: string[]): void {
    for (const id of ids) this.seen.delete(id);
  }

  get pending(): boolean {
    return this.consumed.length > 0;
  }
}

/** The history event an inbox item (other than a task's outcome) becomes. */
export function inboxEvent(item: InboxItem): HistoryEvent {
  switch (item.kind) {
    case 'signal':
      return { type: 'signal_received', name: item.name as string, payload: item.payload };
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

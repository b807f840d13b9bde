import type { ClosedNotice, Store } from '../store/store.ts';

/** How often `result()`, `query()` and `update()` look again if a notification was missed. */
export const POLL_MS = 2000;

/** How long the closes of a workflow id just started are watched for, for a `result()` that follows. */
const WATCH_MS = POLL_MS;

/** A watch of a workflow id's closes, begun before a start of it was sent. */
export interface CloseWatch {
  /** The start made run `runId`: `result()` of it may take the watch (`ClientNotifications.watched`). */
  started(runId: string): void;
  /** The start made no new run of the id: nothing to watch. */
  end(): void;
}

interface Watch {
  /** A close heard: its notice if it was the run's (`started`), else true. */
  closed: ClosedNotice | boolean;
  runId?: string;
  until: number;
  off: () => void;
}

/**
 * The client's subscription to the store's notifications, opened on first need: a run that closes
 * wakes the `result()` calls waiting on its workflow id, an answer wakes the `query()` waiting for it,
 * and an update completed or rejected wakes the `update()` calls waiting on its workflow id.
 */
export class ClientNotifications {
  private readonly closeWaiters = new Map<string, Set<(notice?: ClosedNotice) => void>>();
  private readonly updateWaiters = new Map<string, Set<() => void>>();
  private readonly answerWaiters = new Map<string, () => void>();
  private listening: Promise<() => Promise<void>> | undefined;
  private subscribed = false;
  /** The watches under way, oldest first, by run once their start answered (else by themselves). */
  private readonly watches = new Map<unknown, Watch>();

  constructor(private readonly store: Store) {}

  /** Subscribes, once; resolves when the subscription is in place. */
  listen(): Promise<unknown> {
    this.listening ??= this.store.listen({
      onClosed: (id, notice) => this.wake(this.closeWaiters, id, notice),
      onUpdate: (id) => this.wake(this.updateWaiters, id),
      onQueryAnswered: (id) => this.answerWaiters.get(id)?.(),
    });
    void this.listening.then(
      () => (this.subscribed = true),
      () => undefined,
    );
    return this.listening;
  }

  /**
   * Watches for the closes of `workflowId` for `WATCH_MS`, if subscribed. Begun before a start of the id
   * is sent, it hears the close of the run that start makes (unless the subscription was down when it
   * came), so that `result()` soon after need not look first whether the run has already closed.
   */
  watch(workflowId: string): CloseWatch | undefined {
    if (!this.subscribed) return undefined;
    const now = performance.now();
    for (const [key, w] of this.watches) {
      if (w.until > now) break;
      this.endWatch(key, w);
    }
    const w: Watch = { closed: false, until: now + WATCH_MS, off: () => undefined };
    w.off = this.onClosed(workflowId, (notice) => {
      if (w.closed === false) w.closed = notice && notice.runId === w.runId ? notice : true;
    });
    this.watches.set(w, w);
    return {
      started: (runId) => {
        w.runId = runId;
        // Unless it lapsed while the start was on its way: no longer listening, it can tell nothing.
        if (this.watches.delete(w)) this.watches.set(runId, w);
      },
      end: () => this.endWatch(w, w),
    };
  }

  /**
   * Whether a close came since before run `runId` was started, if that was watched and still is: false,
   * none; the run's close notice, if the first one heard was; else true. Ends the watch.
   */
  watched(runId: string): ClosedNotice | boolean | undefined {
    const w = this.watches.get(runId);
    if (w) this.endWatch(runId, w);
    return w?.closed;
  }

  /** Calls `wake` when a run of `workflowId` closes (with its notice, if told), until the returned function is called. */
  onClosed(workflowId: string, wake: (notice?: ClosedNotice) => void): () => void {
    return this.subscribe(this.closeWaiters, workflowId, wake);
  }

  /** Calls `wake` when an update of `workflowId` is completed or rejected, until the returned function is called. */
  onUpdate(workflowId: string, wake: () => void): () => void {
    return this.subscribe(this.updateWaiters, workflowId, wake);
  }

  /** Calls `wake` when query `queryId` is answered, until `offAnswered`. */
  onAnswered(queryId: string, wake: () => void): void {
    this.answerWaiters.set(queryId, wake);
  }

  offAnswered(queryId: string): void {
    this.answerWaiters.delete(queryId);
  }

  /** Ends the subscription, if there is one. */
  async close(): Promise<void> {
    const unlisten = await this.listening;
    await unlisten?.();
  }

  private subscribe<W>(lists: Map<string, Set<W>>, workflowId: string, wake: W): () => void {
    const waiters = lists.get(workflowId) ?? new Set();
    lists.set(workflowId, waiters.add(wake));
    return () => {
      waiters.delete(wake);
      if (waiters.size === 0) lists.delete(workflowId);
    };
  }

  private endWatch(key: unknown, w: Watch): void {
    w.off();
    this.watches.delete(key);
  }

  private wake(
    lists: Map<string, Set<(notice?: ClosedNotice) => void>>,
    workflowId: string,
    notice?: ClosedNotice,
  ): void {
    for (const wake of lists.get(workflowId) ?? []) wake(notice);
  }
}

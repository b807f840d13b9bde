import type { Store } from '../store/store.ts';

/** How often `result()`, `query()` and `update()` look again if a notification was missed. */
export const POLL_MS = 2000;

/**
 * The client's subscription to the store's notifications, opened on first need: a run that closes
 * wakes the `result()` calls waiting on its workflow id, an answer wakes the `query()` waiting for it,
 * and an update completed or rejected wakes the `update()` calls waiting on its workflow id.
 */
export class ClientNotifications {
  private readonly closeWaiters = new Map<string, Set<() => void>>();
  private readonly updateWaiters = new Map<string, Set<() => void>>();
  private readonly answerWaiters = new Map<string, () => void>();
  private listening: Promise<() => Promise<void>> | undefined;

  constructor(private readonly store: Store) {}

  /** Subscribes, once; resolves when the subscription is in place. */
  listen(): Promise<unknown> {
    this.listening ??= this.store.listen({
      onClosed: (id) => this.wake(this.closeWaiters, id),
      onUpdate: (id) => this.wake(this.updateWaiters, id),
      onQueryAnswered: (id) => this.answerWaiters.get(id)?.(),
    });
    return this.listening;
  }

  /** Calls `wake` when a run of `workflowId` closes, until the returned function is called. */
  onClosed(workflowId: string, wake: () => void): () => void {
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

  private subscribe(lists: Map<string, Set<() => void>>, workflowId: string, wake: () => void): () => void {
    const waiters = lists.get(workflowId) ?? new Set();
    lists.set(workflowId, waiters.add(wake));
    return () => {
      waiters.delete(wake);
      if (waiters.size === 0) lists.delete(workflowId);
    };
  }

  private wake(lists: Map<string, Set<() => void>>, workflowId: string): void {
    for (const wake of lists.get(workflowId) ?? []) wake();
  }
}

import type { Store } from '../store/store.ts';

/** How often `result()` and `query()` look again if a notification was missed. */
export const POLL_MS = 2000;

/**
 * The client's subscription to the store's notifications, opened on first need: a run that closes
 * wakes the `result()` calls waiting on its workflow id, an answer wakes the `query()` waiting for it.
 */
export class ClientNotifications {
  private readonly closeWaiters = new Map<string, Set<() => void>>();
  private readonly answerWaiters = new Map<string, () => void>();
  private listening: Promise<() => Promise<void>> | undefined;

  constructor(private readonly store: Store) {}

  /** Subscribes, once; resolves when the subscription is in place. */
  listen(): Promise<unknown> {
    this.listening ??= this.store.listen({
      onClosed: (id) => this.wakeWaiters(id),
      onQueryAnswered: (id) => this.answerWaiters.get(id)?.(),
    });
    return this.listening;
  }

  /** Calls `wake` when a run of `workflowId` closes, until the returned function is called. */
  onClosed(workflowId: string, wake: () => void): () => void {
    const waiters = this.closeWaiters.get(workflowId) ?? new Set();
    this.closeWaiters.set(workflowId, waiters.add(wake));
    return () => {
      waiters.delete(wake);
      if (waiters.size === 0) this.closeWaiters.delete(workflowId);
    };
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

  private wakeWaiters(workflowId: string): void {
    for (const wake of this.closeWaiters.get(workflowId) ?? []) wake();
  }
}

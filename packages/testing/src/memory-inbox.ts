import { type ErrorInfo, type InboxItem, type Json, OPEN_STATUSES } from '@reel/sdk';
import { copy, type MemoryTables, type Run } from './memory-tables.ts';

/**
 * `MemoryStore`'s inboxes: input to a run (signals, cancel requests, children's outcomes), which wakes
 * it, and the inbox read with its version, as the Postgres store's `ENQUEUE` and `READ_INBOX` do.
 */
export class MemoryInbox {
  constructor(private readonly tables: MemoryTables) {}

  async enqueue(workflowId: string, item: Omit<InboxItem, 'id'>, now: Date): Promise<boolean | undefined> {
    const run = this.tables.latest(workflowId);
    if (!run) return undefined;
    if (!OPEN_STATUSES.includes(run.status)) return false;
    this.deliver(run, item, now);
    return true;
  }

  /** Puts input in an open run's inbox and wakes it. */
  deliver(run: Run, item: Omit<InboxItem, 'id'>, now: Date): void {
    run.inbox.push({ ...copy(item), id: this.tables.inboxId() });
    run.updatedAt = now;
    this.wake(run, now);
  }

  /**
   * New input makes an open run no worker holds claimable now, if it has run before: one that never
   * has (a delayed start, one waiting for its concurrency slot) keeps its time (`readyOnInput`).
   */
  private wake(run: Run, now: Date): void {
    run.inboxVersion++;
    if (run.leaseOwner === null && run.status === 'running' && run.fencingToken > 0)
      run.readyAt = this.tables.storeNow(now);
    this.tables.wake(run);
  }

  async read(runId: string): Promise<{ items: InboxItem[]; version: number }> {
    const run = this.tables.runs.get(runId);
    return { items: copy(run?.inbox ?? []), version: run?.inboxVersion ?? 0 };
  }

  /** A closing child tells its parent through the parent's inbox, if the parent is open. */
  tellParent(run: Run, outcome: { status: string; result?: Json; error?: ErrorInfo }, now: Date): void {
    const parent = run.parent && this.tables.runs.get(run.parent.runId);
    if (!parent || !run.parent || !OPEN_STATUSES.includes(parent.status)) return;
    parent.inbox.push({
      id: this.tables.inboxId(),
      kind: 'child',
      name: null,
      payload: copy({ cmd: run.parent.cmd, ...outcome }) as unknown as Json,
    });
    this.wake(parent, now);
  }
}

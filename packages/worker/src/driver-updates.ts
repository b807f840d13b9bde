import type { ClaimedRun, Json, Store, WorkflowExecution } from '@reel/sdk';
import type { DriverInbox } from './driver-inbox.ts';

/** What a run's updates need from its driver. */
export interface UpdatesHost {
  store: Store;
  /** True once the lease is proven (renewing it if needed); false if it was lost. */
  leaseHeld(): Promise<boolean>;
}

/**
 * The updates read from a run's inbox and not yet recorded: each is validated against the code's
 * state once everything before it has been delivered. An accepted one becomes `update_accepted`
 * (consumed by the flush that records its handler's first steps); a rejected one is answered in
 * `reel.updates` and consumed, and history never hears of it; one whose handler the code has not
 * registered yet stays, unconsumed, and is validated again after the next delivery.
 */
export class DriverUpdates {
  constructor(
    private readonly host: UpdatesHost,
    private readonly run: ClaimedRun,
    private readonly exec: () => WorkflowExecution,
    private readonly inbox: DriverInbox,
  ) {}

  /**
   * Validates the updates waiting in `inbox.updates`, in order of arrival. True if one was accepted:
   * its event must reach the code before anything is flushed (its handler's commands go with it).
   */
  async settle(): Promise<boolean> {
    let accepted = false;
    for (const item of [...this.inbox.updates]) {
      const { updateId, arg } = item.payload as { updateId: string; arg: Json | undefined };
      const name = item.name as string;
      const verdict = this.exec().validateUpdate(name, arg);
      if (verdict === 'unhandled') continue;
      if (verdict === 'accepted') {
        const event = this.exec().append({ type: 'update_accepted', updateId, name, arg: arg ?? null });
        this.inbox.consume(item.id, event.seq);
        accepted = true;
      } else {
        if (!(await this.host.leaseHeld())) return false;
        const lease = { runId: this.run.runId, fencingToken: this.run.fencingToken };
        await this.host.store.rejectUpdate(lease, updateId, verdict.rejected);
        this.inbox.consume(item.id);
      }
      this.inbox.updates.splice(this.inbox.updates.indexOf(item), 1);
    }
    return accepted;
  }
}

import {
  type ErrorInfo,
  type Json,
  type Lease,
  type NewUpdate,
  OPEN_STATUSES,
  type SendUpdateOutcome,
  type UpdateState,
  updateState,
} from '@reel/sdk';
import type { MemoryInbox } from './memory-inbox.ts';
import { copy, type MemoryTables, type Run } from './memory-tables.ts';

/**
 * `MemoryStore`'s updates, as the Postgres store's `SEND_UPDATE`, `READ_UPDATE` and `REJECT_UPDATE`:
 * each run keeps the ids of the updates sent to it (deleted with it, as `reel.updates` rows are).
 */
export class MemoryUpdates {
  constructor(
    private readonly tables: MemoryTables,
    private readonly inbox: MemoryInbox,
  ) {}

  async send(workflowId: string, update: NewUpdate, now: Date): Promise<SendUpdateOutcome> {
    if (this.sentTo(workflowId, update.updateId)) return 'known';
    const run = this.tables.latest(workflowId);
    if (!run) return 'not_found';
    if (!OPEN_STATUSES.includes(run.status)) return 'closed';
    run.updates ??= new Map();
    run.updates.set(update.updateId, { rejection: null });
    // through JSON, as the Postgres store sends it: an undefined argument is left out
    const payload = copy({ updateId: update.updateId, arg: update.arg }) as Json;
    this.inbox.deliver(run, { kind: 'update', name: update.name, payload }, now);
    return 'sent';
  }

  async read(workflowId: string, updateId: string): Promise<UpdateState | undefined> {
    const sent = this.sentTo(workflowId, updateId);
    const latest = this.tables.latest(workflowId);
    if (!sent || !latest) return undefined;
    // the newest run's: a reset to a point after the acceptance copies it into the new run
    const event = (type: string) =>
      this.runsOf(workflowId)
        .flatMap((r) => r.history.map((e) => ({ run: r, e })))
        .findLast(({ e }) => e.type === type && (e as { updateId?: string }).updateId === updateId);
    const completed = event('update_completed')?.e as { result?: Json; error?: ErrorInfo } | undefined;
    return updateState({
      rejection: copy(sent.updates?.get(updateId)?.rejection ?? null),
      completed: completed ? copy({ result: completed.result, error: completed.error }) : null,
      acceptedIn: event('update_accepted')?.run.status ?? null,
      latestStatus: latest.status,
    });
  }

  async reject(lease: Lease, updateId: string, error: ErrorInfo): Promise<void> {
    const run = this.tables.runs.get(lease.runId);
    if (!run || run.fencingToken !== lease.fencingToken || run.leaseOwner === null) return;
    const row = this.sentTo(run.workflowId, updateId)?.updates?.get(updateId);
    if (!row) return;
    row.rejection = copy(error);
    this.tables.emit((l) => l.onUpdate?.(run.workflowId));
  }

  /** The run of `workflowId` update `updateId` was sent to, if one was. */
  private sentTo(workflowId: string, updateId: string): Run | undefined {
    return this.runsOf(workflowId).find((r) => r.updates?.has(updateId));
  }

  private runsOf(workflowId: string): Run[] {
    return [...this.tables.runs.values()].filter((r) => r.workflowId === workflowId);
  }
}

import type { CommitOutcome, CommitRequest, ContinueRequest, RecordedEvent } from '@reel/sdk';
import type { MemoryInbox } from './memory-inbox.ts';
import type { MemoryRuns } from './memory-runs.ts';
import { leaveSlot } from './memory-slots.ts';
import { copy, type MemoryTables } from './memory-tables.ts';
import { after } from './memory-time.ts';

/**
 * `MemoryStore`'s history and the fenced writes that append to it: `commit` (with a conditional close
 * or release) and `continueAsNew`, each all or nothing, as one Postgres statement is.
 */
export class MemoryCommits {
  constructor(
    private readonly tables: MemoryTables,
    private readonly inbox: MemoryInbox,
    private readonly runs: MemoryRuns,
  ) {}

  async loadHistory(runId: string, afterSeq = -1, beforeSeq = Infinity): Promise<RecordedEvent[]> {
    const history = this.tables.runs.get(runId)?.history ?? [];
    return copy(history.filter((e) => e.seq > afterSeq && e.seq < beforeSeq));
  }

  async commit(req: CommitRequest): Promise<CommitOutcome> {
    const run = this.tables.runs.get(req.runId);
    if (!run || run.fencingToken !== req.fencingToken || run.leaseOwner === null) return 'lost';
    // Checked before anything changes: a rejected commit applies nothing, as a rolled-back transaction.
    req.events.forEach((e, i) => {
      const next = run.history.length + i;
      if (e.seq !== next)
        throw new Error(
          `Cannot append seq ${e.seq} to the history of run ${req.runId}: the next position is ${next}`,
        );
    });
    if (req.close && run.inboxVersion !== req.close.inboxVersion) return 'unread';
    run.history.push(...req.events.map(copy));
    if (req.events.some((e) => e.type === 'update_completed'))
      this.tables.emit((l) => l.onUpdate?.(run.workflowId));
    run.inbox = run.inbox.filter((i) => !req.consumedInbox.includes(i.id));
    run.updatedAt = req.now;
    run.status = req.close?.status ?? 'running';
    run.parkedError = undefined;
    run.parkAttempts = 0;
    if (req.close) {
      Object.assign(run, {
        result: copy(req.close.result),
        error: copy(req.close.error),
        closedAt: req.now,
        readyAt: null,
        leaseOwner: null,
      });
      leaveSlot(this.tables, run, req.now);
      this.inbox.tellParent(
        run,
        { status: req.close.status, result: req.close.result, error: req.close.error },
        req.now,
      );
      this.tables.closed(run);
      this.runs.parentClosed(run.runId, req.now);
      return 'ok';
    }
    if (req.release && run.inboxVersion === req.release.inboxVersion) {
      run.leaseOwner = null;
      run.readyAt = req.release.readyAt;
      return 'ok';
    }
    if (req.leaseMs !== undefined) run.readyAt = after(this.tables.storeNow(req.now), req.leaseMs);
    return req.release ? 'kept' : 'ok';
  }

  async continueAsNew(req: ContinueRequest) {
    const run = this.tables.runs.get(req.runId);
    if (!run || run.fencingToken !== req.fencingToken || run.leaseOwner === null) return 'lost' as const;
    if (run.inboxVersion !== req.inboxVersion) return 'unread' as const;
    run.history.push(...req.events.map(copy));
    // signals, cancel requests and updates the old run never read go to its successor; nothing else does
    const carried = (req.carriedSignals ?? []).map(({ name, payload }) => ({
      id: this.tables.inboxId(),
      kind: 'signal' as const,
      name,
      payload: copy(payload),
    }));
    const unread = run.inbox.filter(
      (i) => !req.consumedInbox.includes(i.id) && ['signal', 'cancel', 'update'].includes(i.kind),
    );
    // Handed on with ids in their new order, as the Postgres store inserts them.
    const handedOn = [...carried, ...unread.map((i) => ({ ...i, id: this.tables.inboxId() }))];
    run.inbox = [];
    Object.assign(run, {
      status: 'continued',
      result: { continuedAs: req.newRunId },
      closedAt: req.now,
      updatedAt: req.now,
      readyAt: null,
      leaseOwner: null,
    });
    const slot = run.slot;
    leaveSlot(this.tables, run, req.now);
    const input = copy(req.input);
    this.tables.runs.set(req.newRunId, {
      ...run,
      runId: req.newRunId,
      status: 'running',
      input,
      result: undefined,
      closedAt: undefined,
      parkedError: undefined,
      parkAttempts: 0,
      readyAt: this.tables.storeNow(req.now),
      fencingToken: 0,
      inboxVersion: 0,
      history: [
        {
          type: 'workflow_started',
          workflowType: run.type,
          input,
          ...(req.trace ? { trace: copy(req.trace) } : {}),
          seq: 0,
          at: req.now.toISOString(),
        },
      ],
      inbox: handedOn,
      createdAt: req.now,
      updatedAt: req.now,
      order: this.tables.order(),
      slot, // its predecessor's
      debounceKey: undefined,
      throttleKey: undefined,
    });
    this.tables.emit((l) => l.onWake?.(req.newRunId));
    this.tables.emit((l) => l.onUpdate?.(run.workflowId));
    this.runs.parentClosed(run.runId, req.now);
    return 'ok' as const;
  }
}

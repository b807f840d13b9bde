import { type Json, OPEN_STATUSES, type ResetOutcome, type ResetRequest } from '@reel/sdk';
import type { MemoryInbox } from './memory-inbox.ts';
import type { MemoryRuns } from './memory-runs.ts';
import { admit, leaveSlot } from './memory-slots.ts';
import { copy, type MemoryTables, type Run } from './memory-tables.ts';
import type { MemoryTasks } from './memory-tasks.ts';

/** `MemoryStore`'s operator actions, as the Postgres store's `RETRY_NOW` and reset transaction do them. */
export class MemoryOperations {
  constructor(
    private readonly tables: MemoryTables,
    private readonly inbox: MemoryInbox,
    private readonly tasks: MemoryTasks,
    private readonly runs: MemoryRuns,
  ) {}

  async retryNow(workflowId: string, now: Date): Promise<boolean | undefined> {
    const run = this.tables.latest(workflowId);
    if (!run) return undefined;
    if (!OPEN_STATUSES.includes(run.status)) return false;
    run.inbox.push({ id: this.tables.inboxId(), kind: 'retry', name: null, payload: null });
    run.inboxVersion++;
    run.updatedAt = now;
    // parked or waiting, if no worker holds it (a delayed start keeps its start time)
    if (run.leaseOwner === null && run.fencingToken > 0) run.readyAt = this.tables.storeNow(now);
    this.tables.wake(run);
    this.tasks.dueNow(run.runId, now);
    return true;
  }

  async reset(req: ResetRequest): Promise<ResetOutcome> {
    const { runs } = this.tables;
    const old = runs.get(req.runId);
    if (!old || old.workflowId !== req.workflowId) return 'not_found';
    if (old.history.length !== req.historyLength) return 'changed';
    const elsewhere = [...runs.values()].some(
      (r) => r.workflowId === req.workflowId && r.runId !== old.runId && OPEN_STATUSES.includes(r.status),
    );
    if (elsewhere) return 'open_elsewhere';
    const open = OPEN_STATUSES.includes(old.status);
    const reason = req.reason === undefined ? {} : { reason: req.reason };
    const kept = old.history.slice(0, req.toEvent + 1);
    const keptChildren = new Set(kept.flatMap((e) => (e.type === 'child_scheduled' ? [e.cmd] : [])));
    const signals = old.history
      .slice(req.toEvent + 1)
      .flatMap((e) =>
        e.type === 'signal_received'
          ? [{ kind: 'signal' as const, name: e.name, payload: copy(e.payload) }]
          : [],
      );
    const unread = open ? old.inbox.filter((i) => ['signal', 'cancel', 'update'].includes(i.kind)) : [];
    // the kept children (every run of their chains) report to the new run; a closed one whose outcome
    // the kept events lack gives it now, as its close gave it to the old run
    const settled = new Set(
      kept.flatMap((e) => (e.type === 'child_completed' || e.type === 'child_failed' ? [e.cmd] : [])),
    );
    const adopted = [...runs.values()].filter(
      (c) => c.parent?.runId === old.runId && keptChildren.has(c.parent.cmd),
    );
    const outcomes = adopted.flatMap((c) =>
      ['completed', 'failed', 'cancelled', 'terminated'].includes(c.status) &&
      !settled.has(c.parent?.cmd ?? -1)
        ? [
            {
              kind: 'child' as const,
              name: null,
              payload: copy({
                cmd: c.parent?.cmd,
                status: c.status,
                result: c.result ?? null,
                error: c.error ?? null,
              }) as unknown as Json,
            },
          ]
        : [],
    );
    const successor: Run = {
      runId: req.newRunId,
      workflowId: old.workflowId,
      type: old.type,
      status: 'running',
      input: copy(old.input),
      attributes: copy(old.attributes),
      parent: old.parent && { ...old.parent },
      readyAt: this.tables.storeNow(req.now),
      leaseOwner: null,
      fencingToken: 0,
      inboxVersion: 0,
      history: [
        ...kept.map(copy),
        {
          type: 'reset_point',
          fromRunId: old.runId,
          toEvent: req.toEvent,
          seed: req.seed,
          ...reason,
          seq: req.toEvent + 1,
          at: req.now.toISOString(),
        },
      ],
      inbox: [...signals, ...unread, ...outcomes].map((i) => ({ ...copy(i), id: this.tables.inboxId() })),
      parkAttempts: 0,
      createdAt: req.now,
      updatedAt: req.now,
      order: this.tables.order(),
      ...(old.concurrency ? { concurrency: { ...old.concurrency } } : {}),
      ...(old.priority ? { priority: old.priority } : {}),
    };
    runs.set(req.newRunId, successor);
    old.resetTo = req.newRunId;
    old.updatedAt = req.now;
    for (const child of adopted) if (child.parent) child.parent.runId = req.newRunId;
    if (open) {
      old.history.push({
        type: 'workflow_reset',
        newRunId: req.newRunId,
        toEvent: req.toEvent,
        ...reason,
        seq: old.history.length,
        at: req.now.toISOString(),
      });
      Object.assign(old, {
        status: 'reset',
        closedAt: req.now,
        readyAt: null,
        leaseOwner: null,
        parkedError: undefined,
        inbox: [],
      });
      old.fencingToken++;
      leaveSlot(this.tables, old, req.now);
      this.tasks.delete(old.runId);
      this.tables.closed(old);
      this.runs.parentClosed(old.runId, req.now);
    }
    // admitted as a new start is, once the old run's close freed its slot
    admit(this.tables, successor);
    if (successor.slot !== 'waiting') this.tables.emit((l) => l.onWake?.(req.newRunId));
    return 'ok';
  }
}

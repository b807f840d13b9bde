import { OPEN_STATUSES, type StartRequest, type StartResult } from '@reel/sdk';
import { MemoryBatches } from './memory-batches.ts';
import { MemoryCommits } from './memory-commits.ts';
import { MemoryInbox } from './memory-inbox.ts';
import { MemoryLeases } from './memory-leases.ts';
import { MemoryOperations } from './memory-operations.ts';
import { MemoryRuns } from './memory-runs.ts';
import { MemorySchedules } from './memory-schedules.ts';
import type { MemoryTables } from './memory-tables.ts';
import { MemoryTasks } from './memory-tasks.ts';
import { MemoryUpdates } from './memory-updates.ts';
import { MemoryWorkers } from './memory-workers.ts';

/** The memory store's parts, one per concept as in the Postgres store, over one set of tables. */
export interface MemoryParts {
  inbox: MemoryInbox;
  tasks: MemoryTasks;
  runs: MemoryRuns;
  schedules: MemorySchedules;
  leases: MemoryLeases;
  commits: MemoryCommits;
  workers: MemoryWorkers;
  batches: MemoryBatches;
  operations: MemoryOperations;
  updates: MemoryUpdates;
}

/** Makes the parts over `tables`, wired to each other; `start` starts a schedule's runs. */
export function memoryParts(
  tables: MemoryTables,
  start: (req: StartRequest) => Promise<StartResult>,
): MemoryParts {
  const inbox = new MemoryInbox(tables);
  const tasks = new MemoryTasks({
    leased: (lease) => {
      const run = tables.runs.get(lease.runId);
      return run?.fencingToken === lease.fencingToken && run.leaseOwner !== null;
    },
    openWorkflowId: (runId) => {
      const run = tables.runs.get(runId);
      return run && OPEN_STATUSES.includes(run.status) ? run.workflowId : undefined;
    },
    runPriority: (runId) => tables.runs.get(runId)?.priority ?? 0,
    resultWaiting: (runId, cmd, attempt) =>
      (tables.runs.get(runId)?.inbox ?? []).some((i) => {
        const p = i.payload as { cmd?: number; attempt?: number } | null;
        return i.kind === 'activity_result' && p?.cmd === cmd && p?.attempt === attempt;
      }),
    deliver: (runId, item, now) => {
      const run = tables.runs.get(runId);
      if (run && OPEN_STATUSES.includes(run.status)) inbox.deliver(run, item, now);
    },
    emit: (send) => tables.emit(send),
    storeNow: (now) => tables.storeNow(now),
  });
  const runs = new MemoryRuns(tables, inbox, tasks);
  const schedules = new MemorySchedules({
    knownType: (type) => tables.types.has(type),
    isOpen: (workflowId) => {
      const run = tables.latest(workflowId);
      return run !== undefined && OPEN_STATUSES.includes(run.status);
    },
    start,
  });
  const leases = new MemoryLeases(tables);
  const commits = new MemoryCommits(tables, inbox, runs);
  const workers = new MemoryWorkers(tables);
  const batches = new MemoryBatches({
    enqueue: (workflowId, op, now) =>
      inbox.enqueue(
        workflowId,
        op.kind === 'signal'
          ? { kind: 'signal', name: op.name, payload: op.payload }
          : { kind: 'cancel', name: null, payload: op.kind === 'cancel' ? (op.reason ?? null) : null },
        now,
      ),
    terminate: (workflowId, reason, now) => runs.terminate(workflowId, reason, now),
    storeNow: (now) => tables.storeNow(now),
  });
  const operations = new MemoryOperations(tables, inbox, tasks, runs);
  const updates = new MemoryUpdates(tables, inbox);
  return { inbox, tasks, runs, schedules, leases, commits, workers, batches, operations, updates };
}

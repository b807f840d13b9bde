import type { MemoryTables, Run } from './memory-tables.ts';

// Concurrency slots, as the triggers of the Postgres store's 0015_flow_control.sql keep them.

const holders = (tables: MemoryTables, key: string) =>
  [...tables.runs.values()].filter((r) => r.slot === 'held' && r.concurrency?.key === key).length;

/** A new run with a concurrency key takes a slot, or waits for one unclaimable (`admit_to_slot`). */
export function admit(tables: MemoryTables, run: Run): void {
  if (!run.concurrency) return;
  if (holders(tables, run.concurrency.key) < run.concurrency.limit) {
    run.slot = 'held';
    return;
  }
  Object.assign(run, { slot: 'waiting', readyAt: null, leaseOwner: null, fencingToken: 0 });
}

/**
 * A run that closed leaves its slot; a holder that did not continue as new hands it to its key's
 * oldest waiters, which become claimable now (`leave_slot`, `hand_over_slot`).
 */
export function leaveSlot(tables: MemoryTables, run: Run, now: Date): void {
  const held = run.slot === 'held';
  run.slot = undefined;
  const key = run.concurrency?.key;
  if (!held || key === undefined || run.status === 'continued') return;
  for (;;) {
    const next = [...tables.runs.values()]
      .filter((r) => r.slot === 'waiting' && r.concurrency?.key === key)
      .sort((a, b) => a.order - b.order)[0];
    if (!next?.concurrency || holders(tables, key) >= next.concurrency.limit) return;
    next.slot = 'held';
    next.readyAt = tables.storeNow(now);
    tables.emit((l) => l.onWake?.(next.runId));
  }
}

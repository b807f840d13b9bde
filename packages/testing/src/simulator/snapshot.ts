import type { InboxItem, RecordedEvent, Store, WorkflowDescription } from '@reel/sdk';

/** A run as the store left it when the scenario ended. */
export interface RunState {
  run: WorkflowDescription;
  history: RecordedEvent[];
  inbox: InboxItem[];
}

/** Every run the store holds, read through the port once the simulation has stopped. */
export interface StoreSnapshot {
  runs: Map<string, RunState>;
}

export const OPEN_STATUSES = ['running', 'parked'];

export async function readSnapshot(store: Store): Promise<StoreSnapshot> {
  const runs = new Map<string, RunState>();
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const run of page.items) {
      const [history, inbox] = await Promise.all([store.loadHistory(run.runId), store.readInbox(run.runId)]);
      runs.set(run.runId, { run, history, inbox: inbox.items });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { runs };
}

/** The command events of a history, by command number. */
export function commands(history: RecordedEvent[]): Map<number, RecordedEvent> {
  const byCmd = new Map<number, RecordedEvent>();
  for (const e of history)
    if (e.type === 'activity_scheduled' || e.type === 'timer_started' || e.type === 'child_scheduled')
      byCmd.set(e.cmd, e);
  return byCmd;
}

/** `workflow_started`'s link to the parent, for a child's first run. */
export function parentOf(state: RunState): { runId: string; cmd: number } | undefined {
  const first = state.history[0];
  return first?.type === 'workflow_started' ? first.parent : undefined;
}

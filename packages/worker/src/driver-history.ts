import type { RecordedEvent, Store, WorkflowExecution } from '@reel/sdk';

/** Events in the first page of a history; each next page asks for twice as many as the one before. */
export const FIRST_PAGE = 1000;

/**
 * Loads a claimed run's history and replays it as it loads: the first page is replayed while the
 * second loads, and so on, so that loading a long history (a third of a resume of 10,000 events, read
 * at once) overlaps its replay. Pages double in size, so each loads in less time than the one before
 * takes to replay. `replayer(history, partial)` builds the execution; a replay that cannot go on from
 * part of the history (`WorkflowExecution.extend`) is made again from the whole. Returns an execution
 * of the whole history, its last page not yet delivered.
 */
export async function replayWhileLoading(
  store: Store,
  runId: string,
  replayer: (history: RecordedEvent[], partial: boolean) => WorkflowExecution,
): Promise<WorkflowExecution> {
  let history = await store.loadHistory(runId, undefined, FIRST_PAGE);
  if (history.length < FIRST_PAGE) return replayer(history, false);
  let exec: WorkflowExecution | undefined = replayer(history, true);
  for (let size = 2 * FIRST_PAGE; ; size *= 2) {
    const next = store.loadHistory(runId, history.length - 1, history.length + size);
    next.catch(() => undefined); // awaited below, unless the replay fails first
    await exec?.advance();
    const page = await next;
    history = history.concat(page);
    const last = page.length < size;
    if (exec && !exec.extend(page, last)) exec = undefined;
    if (last) return exec ?? replayer(history, false);
  }
}

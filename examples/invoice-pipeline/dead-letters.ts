import type { Client, HistoryEvent, RecordedEvent, WorkflowHandle } from '@reel/sdk';

/** A run that failed for good and has not been retried. */
export interface DeadLetter {
  workflowId: string;
  runId: string;
  /** The step that failed, if one did: its activity name. */
  step?: string;
  error: string;
  failedAt: Date;
}

/**
 * The dead-letter list of a workflow type: its failed runs, newest first. `latest: true` leaves out
 * those already retried: a reset starts a new run of the id, and the failed run is no longer its latest.
 */
export async function listDeadLetters(client: Client, type: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.list({ type, status: 'failed', latest: true, limit: 100, cursor });
    for (const run of page.items) {
      const { events } = await client.history(run.workflowId, { runId: run.runId });
      letters.push({
        workflowId: run.workflowId,
        runId: run.runId,
        step: failedStep(events)?.name,
        error: run.error?.message ?? 'unknown error',
        failedAt: run.closedAt ?? run.updatedAt,
      });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return letters;
}

/**
 * Retries a dead letter with a reset to just before the step that failed: the steps that
 * succeeded are kept, not run again (no second invoice), and the failed step and the rest run
 * anew with the code deployed now. A run that failed outside a step starts over from its input.
 */
export async function retryDeadLetter(client: Client, letter: DeadLetter): Promise<WorkflowHandle<unknown>> {
  const { events } = await client.history(letter.workflowId, { runId: letter.runId });
  const step = failedStep(events);
  return client.reset(letter.workflowId, {
    runId: letter.runId,
    toEvent: step ? step.seq - 1 : 0,
    reason: 'retried from the dead-letter list',
  });
}

/** The scheduling of the activity whose failure failed the run, if one did. */
function failedStep(events: RecordedEvent[]) {
  const failed = events.find((e) => e.type === 'activity_failed');
  return events.find(
    (e): e is RecordedEvent & Extract<HistoryEvent, { type: 'activity_scheduled' }> =>
      e.type === 'activity_scheduled' && e.cmd === failed?.cmd,
  );
}

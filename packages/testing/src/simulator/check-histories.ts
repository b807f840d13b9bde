import { isDeepStrictEqual } from 'node:util';
import { CLOSING_EVENTS, type RecordedEvent } from '@reel/sdk';
import { replayHistory } from '../replay.ts';
import type { Violation } from './ledger.ts';
import { type Prediction, predict } from './models.ts';
import { OPEN_STATUSES, type RunState, type StoreSnapshot } from './snapshot.ts';
import { simWorkflows } from './workflows.ts';

/**
 * Invariant 7: every history is contiguous (seq 0..n-1), replays against the workflow's code to the
 * same commands and ending (`replayHistory`), and ends as the workflow's plain model predicts from
 * its input and the input events it received. A saga that did not complete compensated every leg
 * it booked.
 */
export async function checkHistories(snapshot: StoreSnapshot): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const state of snapshot.runs.values()) {
    const { run, history } = state;
    const where = `${run.workflowId} run ${run.runId}`;
    const gap = history.findIndex((e, i) => e.seq !== i);
    if (gap >= 0) {
      violations.push({
        invariant: 7,
        kind: 'history-gap',
        message: `${where}: event ${gap} has seq ${history[gap]?.seq}`,
      });
      continue;
    }
    const fn = simWorkflows[run.type as keyof typeof simWorkflows];
    // A terminated (or reset) run's history is an ordinary one up to its closing event, which no code reacted to.
    const events = history.filter((e) => e.type !== 'workflow_terminated' && e.type !== 'workflow_reset');
    try {
      await replayHistory(fn, {
        workflowId: run.workflowId,
        runId: run.runId,
        workflowType: run.type,
        events,
      });
    } catch (err) {
      violations.push({
        invariant: 7,
        kind: 'replay-diverges',
        message: `${where}: ${(err as Error).message}`,
      });
      continue;
    }
    const problem = outcomeProblem(state);
    if (problem)
      violations.push({ invariant: 7, kind: 'outcome-differs-from-model', message: `${where}: ${problem}` });
    const undone = uncompensated(state);
    if (undone.length > 0)
      violations.push({
        invariant: 7,
        kind: 'saga-not-compensated',
        message: `${where} closed as ${run.status} without undoing ${undone.join(', ')}`,
      });
  }
  return violations;
}

function outcomeProblem({ run, history }: RunState): string | undefined {
  const ending = history.find((e) => CLOSING_EVENTS.has(e.type));
  if (!ending || ending.type === 'workflow_terminated' || ending.type === 'workflow_reset') return undefined;
  const expected = predict(run.type, run.workflowId, history);
  if (!expected) return `it ended with ${show(ending)}, but by the model it still waits`;
  return matches(expected, ending)
    ? undefined
    : `it ended with ${show(ending)}, the model predicts ${JSON.stringify(expected)}`;
}

function matches(expected: Prediction, ending: RecordedEvent): boolean {
  if (expected.type !== ending.type) return false;
  const json = (v: unknown) => JSON.parse(JSON.stringify(v ?? null));
  if (expected.type === 'workflow_completed' && ending.type === 'workflow_completed')
    return isDeepStrictEqual(json(expected.result), json(ending.result));
  if (expected.type === 'workflow_continued_as_new' && ending.type === 'workflow_continued_as_new')
    return isDeepStrictEqual(json(expected.input), json(ending.input));
  if (expected.type === 'workflow_failed' && ending.type === 'workflow_failed')
    return ending.error.code === expected.code;
  return true;
}

function show(e: RecordedEvent): string {
  const { seq: _seq, at: _at, ...rest } = e;
  return JSON.stringify(rest, (k, v) => (k === 'stack' ? undefined : v));
}

/** The legs a trip booked and did not unbook, if it did not complete. */
function uncompensated({ run, history }: RunState): string[] {
  if (run.type !== 'trip' || ['completed', 'terminated', 'reset'].includes(run.status)) return [];
  const booked = history.flatMap((e) =>
    e.type === 'activity_completed' && typeof e.result === 'string' && e.result.startsWith('bk:')
      ? [e.result]
      : [],
  );
  const unbooked = new Set(
    history.flatMap((e) => (e.type === 'activity_scheduled' && e.name === 'unbook' ? [e.args[0]] : [])),
  );
  return OPEN_STATUSES.includes(run.status) ? [] : booked.filter((b) => !unbooked.has(b));
}

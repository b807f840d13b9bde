import { isDeepStrictEqual } from 'node:util';
import { ErrorCodes, type RecordedEvent } from '@reel/sdk';
import type { Ledger, Violation } from './ledger.ts';
import { accountCommands } from './models.ts';
import type { StoreSnapshot } from './snapshot.ts';
import { traceJson } from './trace.ts';

type Accepted = Extract<RecordedEvent, { type: 'update_accepted' }>;
type Completed = Extract<RecordedEvent, { type: 'update_completed' }>;

/** Where an update id is in the histories of its workflow id: the events each run recorded itself. */
interface Recorded {
  accepted: { runId: string; event: Accepted; history: RecordedEvent[] }[];
  completed: { runId: string; event: Completed }[];
}

/**
 * Invariant 8: an update is accepted and completed at most once per workflow id, whatever crashes,
 * continue-as-new and resets; a call that returned a result finds it recorded, the same for every
 * call of its id; a refused one left no trace in history, and one told the run closed has no
 * outcome in the runs it could reach. The handler (`audit`) saw the state the events before its
 * update made: the steps completed before `update_accepted`.
 */
export function checkUpdates(ledger: Ledger, snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  const found = new Map<string, Recorded>();
  const at = (id: string) => {
    if (!found.has(id)) found.set(id, { accepted: [], completed: [] });
    return found.get(id) as Recorded;
  };
  for (const { run, history } of snapshot.runs.values()) {
    // A reset run's events before its last reset_point are copies of the run it was reset from.
    const own = history.findLastIndex((e) => e.type === 'reset_point') + 1;
    for (const event of history.slice(own)) {
      if (event.type === 'update_accepted')
        at(`${run.workflowId}/${event.updateId}`).accepted.push({ runId: run.runId, event, history });
      if (event.type === 'update_completed')
        at(`${run.workflowId}/${event.updateId}`).completed.push({ runId: run.runId, event });
    }
  }
  const violation = (kind: string, message: string) => violations.push({ invariant: 8, kind, message });
  for (const [key, { accepted, completed }] of found) {
    if (accepted.length > 1 || completed.length > 1)
      violation(
        'update-applied-twice',
        `update ${key} was accepted in runs ${accepted.map((a) => a.runId).join(', ') || '-'} and completed in runs ${completed.map((c) => c.runId).join(', ') || '-'}`,
      );
    for (const { runId, event, history } of accepted) {
      const result = history.find(
        (e): e is Completed => e.type === 'update_completed' && e.updateId === event.updateId,
      )?.result;
      const expected = { done: stepsBefore(history, event.seq), ref: `nt:${key}` };
      if (result !== undefined && !isDeepStrictEqual(result, expected))
        violation(
          'update-saw-other-state',
          `update ${key} in run ${runId} answered ${traceJson(result)}, but the events before it made ${traceJson(expected)}`,
        );
    }
  }
  for (const call of ledger.updates) {
    const key = `${call.workflowId}/${call.updateId}`;
    const recorded = found.get(key);
    const where = `update ${key}`;
    if ('result' in call.outcome) {
      const outcome = recorded?.completed[0]?.event;
      if (!outcome)
        violation(
          'update-result-not-recorded',
          `${where} returned ${traceJson(call.outcome.result)}, which no history records`,
        );
      else if (!isDeepStrictEqual(outcome.result, call.outcome.result))
        violation(
          'update-result-differs',
          `${where} returned ${traceJson(call.outcome.result)}; run ${recorded?.completed[0]?.runId} recorded ${traceJson(outcome.result)}`,
        );
    } else if (call.outcome.code === ErrorCodes.UPDATE_REJECTED && recorded?.accepted.length)
      violation(
        'rejected-update-recorded',
        `${where} was refused, but run ${recorded.accepted[0]?.runId} accepted it`,
      );
    else if (call.outcome.code === ErrorCodes.WORKFLOW_CLOSED) {
      // Told closed: the runs it could reach then (the newest and its successors) never completed it.
      // A run made later (a reset of the closed one) may take the same id from another call.
      const reachable = call.newest ? ledger.continuation(call.newest) : [];
      const done = recorded?.completed.find((c) => reachable.includes(c.runId));
      if (done)
        violation(
          'completed-update-told-closed',
          `${where} was told its run closed, but run ${done.runId} completed it`,
        );
    }
  }
  return violations;
}

/** The steps of an account's run that completed before event `seq` (its `done` then). */
function stepsBefore(history: RecordedEvent[], seq: number): number {
  const { stepCmds } = accountCommands(history);
  return history.filter((e) => e.seq < seq && e.type === 'activity_completed' && stepCmds.includes(e.cmd))
    .length;
}

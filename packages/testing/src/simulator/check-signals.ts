import type { RecordedEvent } from '@reel/sdk';
import type { Ledger, Violation } from './ledger.ts';
import { OPEN_STATUSES, type StoreSnapshot } from './snapshot.ts';
import { signalId } from './store-checks.ts';
import { traceJson } from './trace.ts';

/**
 * Invariant 1: a signal whose send returned is in the history of the run it reached, or of that
 * run's continue-as-new (or reset) successor, exactly once (a reset run's copies of its origin's
 * events, and the signals it delivers again, are not deliveries of its own); and no closed run keeps input in its inbox (a
 * terminated run excepted: no code of it ran to read its input).
 */
export function checkSignals(ledger: Ledger, snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  const inHistory = new Map<string, string[]>();
  const inInbox = new Map<string, string>();
  for (const { run, history, inbox } of snapshot.runs.values()) {
    for (const id of delivered(history, snapshot))
      inHistory.set(id, [...(inHistory.get(id) ?? []), run.runId]);
    for (const item of inbox) {
      const id = item.kind === 'signal' ? signalId(item.payload) : undefined;
      if (id) inInbox.set(id, run.runId);
    }
    const closed = !OPEN_STATUSES.includes(run.status) && run.status !== 'terminated';
    const others = inbox.filter((i) => i.kind !== 'signal');
    if (closed && others.length > 0)
      violations.push({
        invariant: 1,
        kind: 'input-left-in-inbox',
        message: `${run.workflowId} run ${run.runId} closed as ${run.status} over ${others.length} unread inbox item(s): ${others.map((i) => `${i.kind} ${traceJson(i.payload)}`).join('; ')}`,
      });
  }
  for (const [id, sent] of ledger.signals) {
    if (!sent.accepted) continue;
    const runs = inHistory.get(id) ?? [];
    const where = `${sent.workflowId}: signal ${id}`;
    if (runs.length > 1) {
      violations.push({
        invariant: 1,
        kind: 'signal-delivered-twice',
        message: `${where} is in the history of runs ${runs.join(', ')}`,
      });
      continue;
    }
    const [delivered] = runs;
    if (delivered) {
      if (sent.target && !ledger.continuation(sent.target).includes(delivered))
        violations.push({
          invariant: 4,
          kind: 'signal-reached-other-run',
          message: `${where} was taken when run ${sent.target} was the newest, but is in the history of run ${delivered}`,
        });
      continue;
    }
    const waiting = inInbox.get(id);
    const state = waiting ? snapshot.runs.get(waiting) : undefined;
    if (state && OPEN_STATUSES.includes(state.run.status)) continue; // a stranded run: invariant 6 says so
    if (state?.run.status === 'terminated') continue;
    const chain = sent.target ? ledger.continuation(sent.target) : [];
    if (!state && chain.some((r) => snapshot.runs.get(r)?.run.status === 'terminated')) continue;
    violations.push({
      invariant: 1,
      kind: state ? 'signal-left-in-inbox' : 'signal-lost',
      message: state
        ? `${where} was accepted but left in the inbox of run ${state.run.runId}, which closed as ${state.run.status} without reading it`
        : `${where} was accepted (by run ${sent.target ?? '?'}) but is in no history or inbox`,
    });
  }
  return violations;
}

/**
 * The ids of the signals a run's history delivered first: after its last `reset_point`, if it has one
 * (what precedes it is copied from the run it was reset from), and not delivered again by the reset
 * (in that run's history after the point).
 */
function delivered(history: RecordedEvent[], snapshot: StoreSnapshot): string[] {
  const at = history.findLastIndex((e) => e.type === 'reset_point');
  const point = history[at];
  const origin = point?.type === 'reset_point' ? snapshot.runs.get(point.fromRunId)?.history : undefined;
  const again = new Set(
    (origin ?? []).flatMap((e) =>
      point?.type === 'reset_point' && e.seq > point.toEvent && e.type === 'signal_received'
        ? [signalId(e.payload)]
        : [],
    ),
  );
  return history.slice(at + 1).flatMap((e) => {
    const id = e.type === 'signal_received' ? signalId(e.payload) : undefined;
    return id && !again.has(id) ? [id] : [];
  });
}

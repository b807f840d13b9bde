import type { RecordedEvent } from '@reel/sdk';
import type { Violation } from './ledger.ts';
import { parentOf, type RunState, type StoreSnapshot } from './snapshot.ts';

/**
 * Invariant 3: each `child_scheduled` in a parent's history has exactly one run (none only when the
 * child could not start, or the parent was cancelled or terminated before it started), and a run
 * hears only about its own children: each child outcome it records is for a child it scheduled,
 * once. A child under `terminate` ends with its parent (`checkPolicy`). (That a continue-as-new
 * successor inherits no child or activity outcome from its predecessor's inbox is checked at the
 * store, as the run continues: `StoreChecks`.)
 */
export function checkChildren(snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  const startedBy = new Map<string, RunState[]>();
  for (const state of snapshot.runs.values()) {
    const parent = parentOf(state);
    if (!parent) continue;
    const key = `${parent.runId}#${parent.cmd}`;
    startedBy.set(key, [...(startedBy.get(key) ?? []), state]);
  }
  for (const { run, history } of snapshot.runs.values()) {
    const where = `${run.workflowId} run ${run.runId}`;
    const scheduled = new Map<number, string>();
    const outcomes = new Set<number>();
    // A reset run's copied events are the run it was reset from: their children are checked there.
    const copied = history.findLastIndex((e) => e.type === 'reset_point');
    const copiedChildren = new Set(
      history.slice(0, Math.max(copied, 0)).flatMap((e) => (e.type === 'child_scheduled' ? [e.cmd] : [])),
    );
    for (const e of history) {
      if (e.type === 'child_scheduled') scheduled.set(e.cmd, e.workflowId);
      if (e.type !== 'child_completed' && e.type !== 'child_failed') continue;
      if (!scheduled.has(e.cmd))
        violations.push({
          invariant: 3,
          kind: 'outcome-of-unknown-child',
          message: `${where} recorded ${e.type} for command ${e.cmd} at seq ${e.seq}, which is no child it scheduled`,
        });
      else if (outcomes.has(e.cmd))
        violations.push({
          invariant: 3,
          kind: 'child-outcome-twice',
          message: `${where} recorded a second outcome for child ${scheduled.get(e.cmd)} (command ${e.cmd}) at seq ${e.seq}`,
        });
      outcomes.add(e.cmd);
    }
    for (const [cmd, childId] of scheduled) {
      if (copiedChildren.has(cmd)) continue;
      const runs = startedBy.get(`${run.runId}#${cmd}`) ?? [];
      const started = history.some((e) => e.type === 'child_started' && e.cmd === cmd);
      const failedToStart =
        history.some((e) => e.type === 'child_failed' && e.cmd === cmd) && runs.length === 0;
      const stopped =
        !started &&
        (run.status === 'terminated' ||
          run.status === 'reset' ||
          history.some((e) => e.type === 'cancel_requested'));
      if (runs.length > 1)
        violations.push({
          invariant: 3,
          kind: 'child-started-twice',
          message: `${where}: child ${childId} (command ${cmd}) has ${runs.length} runs: ${runs.map((r) => r.run.runId).join(', ')}`,
        });
      else if (runs.length === 0 && !failedToStart && !stopped)
        violations.push({
          invariant: 3,
          kind: 'child-never-started',
          message: `${where} scheduled child ${childId} (command ${cmd}) and closed as ${run.status}, but no run of it was ever started`,
        });
    }
  }
  return [...violations, ...checkPolicy(snapshot)];
}

/** How a parent closes by its own commit, which reads every child outcome that came before. */
const OWN_CLOSES = ['completed', 'failed', 'cancelled', 'continued'];

/**
 * A child under `terminate` (the last run of its chain) whose parent closed by its own commit was
 * terminated, or closed first: then the parent, which never closes over unread input, recorded its
 * outcome. Otherwise it ran on past its parent's close, which missed it.
 */
function checkPolicy(snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  for (const { run } of snapshot.runs.values()) {
    const parent = run.parentRunId ? snapshot.runs.get(run.parentRunId) : undefined;
    if (!parent || !OWN_CLOSES.includes(parent.run.status)) continue;
    if (!['completed', 'failed', 'cancelled'].includes(run.status)) continue;
    const scheduled = parent.history.find(
      (e) => e.type === 'child_scheduled' && e.workflowId === run.workflowId,
    ) as Extract<RecordedEvent, { type: 'child_scheduled' }> | undefined;
    if (scheduled?.parentClosePolicy !== 'terminate') continue;
    const heard = parent.history.some(
      (e) => (e.type === 'child_completed' || e.type === 'child_failed') && e.cmd === scheduled.cmd,
    );
    if (!heard)
      violations.push({
        invariant: 3,
        kind: 'child-outlived-parent',
        message: `${run.workflowId} run ${run.runId} closed as ${run.status} under terminate, but its parent ${parent.run.workflowId} run ${parent.run.runId} closed as ${parent.run.status} without its outcome`,
      });
  }
  return violations;
}

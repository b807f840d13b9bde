import type { Attempt, Ledger, TaskClaim, Violation } from './ledger.ts';
import { OPEN_STATUSES, type RunState, type StoreSnapshot } from './snapshot.ts';

const OUTCOMES = ['activity_completed', 'activity_failed'];

/**
 * Invariant 2: each activity's outcome is recorded at most once, and no attempt starts after that
 * outcome is durable, after its run closed, or on a lease its worker no longer holds by the store's
 * clock; a task-queue attempt, on a claim of its task that is not its worker's newest or has lapsed
 * (it may start after its run closed, on a claim made before). Each attempt is compared with the
 * store's row of its run as the attempt started (its durable history is the first `historyLength`
 * events of the history the run ends with).
 */
export function checkAttempts(ledger: Ledger, snapshot: StoreSnapshot, startMs: number): Violation[] {
  const violations: Violation[] = [];
  for (const state of snapshot.runs.values()) violations.push(...recordedOnce(state));
  for (const a of ledger.attempts) {
    const state = snapshot.runs.get(a.runId);
    const problem = state && a.row && startProblem(a, state, ledger);
    if (problem)
      violations.push({
        invariant: 2,
        kind: problem.kind,
        message: `${a.workflowId} run ${a.runId}: ${a.process} started ${a.activity} '${a.key}' attempt ${a.attempt} at +${a.at - startMs} ms ${problem.why} (${circumstances(a)})`,
      });
  }
  return violations;
}

function startProblem(
  a: Attempt,
  state: RunState,
  ledger: Ledger,
): { kind: string; why: string } | undefined {
  const row = a.row;
  if (!row) return undefined;
  const scheduled = state.history.find(
    (e) => e.type === 'activity_scheduled' && e.name === a.activity && e.args[0] === a.key,
  );
  const cmd = scheduled && 'cmd' in scheduled ? scheduled.cmd : undefined;
  // A task-queue attempt runs on its task's claim, which the store makes only while the run is open.
  const claim = ledger.taskClaims.findLast(
    (c) => c.runId === a.runId && c.cmd === cmd && c.attempt === a.attempt && c.at <= a.at,
  );
  const holder = ledger.terminatedHolders.get(a.runId);
  const closedFromOutside = row.status === 'terminated' || row.status === 'reset';
  if (closedFromOutside && holder?.identity === a.identity && a.at < holder.until) return undefined;
  if (!claim && !OPEN_STATUSES.includes(row.status))
    return { kind: 'attempt-after-close', why: `after the run had closed (${row.status})` };
  const durable = state.history.slice(0, row.historyLength);
  if (cmd !== undefined) {
    const outcome = durable.find((e) => OUTCOMES.includes(e.type) && 'cmd' in e && e.cmd === cmd);
    if (outcome)
      return {
        kind: 'attempt-after-outcome',
        why: `after its outcome was durable (${outcome.type} at seq ${outcome.seq})`,
      };
    const failedAlready = durable.find(
      (e) => e.type === 'activity_retrying' && e.cmd === cmd && e.attempt >= a.attempt,
    );
    if (failedAlready)
      return {
        kind: 'attempt-already-recorded',
        why: `after that attempt's failure was durable (seq ${failedAlready.seq})`,
      };
  }
  if (claim) return claimProblem(a, claim, ledger);
  if (row.leaseOwner !== a.identity)
    return {
      kind: 'attempt-without-lease',
      why: `while the store gave the run's lease to ${ledger.nameOf(row.leaseOwner)}`,
    };
  if (row.readyAt === null || row.readyAt.getTime() <= a.at)
    return {
      kind: 'attempt-on-expired-lease',
      why: `on a lease that had expired by the store's clock (at ${row.readyAt?.toISOString()})`,
    };
  return undefined;
}

/** A task-queue attempt starts on its task's newest claim, held by its worker, before that claim lapses. */
function claimProblem(
  a: Attempt,
  claim: TaskClaim,
  ledger: Ledger,
): { kind: string; why: string } | undefined {
  if (claim.identity !== a.identity)
    return {
      kind: 'attempt-without-claim',
      why: `while the store gave its task's claim to ${ledger.nameOf(claim.identity)}`,
    };
  if (claim.until <= a.at)
    return {
      kind: 'attempt-on-expired-claim',
      why: `on a claim of its task that had lapsed by the store's clock (${a.at - claim.until} ms before)`,
    };
  return undefined;
}

/** An activity's outcome is recorded once, and nothing about it after. */
function recordedOnce(state: RunState): Violation[] {
  const seen = new Map<number, string>();
  const violations: Violation[] = [];
  for (const e of state.history) {
    if (!('cmd' in e) || !(OUTCOMES.includes(e.type) || e.type === 'activity_retrying')) continue;
    const before = seen.get(e.cmd);
    if (before)
      violations.push({
        invariant: 2,
        kind: 'outcome-recorded-twice',
        message: `${state.run.workflowId} run ${state.run.runId}: activity ${e.cmd} has ${e.type} at seq ${e.seq} after its ${before}`,
      });
    if (OUTCOMES.includes(e.type)) seen.set(e.cmd, `${e.type} at seq ${e.seq}`);
  }
  return violations;
}

/** What may explain it: a worker just back from a freeze (a zombie), or a worker's clock off. */
function circumstances(a: Attempt): string {
  const zombie =
    a.resumedAgo === undefined ? 'never frozen' : `resumed from a freeze ${a.resumedAgo} ms before`;
  const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms} ms`;
  const owner = a.ownerSkewMs === undefined ? '' : `, the lease holder's clock ${signed(a.ownerSkewMs)}`;
  return `${a.process} ${zombie}, its clock ${signed(a.skewMs)}${owner}`;
}

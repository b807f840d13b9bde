import { isDeepStrictEqual } from 'node:util';
import type { Ledger, Violation } from './ledger.ts';
import { OPEN_STATUSES, type StoreSnapshot } from './snapshot.ts';
import type { World } from './world.ts';

/**
 * Invariant 4, for `result()`: what a client's `result()` returned is the outcome of the last run of
 * the chain it followed (from the run its start returned, through continue-as-new), and that run had
 * closed. (Describe, signal, terminate and query by workflow id are checked at the store as they run.)
 */
export function checkResults(ledger: Ledger, snapshot: StoreSnapshot): Violation[] {
  const violations: Violation[] = [];
  for (const seen of ledger.results) {
    if (seen.status === 'timeout' || seen.runId === undefined) continue;
    const last = ledger.continuation(seen.runId).at(-1) as string;
    const run = snapshot.runs.get(last)?.run;
    if (!run) continue;
    const where = `${seen.workflowId}: result() from run ${seen.runId}`;
    if (OPEN_STATUSES.includes(run.status) || run.status === 'continued') {
      violations.push({
        invariant: 4,
        kind: 'result-before-close',
        message: `${where} returned ${seen.status} while the chain's last run ${last} is ${run.status}`,
      });
      continue;
    }
    const same =
      run.status === seen.status &&
      (seen.status !== 'completed' ||
        isDeepStrictEqual(JSON.parse(JSON.stringify(run.result ?? null)), seen.value ?? null));
    if (!same)
      violations.push({
        invariant: 4,
        kind: 'result-not-from-last-run',
        message: `${where} returned ${seen.status} ${JSON.stringify(seen.value)}, but the chain's last run ${last} closed as ${run.status} ${JSON.stringify(run.result ?? run.error?.message)}`,
      });
  }
  return violations;
}

/**
 * Invariant 6: once the faults stop, running on closes every run (every workflow of the simulator
 * ends by itself). A run still open at the horizon waits on nothing that will wake it.
 */
export function checkLiveness(world: World, snapshot: StoreSnapshot): Violation[] {
  if (world.stopReason === 'budget')
    return [
      {
        invariant: 6,
        kind: 'no-progress',
        message: `the simulation fired its whole event budget without settling (a busy loop?)`,
      },
    ];
  const violations: Violation[] = [];
  for (const { run, history, inbox } of snapshot.runs.values()) {
    if (!OPEN_STATUSES.includes(run.status)) continue;
    const last = history.at(-1);
    violations.push({
      invariant: 6,
      kind: 'stranded-run',
      message: `${run.workflowId} run ${run.runId} is still ${run.status} ${world.plan.horizonMs - world.plan.faultMs} ms after the faults stopped (last event ${last?.type} at seq ${last?.seq}, ${inbox.length} inbox item(s)${run.parked ? `, parked: ${run.parked.error.message}` : ''})`,
    });
  }
  return violations;
}

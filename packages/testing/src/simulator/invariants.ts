import type { Store } from '@reel/sdk';
import { checkAttempts } from './check-attempts.ts';
import { checkLiveness, checkResults } from './check-chains.ts';
import { checkChildren } from './check-children.ts';
import { checkHistories } from './check-histories.ts';
import { checkSignals } from './check-signals.ts';
import { checkUpdates } from './check-updates.ts';
import type { Violation } from './ledger.ts';
import { readSnapshot, type StoreSnapshot } from './snapshot.ts';
import type { World } from './world.ts';

/** What each invariant promises, for reports. */
export const INVARIANTS: Record<number, string> = {
  0: 'the simulator ran without an error of its own',
  1: 'an accepted signal reaches the history of its run (or its successor); no run closes over unread input',
  2: 'an activity outcome is recorded once; no attempt starts after it, after the run closed, or without the lease',
  3: 'each scheduled child has exactly one run and, under terminate, ends with its parent; a successor inherits only signals, cancels and updates',
  4: 'describe, signal, query and result by workflow id reach the newest run of its chain',
  5: 'a query never shows what is not durable',
  6: 'once the faults stop, every run closes (no stranded run)',
  7: 'histories are contiguous, belong to a run, replay, and end as the plain model predicts',
  8: 'an update is applied at most once per id, answers what history records, and saw the state before it',
  9: 'at most `limit` open runs of a concurrency key have started',
};

/** Checks every invariant on what the scenario left in the store and in its ledger. */
export async function checkInvariants(
  world: World,
  store: Store,
  tamper?: (snapshot: StoreSnapshot) => void,
): Promise<Violation[]> {
  const snapshot = await readSnapshot(store);
  tamper?.(snapshot);
  const violations = [
    ...world.ledger.violations,
    ...checkSignals(world.ledger, snapshot),
    ...checkUpdates(world.ledger, snapshot),
    ...checkAttempts(world.ledger, snapshot, world.startMs),
    ...checkChildren(snapshot),
    ...checkResults(world.ledger, snapshot),
    ...checkLiveness(world, snapshot),
    ...(await checkHistories(snapshot)),
  ];
  return violations.sort((a, b) => a.invariant - b.invariant);
}

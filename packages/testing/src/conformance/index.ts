import { describe } from 'vitest';
import { activityLimitBehaviour } from './activity-limits.ts';
import { batchBehaviour } from './batches.ts';
import { claimBehaviour } from './claims.ts';
import { closeAndParkBehaviour } from './close-and-park.ts';
import { coalescingBehaviour } from './coalescing.ts';
import { concurrencyBehaviour } from './concurrency.ts';
import { continueAsNewBehaviour } from './continue-as-new.ts';
import { databaseClockBehaviour } from './database-clock.ts';
import { describeListBehaviour } from './describe-list.ts';
import { fencingBehaviour } from './fencing.ts';
import { createHarness, type StoreFactory, storePerTest } from './harness.ts';
import { historyBehaviour } from './history.ts';
import { inboxBehaviour } from './inbox.ts';
import { notificationBehaviour } from './notifications.ts';
import { operatorActionBehaviour } from './operator-actions.ts';
import { parentCloseBehaviour } from './parent-close.ts';
import { priorityBehaviour } from './priority.ts';
import { queryBehaviour } from './queries.ts';
import { runLinkBehaviour } from './run-links.ts';
import { scheduleBehaviour } from './schedules.ts';
import { startBehaviour } from './start.ts';
import { taskBehaviour } from './tasks.ts';
import { timerBehaviour } from './timers.ts';
import { updateBehaviour } from './updates.ts';

export type { StoreFactory } from './harness.ts';

/** Options of {@link storeConformance}. */
export interface ConformanceOptions {
  /**
   * Makes the same kind of store timing leases and claims by its own clock, the database's, near the
   * wall clock (`PostgresStore`'s default, `MemoryStore` with a `clock`): adds the tests that a caller
   * whose clock is skewed cannot take a live lease, and that renewals and wake-ups use that clock.
   */
  databaseClock?: StoreFactory;
}

/**
 * Registers the store conformance suite: the behaviours the engine relies on, checked only through
 * the `Store` port with an explicit `now` in every call, so every adapter behaves alike. Call it at
 * the top level of a vitest file. `makeStore` runs before each test and must return a migrated
 * store that times leases and claims by the `now` given (an engine-clock store, as the test
 * environment uses); tests use their own workflow types and ids, so a store may share its data
 * across tests.
 *
 * @example
 * storeConformance('MemoryStore', async () => {
 *   const store = new MemoryStore();
 *   return { store, cleanup: () => store.close() };
 * });
 */
export function storeConformance(
  name: string,
  makeStore: StoreFactory,
  options: ConformanceOptions = {},
): void {
  describe(`${name} conforms to the Store port`, () => {
    const h = createHarness(storePerTest(makeStore));
    startBehaviour(h);
    scheduleBehaviour(h);
    claimBehaviour(h);
    fencingBehaviour(h);
    inboxBehaviour(h);
    timerBehaviour(h);
    historyBehaviour(h);
    closeAndParkBehaviour(h);
    continueAsNewBehaviour(h);
    parentCloseBehaviour(h);
    queryBehaviour(h);
    updateBehaviour(h);
    describeListBehaviour(h);
    runLinkBehaviour(h);
    notificationBehaviour(h);
    taskBehaviour(h);
    activityLimitBehaviour(h);
    batchBehaviour(h);
    operatorActionBehaviour(h);
    concurrencyBehaviour(h);
    priorityBehaviour(h);
    coalescingBehaviour(h);
    if (options.databaseClock) databaseClockBehaviour(h, options.databaseClock);
  });
}

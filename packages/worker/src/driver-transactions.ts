import {
  type ActivityFn,
  activityContext,
  assertJson,
  ErrorCodes,
  type Json,
  type Lease,
  type OpenActivity,
  ReelError,
  type Store,
  type TransactionOutcome,
} from '@reel/sdk';

/** A `ctx.transaction` step's attempt: the function to run as the attempt, and how its transaction ended. */
export interface TransactionAttempt {
  run: ActivityFn;
  /** Once the attempt's function has settled: how its transaction ended, if it began one. */
  settled(): Promise<TransactionOutcome | undefined>;
}

/**
 * The attempt of a `ctx.transaction` step: the registered function, run by `store.transaction` with a
 * client inside a transaction whose last statement records its result, fenced by `lease`. The
 * attempt's `AbortSignal` (a timeout, a cancellation, a lost lease) rolls it back. The driver records
 * nothing for it before `settled`: a committed result is recorded even if the attempt timed out while
 * its commit was on its way, and a lost lease or a commit whose answer never came stops the run.
 */
export function transactionAttempt(
  store: Store,
  lease: Lease,
  activity: OpenActivity,
  now: () => Date,
  fn: ActivityFn,
): TransactionAttempt {
  let settled: Promise<TransactionOutcome | undefined> = Promise.resolve(undefined);
  const run = async (...args: Json[]) => {
    if (!store.transaction) throw unsupported(activity.name);
    const ended = store.transaction(lease, activity, now(), activityContext().signal, async (client) =>
      assertJson(await fn(client, ...args), `The result of activity '${activity.name}'`),
    );
    settled = ended.catch(() => undefined);
    const outcome = await ended;
    if (outcome.outcome === 'committed') return outcome.value;
    // Never recorded: the driver stops the run on either, from `settled`.
    throw outcome.outcome === 'lost' ? new ReelError(ErrorCodes.LEASE_LOST, 'lease lost') : outcome.error;
  };
  return { run, settled: () => settled };
}

/** The error that parks a run whose `ctx.transaction` step meets a store with no database. */
export function unsupported(name: string): ReelError {
  return new ReelError(
    ErrorCodes.TRANSACTION_UNSUPPORTED,
    `ctx.transaction(${name}) runs in a transaction on Reel's Postgres database, and this worker's store has none (the in-memory store). Test it with createTestEnv({ store: 'postgres' }), whose worker runs it on the test database.`,
  );
}

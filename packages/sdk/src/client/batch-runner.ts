import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, ReelError } from '../errors.ts';
import type { BatchDescription, BatchLease } from '../store/batches.ts';
import { OPEN_STATUSES, type Store } from '../store/store.ts';

/**
 * Runs of a page applied at once, each a short transaction of its own, rather than one after another;
 * few enough that the process (a server, a worker) keeps most of its pool's 10 connections.
 */
const APPLY_CONCURRENCY = 4;

/** How often a runner waiting for another's lease to lapse looks again, at most. */
const HELD_POLL_MS = 1000;

/**
 * Runs a batch to its end: leases it, then does one page at a time — lists the next page by the
 * batch's filter and cursor, applies the operation to each run through `applyBatch` (at most once per
 * workflow, whatever happened before), and moves the cursor with the page's counts, fenced by the
 * lease. A runner that dies leaves the cursor at its last page done; whoever runs the batch next goes
 * on from there once the lease has lapsed, and a page done twice reaches no workflow twice. While
 * another runner holds the lease, waits for it to finish or lapse.
 */
export async function runBatch(
  store: Store,
  id: string,
  clock: () => Date,
  leaseMs: number,
): Promise<BatchDescription> {
  for (;;) {
    const outcome = await tryRunBatch(store, id, clock, leaseMs);
    if (outcome && !('heldForMs' in outcome)) return outcome;
    await sleep(Math.min(Math.max(outcome?.heldForMs ?? 0, 1), HELD_POLL_MS));
  }
}

/**
 * One attempt at running a batch to its end: the batch once it has ended (completed or stopped), how
 * long another runner's lease lasts if one holds it (0: this runner lost its lease, look again), or
 * undefined when `stopped()` said to stop between two pages (the lease then lapses by itself).
 */
export async function tryRunBatch(
  store: Store,
  id: string,
  clock: () => Date,
  leaseMs: number,
  stopped: () => boolean = () => false,
): Promise<BatchDescription | { heldForMs: number } | undefined> {
  const owner = `batch-runner-${process.pid}-${randomUUID()}`;
  const claim = await store.claimBatch(id, owner, clock(), leaseMs);
  if (claim === undefined) throw batchNotFound(id);
  if ('closed' in claim) return claim.closed;
  if ('held' in claim) return { heldForMs: claim.heldForMs };
  const ended = await runPages(store, claim.claimed, claim.batch, clock, leaseMs, stopped);
  // A refused cursor move: the lease was lost (taken over after a pause) or the batch was stopped.
  return ended === 'refused' ? { heldForMs: 0 } : ended;
}

/** The pages from the batch's cursor on, until the last, a refused cursor move, or `stopped()`. */
async function runPages(
  store: Store,
  lease: BatchLease,
  batch: BatchDescription,
  clock: () => Date,
  leaseMs: number,
  stopped: () => boolean,
): Promise<BatchDescription | 'refused' | undefined> {
  let cursor = batch.cursor;
  for (;;) {
    if (stopped()) return undefined;
    const page = await store.list({
      ...batch.filter,
      limit: batch.pageSize,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const outcomes = await inParallel(page.items, APPLY_CONCURRENCY, (run) =>
      // A run listed closed is skipped; one listed open is reached through its workflow id, so the
      // operation follows it to a continue-as-new successor, as a single cancel or signal does.
      OPEN_STATUSES.includes(run.status)
        ? store.applyBatch(batch.id, run.workflowId, batch.operation, clock())
        : Promise.resolve('closed' as const),
    );
    if (outcomes.includes('stopped')) return 'refused';
    const skipped = outcomes.filter((o) => o === 'closed' || o === 'missing').length;
    const last = page.nextCursor === undefined;
    const step = { cursor: page.nextCursor, skipped, last };
    if (!(await store.advanceBatch(lease, step, clock(), leaseMs))) return 'refused';
    if (last) return (await store.getBatch(batch.id)) ?? 'refused';
    cursor = page.nextCursor;
  }
}

/** The error for a batch id no batch has. */
export function batchNotFound(id: string): ReelError {
  return new ReelError(
    ErrorCodes.BATCH_NOT_FOUND,
    `No batch with id ${JSON.stringify(id)}. Check the id: it is the one the bulk action returned or was given.`,
  );
}

/** `fn` over `items`, at most `limit` at a time; the results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

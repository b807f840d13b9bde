import { type Logger, type Store, tryRunBatch } from '@reel/sdk';
import { Periodic } from './periodic.ts';

/** Batches one pass looks at, at most. */
const ADOPT_LIMIT = 10;
/** A pass every this many of the worker's poll intervals: a batch left behind waits out a lease anyway. */
const POLLS_PER_PASS = 10;

export interface BatchLoopOptions {
  store: Store;
  clock: () => Date;
  logger: Logger;
  /** The worker's poll interval: batches no runner holds are looked for every ten of them. */
  pollMs: number;
  /** The lease this worker takes on a batch it runs. */
  leaseMs: number;
}

/**
 * A worker's bulk-action loop: at start, then every ten poll intervals, takes the running batches no
 * runner holds — their runner died, or nobody ran them — and runs each on from its last page done,
 * so a batch resumes after a crash with no one calling `resume`. Many workers may do this at once:
 * each batch is leased to one of them, and a page done twice reaches no workflow twice. Stopped, it
 * stops between two pages; the lease of a batch left halfway lapses, and another runner goes on.
 */
export function batchLoop(options: BatchLoopOptions): Periodic {
  const { store, clock, logger, leaseMs } = options;
  const what = 'running batches left behind';
  const loop: Periodic = new Periodic(logger, what, options.pollMs * POLLS_PER_PASS, async () => {
    for (const id of await store.orphanedBatches(clock(), ADOPT_LIMIT)) {
      if (loop.stopped) break;
      const outcome = await tryRunBatch(store, id, clock, leaseMs, () => loop.stopped);
      if (outcome && !('heldForMs' in outcome))
        logger.info(
          { batchId: id, status: outcome.status, done: outcome.done },
          `ran batch ${id} to its end`,
        );
    }
  });
  return loop;
}

import type { Logger, Store } from '@reel/sdk';
import { Periodic } from './periodic.ts';

/** Rows one statement deletes at most: short statements never hold up live work for long. */
export const RETENTION_BATCH = 500;
/** How often a worker looks for expired runs (the first pass runs at start). */
const INTERVAL_MS = 10 * 60_000;
/** The pause between two batches of one pass, so live work interleaves. */
const BATCH_PAUSE_MS = 20;

/**
 * Deletes the runs closed before `closedBefore`, with their history, in batches of `batchSize`;
 * returns how many. Safe to run on many workers at once: each batch skips rows another one holds.
 */
export async function purgeExpired(
  store: Store,
  closedBefore: Date,
  options: { batchSize?: number; stopped?: () => boolean } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? RETENTION_BATCH;
  let total = 0;
  for (;;) {
    const deleted = await store.purgeClosed(closedBefore, batchSize);
    total += deleted;
    if (deleted < batchSize || options.stopped?.()) return total;
    await new Promise((resolve) => setTimeout(resolve, BATCH_PAUSE_MS));
  }
}

export interface RetentionOptions {
  store: Store;
  /** The engine clock: a run expires `retentionMs` after it closed, by this clock. */
  clock: () => Date;
  retentionMs: number;
  logger: Logger;
}

/**
 * A worker's retention loop: at start, then every 10 minutes, deletes closed runs (completed,
 * failed, cancelled, terminated) older than the retention period, with their history.
 */
export function retentionLoop(options: RetentionOptions): Periodic {
  const { store, clock, retentionMs, logger } = options;
  const loop: Periodic = new Periodic(logger, 'deleting expired runs', INTERVAL_MS, async () => {
    const closedBefore = new Date(clock().getTime() - retentionMs);
    const startedAt = performance.now();
    const deleted = await purgeExpired(store, closedBefore, { stopped: () => loop.stopped });
    const fields = { deleted, closedBefore: closedBefore.toISOString(), ms: performance.now() - startedAt };
    // A pass that found nothing is the common case: it stays out of the info log.
    if (deleted > 0) logger.info(fields, `retention deleted ${deleted} closed run(s)`);
    else logger.debug(fields, 'retention found no expired runs');
  });
  return loop;
}

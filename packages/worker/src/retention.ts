import type { Logger, Store } from '@reel/sdk';
import { LoopLog } from './loop-log.ts';

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
export class Retention {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private readonly passes: LoopLog;

  constructor(private readonly options: RetentionOptions) {
    this.passes = new LoopLog(options.logger, 'deleting expired runs');
  }

  start(): void {
    this.pass = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private async run(): Promise<void> {
    const { store, clock, retentionMs, logger } = this.options;
    try {
      const closedBefore = new Date(clock().getTime() - retentionMs);
      const startedAt = performance.now();
      const deleted = await purgeExpired(store, closedBefore, { stopped: () => this.stopped });
      this.passes.succeeded();
      const fields = { deleted, closedBefore: closedBefore.toISOString(), ms: performance.now() - startedAt };
      // A pass that found nothing is the common case: it stays out of the info log.
      if (deleted > 0) logger.info(fields, `retention deleted ${deleted} closed run(s)`);
      else logger.debug(fields, 'retention found no expired runs');
    } catch (err) {
      this.passes.failed(err);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.pass = this.run();
      }, INTERVAL_MS);
      this.timer.unref();
    }
  }
}

import type { Store } from '@reel/sdk';
import type { WorkerLogger } from './worker-options.ts';

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
  log: WorkerLogger;
}

/**
 * A worker's retention loop: at start, then every 10 minutes, deletes closed runs (completed,
 * failed, cancelled, terminated) older than the retention period, with their history.
 */
export class Retention {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();

  constructor(private readonly options: RetentionOptions) {}

  start(): void {
    this.pass = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private async run(): Promise<void> {
    const { store, clock, retentionMs, log } = this.options;
    try {
      const closedBefore = new Date(clock().getTime() - retentionMs);
      const deleted = await purgeExpired(store, closedBefore, { stopped: () => this.stopped });
      if (deleted > 0)
        log('info', `retention deleted ${deleted} closed run(s)`, {
          closedBefore: closedBefore.toISOString(),
        });
    } catch (err) {
      log('error', `deleting expired runs failed; retrying later: ${(err as Error).message}`, {});
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.pass = this.run();
      }, INTERVAL_MS);
      this.timer.unref();
    }
  }
}

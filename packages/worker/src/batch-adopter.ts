import { type Logger, type Store, tryRunBatch } from '@reel/sdk';
import { LoopLog } from './loop-log.ts';

/** Batches one pass looks at, at most. */
const ADOPT_LIMIT = 10;
/** A pass every this many of the worker's poll intervals: a batch left behind waits out a lease anyway. */
const POLLS_PER_PASS = 10;

export interface BatchAdopterOptions {
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
 * each batch is leased to one of them, and a page done twice reaches no workflow twice.
 */
export class BatchAdopter {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private readonly passes: LoopLog;

  constructor(private readonly options: BatchAdopterOptions) {
    this.passes = new LoopLog(options.logger, 'running batches left behind');
  }

  start(): void {
    this.pass = this.run();
  }

  /** Stops between two pages; the lease of a batch left halfway lapses, and another runner goes on. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private async run(): Promise<void> {
    const { store, clock, logger, leaseMs } = this.options;
    try {
      for (const id of await store.orphanedBatches(clock(), ADOPT_LIMIT)) {
        if (this.stopped) break;
        const outcome = await tryRunBatch(store, id, clock, leaseMs, () => this.stopped);
        if (outcome && !('heldForMs' in outcome))
          logger.info(
            { batchId: id, status: outcome.status, done: outcome.done },
            `ran batch ${id} to its end`,
          );
      }
      this.passes.succeeded();
    } catch (err) {
      this.passes.failed(err);
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => {
        this.pass = this.run();
      }, this.options.pollMs * POLLS_PER_PASS);
      this.timer.unref();
    }
  }
}

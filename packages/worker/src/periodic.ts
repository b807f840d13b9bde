import type { Logger } from '@reel/sdk';
import { LoopLog } from './loop-log.ts';

/**
 * A worker's background loop that makes a pass at start, then every `intervalMs` (retention, batches
 * left behind): a failed pass is logged once per series (`LoopLog`) and tried again at the next turn;
 * `stop` waits for the pass under way, which may check `stopped` to end early.
 */
export class Periodic {
  /** True once `stop` was called. */
  stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private readonly passes: LoopLog;

  constructor(
    logger: Logger,
    /** What a pass does, as a noun phrase: `deleting expired runs`. */
    what: string,
    private readonly intervalMs: number,
    private readonly once: () => Promise<void>,
  ) {
    this.passes = new LoopLog(logger, what);
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
    try {
      await this.once();
      this.passes.succeeded();
    } catch (err) {
      this.passes.failed(err);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.run();
    }, this.intervalMs);
    this.timer.unref();
  }
}

import type { Logger, ScheduleTick, Store } from '@reel/sdk';
import { LoopLog } from './loop-log.ts';
import type { WorkerMetrics } from './metrics.ts';

/** How many schedules one transaction takes at most. */
const BATCH = 20;
/** The shortest wait after a pass that fired nothing: a due schedule may be locked by another worker. */
const MIN_WAIT_MS = 10;

export interface SchedulerOptions {
  store: Store;
  /** The engine clock: every comparison uses its `now`. */
  clock: () => Date;
  /** The longest the loop waits before it looks again. */
  pollMs: number;
  logger: Logger;
  metrics: WorkerMetrics;
}

/**
 * A worker's scheduler loop: fires the schedules that are due. Every worker runs one. Each pass is
 * `store.fireSchedules`, which claims due schedules with FOR UPDATE SKIP LOCKED and, in the same
 * transaction, starts each tick's run under a deterministic workflow id and moves the schedule on,
 * so each tick starts exactly one run however many workers poll. The loop sleeps until the next
 * fire time (at most `pollMs`), and wakes early when a scheduled run closes (a buffered tick may
 * start) or the store says anything may have changed (the test environment's clock jumped).
 */
export class Scheduler {
  private stopped = false;
  private kicked = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly passes: LoopLog;

  constructor(private readonly options: SchedulerOptions) {
    this.passes = new LoopLog(options.logger, 'firing schedules');
  }

  async start(): Promise<void> {
    this.unlisten = await this.options.store.listen({
      onWake: (runId) => {
        if (runId === '') this.kick();
      },
      onTickClosed: () => this.kick(),
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.loop;
    await this.unlisten?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait = this.options.pollMs;
      try {
        wait = await this.pass();
        this.passes.succeeded();
      } catch (err) {
        this.passes.failed(err);
      }
      await this.idle(wait);
    }
  }

  /** Fires what is due; returns how long to wait before the next pass. */
  private async pass(): Promise<number> {
    const { store, clock, pollMs } = this.options;
    const ticks = await store.fireSchedules(clock(), BATCH);
    for (const t of ticks) this.report(t);
    if (new Set(ticks.map((t) => t.scheduleId)).size >= BATCH) return 0;
    const next = await store.nextScheduleAt();
    if (!next) return pollMs;
    const ms = next.getTime() - clock().getTime();
    return Math.min(pollMs, Math.max(ticks.length > 0 ? 0 : MIN_WAIT_MS, ms));
  }

  /** A tick that started a run is logged at `info`; one skipped, buffered or dropped by its overlap policy at `debug`. */
  private report(t: ScheduleTick): void {
    const fields = {
      schedule: t.scheduleId,
      type: t.workflowType,
      fireAt: t.fireAt.toISOString(),
      outcome: t.outcome,
      ...(t.run ? { workflowId: t.run.workflowId, runId: t.run.runId } : {}),
    };
    if (t.outcome === 'started') {
      this.options.metrics.workflowStarted?.(t.workflowType);
      this.options.logger.info(fields, `schedule ${t.scheduleId} fired`);
    } else this.options.logger.debug(fields, `schedule ${t.scheduleId}: tick ${t.outcome}`);
  }

  private async idle(ms: number): Promise<void> {
    if (!this.kicked && !this.stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    this.kicked = false;
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }
}

import { errorFields } from '@reel/sdk';

/**
 * What `worker.health()` answers, for a liveness probe (`reel worker --metrics-port` serves it as
 * `/healthz`) or your own.
 */
export interface WorkerHealth {
  /**
   * `starting` (before `run()`), `ok`, `degraded` (the loop turns but its last claim failed: Postgres
   * is unreachable), `stalled` (the loop has not turned for `stalledAfterMs`: restart the process),
   * `stopping` (draining) or `stopped`.
   */
  status: 'starting' | 'ok' | 'degraded' | 'stalled' | 'stopping' | 'stopped';
  /** False only when `stalled` or `stopped`: what a liveness probe should act on. */
  live: boolean;
  /** When the claim loop last turned (it turns at least every `pollIntervalMs`). */
  loopAt: Date | undefined;
  /** When a claim last got an answer from Postgres, whether or not it claimed anything. */
  lastClaimAt: Date | undefined;
  /** Why the last claim failed, while the loop is `degraded`. */
  claimError?: string;
  /** Runs held in memory now. */
  runs: number;
  /** How long the loop may go without turning before the worker is `stalled`, in ms. */
  stalledAfterMs: number;
}

/** Tracks the claim loop for `worker.health()`: when it last turned and how its last claim went. */
export class HealthTracker {
  phase: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  /** `performance.now()` and wall-clock time of the loop's last turn. */
  private turned: { at: number; date: Date } | undefined;
  private lastClaimAt: Date | undefined;
  private claimError: string | undefined;

  constructor(private readonly stalledAfterMs: number) {}

  /** The loop turned. */
  turn(): void {
    this.turned = { at: performance.now(), date: new Date() };
  }

  /** A claim got its answer. */
  claimed(): void {
    this.lastClaimAt = new Date();
    this.claimError = undefined;
  }

  claimFailed(err: unknown): void {
    this.claimError = errorFields(err).message;
  }

  report(runs: number): WorkerHealth {
    const status =
      this.phase !== 'running'
        ? this.phase
        : !this.turned || performance.now() - this.turned.at > this.stalledAfterMs
          ? 'stalled'
          : this.claimError !== undefined
            ? 'degraded'
            : 'ok';
    return {
      status,
      live: status !== 'stalled' && status !== 'stopped',
      loopAt: this.turned?.date,
      lastClaimAt: this.lastClaimAt,
      ...(this.claimError === undefined ? {} : { claimError: this.claimError }),
      runs,
      stalledAfterMs: this.stalledAfterMs,
    };
  }
}

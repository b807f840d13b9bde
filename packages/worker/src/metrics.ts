/**
 * Hooks a worker calls as it works, for metrics. `prometheusMetrics()` implements them with
 * prom-client; feed them to another library if you use one. Every hook is optional and must not
 * throw or block.
 */
export interface WorkerMetrics {
  /** This worker created a run: a child, a continue-as-new successor, or a schedule's tick. */
  workflowStarted?(type: string): void;
  /** A claim statement got its answer after `ms` (whether or not it claimed anything). */
  claimAnswered?(ms: number): void;
  /** A run was claimed, `waitedMs` after it became ready (schedule-to-start latency). */
  runClaimed?(type: string, waitedMs: number): void;
  /** A claimed run's recorded history was replayed. */
  replayed?(type: string, events: number, ms: number): void;
  /** One step of a run (read its inbox, advance its code, flush, start what follows) took `ms`. */
  stepped?(type: string, ms: number): void;
  /** A run's events were committed `ms` after the flush was asked for (group-commit wait included). */
  committed?(ms: number): void;
  /** One group-commit statement carried the flushes of `runs` runs. */
  commitBatch?(runs: number): void;
  /** One statement carried `starts` of the starts handed to this worker (a local client's). */
  startBatch?(starts: number): void;
  /** An activity attempt started here. */
  activityStarted?(name: string): void;
  /** An activity attempt ended. */
  activityFinished?(name: string, ms: number, outcome: 'completed' | 'retrying' | 'failed'): void;
  /** A run closed on this worker, `ms` after it was created (by the engine clock). */
  workflowClosed?(type: string, status: 'completed' | 'failed' | 'cancelled' | 'continued', ms: number): void;
  /** A run was parked (`code`: why, e.g. REEL_NONDETERMINISM). */
  parked?(type: string, code: string): void;
  /** A run's lease was lost to another worker. */
  leaseLost?(type: string): void;
}

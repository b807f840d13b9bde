/**
 * Hooks a worker calls as it works, for metrics (the server package implements them with prom-client).
 * Every hook is optional and must not throw or block.
 */
export interface WorkerMetrics {
  /** A run was claimed, `waitedMs` after it became ready (schedule-to-start latency). */
  runClaimed?(type: string, waitedMs: number): void;
  /** A claimed run's recorded history was replayed. */
  replayed?(type: string, events: number, ms: number): void;
  /** An activity attempt ended. */
  activityFinished?(name: string, ms: number, outcome: 'completed' | 'retrying' | 'failed'): void;
  /** A run closed on this worker. */
  workflowClosed?(type: string, status: 'completed' | 'failed' | 'cancelled'): void;
  /** A run was parked (`code`: why, e.g. REEL_NONDETERMINISM). */
  parked?(type: string, code: string): void;
  /** A run's lease was lost to another worker. */
  leaseLost?(type: string): void;
}

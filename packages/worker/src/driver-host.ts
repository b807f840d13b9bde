import {
  type ActivityFn,
  type ClaimedRun,
  type GuardMode,
  type Lease,
  type Logger,
  type RecordedEvent,
  type Store,
  WorkflowExecution,
  type WorkflowFn,
} from '@reel/sdk';
import type { WorkerMetrics } from './metrics.ts';

/** What a run driver needs from its worker. */
export interface DriverHost {
  store: Store;
  clock(): Date;
  workflows: Map<string, WorkflowFn>;
  activities: Map<string, ActivityFn>;
  activityName(fn: ActivityFn): string;
  guard: GuardMode;
  /** Waits shorter than this stay in memory with the lease held; longer ones suspend the run. */
  stickyMs: number;
  leaseMs: number;
  /** True once the worker is shutting down: runs suspend at their next wait instead of staying. */
  readonly draining: boolean;
  /** Asks the worker to look for claimable runs at `at` (a suspended run's wake time). */
  wakeAt(at: Date): void;
  /** Extends one lease now (a fenced write); false if it was lost. */
  renew(lease: Lease): Promise<boolean>;
  /** The worker's logger; a run driver passes on a child of it that names the run. */
  logger: Logger;
  metrics: WorkerMetrics;
}

/**
 * The replayer of `run` from its `history` (`partial`: its first pages), with the worker's workflows,
 * clock and guard.
 */
export function replayerOf(
  host: DriverHost,
  run: ClaimedRun,
  history: RecordedEvent[],
  log: Logger,
  partial = false,
) {
  return new WorkflowExecution({
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.type,
    fn: host.workflows.get(run.type) as WorkflowFn,
    history,
    partial,
    clock: host.clock,
    activityName: (fn) => host.activityName(fn),
    guard: host.guard,
    onViolation: (err) => log.warn({ code: err.code }, err.message),
  });
}

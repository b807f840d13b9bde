import { type ClosedRun, ErrorCodes, type Logger, type Outcome, ReelError, type RunTrace } from '@reel/sdk';
import type { LocalActivities } from './driver-activities.ts';
import type { DriverChildren } from './driver-children.ts';
import type { RunWrites } from './driver-writes.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { TaskDispatch } from './task-dispatch.ts';

/** The parts of a run driver that closing a run involves. */
export interface ClosingRun {
  workflowId: string;
  type: string;
  writes: RunWrites;
  activities: LocalActivities;
  children: DriverChildren;
  tasks: TaskDispatch;
  metrics: WorkerMetrics;
  /** Names the run on every line. */
  log: Logger;
  /** When the run was created (its `workflow_started` event), for its end-to-end latency. */
  createdAt: Date;
  clock(): Date;
  /** The run received a cancellation its children may not have heard of yet. */
  cancelChildren: boolean;
  /** The trace the successor of a continue-as-new joins. */
  successorTrace(): RunTrace | undefined;
  /** The lease is lost: another worker has the run. */
  lost(): void;
}

/**
 * Ends a run whose code has ended: starts the children it scheduled and never saw start (each scheduled
 * child gets its run), and closes the run or continues it as new; the store applies its children's
 * parent-close policy in the same statement. `again`: new input arrived first (it goes into history before the close) or
 * the release was kept; `stopped`: the lease was lost; `continued`; or the closed run, as a client
 * would read it back.
 */
export async function closeRun(
  run: ClosingRun,
  outcome: Outcome,
): Promise<ClosedRun | 'continued' | 'again' | 'stopped'> {
  if (run.activities.size > 0)
    run.activities.abortAll(new ReelError(ErrorCodes.CANCELLED, 'The workflow has closed.'));
  if (outcome.type === 'workflow_continued_as_new') run.writes.leaveUnreadInput();
  if (run.children.unstarted()) {
    const flushed = await run.writes.flush();
    if (flushed !== 'ok') return flushed === 'lost' ? 'stopped' : 'again';
    if (!(await run.writes.leaseHeld())) return 'stopped';
    if ((await run.children.start()) === 'lost') {
      run.lost();
      return 'stopped';
    }
  }
  if (outcome.type === 'workflow_continued_as_new') {
    if ((await run.writes.continueAsNew(outcome.input, run.successorTrace())) === 'lost') return 'stopped';
    closed(run, 'continued');
    run.metrics.workflowStarted?.(run.type);
    await afterClose(run);
    return 'continued';
  }
  const { written, close } = await run.writes.close(outcome);
  if (written !== 'ok') return written === 'lost' ? 'stopped' : 'again';
  closed(run, close.status, close.error);
  await afterClose(run);
  const copy = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
  return {
    workflowId: run.workflowId,
    status: close.status,
    result: copy(close.result),
    error: copy(close.error),
  };
}

/** Counts and logs a durable close: a success at `debug`, a cancellation at `info`, a failure at `warn`. */
function closed(
  run: ClosingRun,
  status: 'completed' | 'failed' | 'cancelled' | 'continued',
  error?: { code?: string; message: string },
): void {
  const ms = Math.max(0, run.clock().getTime() - run.createdAt.getTime());
  run.metrics.workflowClosed?.(run.type, status, ms);
  const fields = {
    status,
    durationMs: ms,
    ...(error ? { err: { message: error.message, code: error.code } } : {}),
  };
  if (status === 'failed') run.log.warn(fields, `workflow failed: ${error?.message}`);
  else if (status === 'cancelled') run.log.info(fields, 'workflow cancelled');
  else run.log.debug(fields, status === 'continued' ? 'workflow continued as new' : 'workflow completed');
}

/**
 * Once the run is closed (durably): its tasks go, and a cancellation it received reaches its children
 * (their parent-close policy was applied by the close itself).
 */
async function afterClose(run: ClosingRun): Promise<void> {
  await run.tasks.closed();
  if (run.cancelChildren) await run.children.cancel();
}

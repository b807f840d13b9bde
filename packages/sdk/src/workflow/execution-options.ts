import type { ActivityFn } from './activity.ts';
import type { WorkflowFn } from './context.ts';
import type { DeterminismViolationError, GuardMode } from './determinism-guard.ts';
import type { RecordedEvent } from './events.ts';

/** What a `WorkflowExecution` is built from: the run, its code, its history so far, and its guard. */
export interface ExecutionOptions {
  workflowId: string;
  runId: string;
  workflowType: string;
  fn: WorkflowFn;
  /** The durable history; it starts with `workflow_started`. */
  history: RecordedEvent[];
  /** `history` is only its first pages: the rest comes through `extend`, replayed as it comes. */
  partial?: boolean;
  /** The engine clock, read only to stamp new events. */
  clock: () => Date;
  /** The name an activity function is registered under (defaults to its own name). */
  activityName?: (fn: ActivityFn) => string;
  /** What to do when workflow code starts I/O or a real timer. Default `throw`. */
  guard?: GuardMode;
  /** Told of the first violation the guard sees (in `warn` mode, the only effect); later ones are not reported. */
  onViolation?: (err: DeterminismViolationError) => void;
}

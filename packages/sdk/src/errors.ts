/**
 * Every error Reel raises is a `ReelError` with a stable string `code`.
 * Codes are documented in docs/errors.md (a test keeps the two in step) and are never reused.
 */
export const ErrorCodes = {
  INVALID_ARGUMENT: 'REEL_INVALID_ARGUMENT',
  INVALID_DURATION: 'REEL_INVALID_DURATION',
  NOT_SERIALIZABLE: 'REEL_NOT_SERIALIZABLE',
  UNKNOWN_WORKFLOW_TYPE: 'REEL_UNKNOWN_WORKFLOW_TYPE',
  UNKNOWN_ACTIVITY: 'REEL_UNKNOWN_ACTIVITY',
  WORKFLOW_NOT_FOUND: 'REEL_WORKFLOW_NOT_FOUND',
  WORKFLOW_ALREADY_STARTED: 'REEL_WORKFLOW_ALREADY_STARTED',
  WORKFLOW_CLOSED: 'REEL_WORKFLOW_CLOSED',
  WORKFLOW_FAILED: 'REEL_WORKFLOW_FAILED',
  WORKFLOW_TERMINATED: 'REEL_WORKFLOW_TERMINATED',
  WORKFLOW_TIMEOUT: 'REEL_WORKFLOW_TIMEOUT',
  CHILD_FAILED: 'REEL_CHILD_FAILED',
  NONDETERMINISM: 'REEL_NONDETERMINISM',
  DETERMINISM_VIOLATION: 'REEL_DETERMINISM_VIOLATION',
  CANCELLED: 'REEL_CANCELLED',
  ACTIVITY_FAILED: 'REEL_ACTIVITY_FAILED',
  ACTIVITY_TIMEOUT: 'REEL_ACTIVITY_TIMEOUT',
  LEASE_LOST: 'REEL_LEASE_LOST',
  TIMEOUT: 'REEL_TIMEOUT',
  NO_DATABASE: 'REEL_NO_DATABASE',
  DATABASE_UNAVAILABLE: 'REEL_DATABASE_UNAVAILABLE',
  DATABASE_NOT_FOUND: 'REEL_DATABASE_NOT_FOUND',
  DATABASE_AUTH_FAILED: 'REEL_DATABASE_AUTH_FAILED',
  NOT_MIGRATED: 'REEL_NOT_MIGRATED',
  EMBEDDED_POSTGRES_FAILED: 'REEL_EMBEDDED_POSTGRES_FAILED',
  MISSING_DEPENDENCY: 'REEL_MISSING_DEPENDENCY',
  COMPENSATION_FAILED: 'REEL_COMPENSATION_FAILED',
  QUERY_TIMEOUT: 'REEL_QUERY_TIMEOUT',
  QUERY_FAILED: 'REEL_QUERY_FAILED',
  UNKNOWN_QUERY: 'REEL_UNKNOWN_QUERY',
  NO_WORKER: 'REEL_NO_WORKER',
  INVALID_SCHEDULE: 'REEL_INVALID_SCHEDULE',
  SCHEDULE_NOT_FOUND: 'REEL_SCHEDULE_NOT_FOUND',
  SCHEDULE_EXISTS: 'REEL_SCHEDULE_EXISTS',
  BATCH_NOT_FOUND: 'REEL_BATCH_NOT_FOUND',
  BATCH_EXISTS: 'REEL_BATCH_EXISTS',
  INVALID_RESET_POINT: 'REEL_INVALID_RESET_POINT',
  TRANSACTION_UNSUPPORTED: 'REEL_TRANSACTION_UNSUPPORTED',
  UPDATE_REJECTED: 'REEL_UPDATE_REJECTED',
  UPDATE_FAILED: 'REEL_UPDATE_FAILED',
  UPDATE_TIMEOUT: 'REEL_UPDATE_TIMEOUT',
  SIDE_EFFECT_FAILED: 'REEL_SIDE_EFFECT_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Plain, JSON-safe description of an error, as stored in history and returned by `describe()`. */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  nonRetryable?: boolean;
  details?: unknown;
}

/** Base class of every error Reel raises; `code` is stable and safe to branch on. */
export class ReelError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The code now issues a different command than history recorded at the same sequence number. */
export class NonDeterminismError extends ReelError {
  constructor(
    readonly workflowId: string,
    readonly seq: number,
    /** What the current code asked for at `seq` (`undefined`: it asked for nothing). */
    readonly expected: CommandSummary | undefined,
    /** What history recorded at `seq` (`undefined`: history has nothing there). */
    readonly recorded: CommandSummary | undefined,
  ) {
    super(
      ErrorCodes.NONDETERMINISM,
      `Workflow ${workflowId} is not deterministic at seq ${seq}: the code now issues ${describeCommand(expected)} ` +
        `but history recorded ${describeCommand(recorded)}. The workflow is parked, not failed: deploy code that ` +
        'replays its history and it resumes by itself.',
    );
  }
}

/** One command as shown in non-determinism reports. */
export interface CommandSummary {
  kind: 'activity' | 'transaction' | 'timer' | 'child' | 'sideEffect';
  name?: string;
}

const COMMAND_LABELS = { activity: 'activity', transaction: 'transaction step', child: 'child workflow' };

/** A command as a non-determinism report names it: `activity 'chargeCard'`, `a timer`, `nothing`. */
export function describeCommand(c: CommandSummary | undefined): string {
  if (!c) return 'nothing';
  if (c.kind === 'timer') return 'a timer';
  if (c.kind === 'sideEffect') return 'a side effect';
  return `${COMMAND_LABELS[c.kind]} '${c.name}'`;
}

/** Rejects the workflow's pending awaits when it is cancelled; rethrow it to end the workflow as `cancelled`. */
export class CancelledError extends ReelError {
  constructor(message = 'The workflow was cancelled.') {
    super(ErrorCodes.CANCELLED, message);
  }
}

/** An activity failed for good (retries exhausted or non-retryable); `failure` describes its last attempt. */
export class ActivityFailure extends ReelError {
  constructor(
    readonly activity: string,
    readonly attempts: number,
    readonly failure: ErrorInfo,
  ) {
    super(
      ErrorCodes.ACTIVITY_FAILED,
      `Activity '${activity}' failed after ${attempts} attempt(s): ${failure.message}`,
    );
  }
}

/** A child workflow did not complete: it failed, was cancelled or terminated, or could not start. */
export class ChildWorkflowFailure extends ReelError {
  constructor(
    readonly workflowId: string,
    readonly status: string,
    readonly failure: ErrorInfo,
  ) {
    super(
      ErrorCodes.CHILD_FAILED,
      `Child workflow ${workflowId} ${status === 'failed' ? 'failed' : `ended ${status}`}: ${failure.message}`,
    );
  }
}

/** `ctx.sideEffect`'s function threw (recorded, so every replay throws it again); `failure` is what it threw. */
export class SideEffectFailure extends ReelError {
  constructor(readonly failure: ErrorInfo) {
    super(ErrorCodes.SIDE_EFFECT_FAILED, `ctx.sideEffect's function threw: ${failure.message}`);
  }
}

/** Throw from an activity to fail it at once, without retries. */
export class NonRetryableError extends Error {
  readonly nonRetryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** `handle.result()` of a workflow that failed; `failure` is the error the workflow threw. */
export class WorkflowFailedError extends ReelError {
  constructor(
    readonly workflowId: string,
    readonly failure: ErrorInfo,
  ) {
    super(ErrorCodes.WORKFLOW_FAILED, `Workflow ${workflowId} failed: ${failure.message}`);
  }
}

/** `handle.result()` of a workflow that was terminated. */
export class WorkflowTerminatedError extends ReelError {
  constructor(
    readonly workflowId: string,
    readonly reason: string | undefined,
  ) {
    super(
      ErrorCodes.WORKFLOW_TERMINATED,
      `Workflow ${workflowId} was terminated${reason ? `: ${reason}` : '.'}`,
    );
  }
}

/** Turns anything thrown into a JSON-safe `ErrorInfo`. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const info: ErrorInfo = { name: err.name, message: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') info.code = code;
    if (err.stack) info.stack = err.stack;
    if ((err as { nonRetryable?: unknown }).nonRetryable === true) info.nonRetryable = true;
    // A parked run's describe shows where replay diverged, for people and tools to read without parsing the message.
    if (err instanceof NonDeterminismError)
      info.details = { seq: err.seq, expected: err.expected ?? null, recorded: err.recorded ?? null };
    return info;
  }
  return { name: 'Error', message: typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)) };
}

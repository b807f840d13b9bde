import type { Json } from '../codec.ts';
import type { ErrorInfo } from '../errors.ts';
import type { ConcurrencyLimit } from '../flow-options.ts';

/** A span's W3C trace context (`traceparent`, `tracestate` headers), as stored with a run. */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/**
 * The trace context a run's spans join, wherever they are recorded: `parent` is the span that started
 * the run (a client's start, a parent run's child start); `link`, the predecessor's span for the
 * successor of a continue-as-new.
 */
export interface RunTrace {
  parent?: TraceCarrier;
  link?: TraceCarrier;
}

/**
 * What history records. Commands the workflow issued (`activity_scheduled`, `timer_started`) carry
 * `cmd`, the sequence number the ctx call got when it was made; results and external input follow.
 */
export type HistoryEvent =
  | {
      type: 'workflow_started';
      workflowType: string;
      input: Json | undefined;
      /** The run fails if still open this long after this event. */
      executionTimeoutMs?: number;
      parent?: { runId: string; cmd: number };
      /** The trace the run's spans join (see docs/tracing.md); absent when none was active. */
      trace?: RunTrace;
    }
  | {
      type: 'activity_scheduled';
      cmd: number;
      name: string;
      args: Json[];
      taskQueue?: string;
      /** Scheduled by `ctx.transaction`: the worker runs it in a transaction with its outcome's record. */
      transaction?: true;
    }
  | { type: 'activity_retrying'; cmd: number; attempt: number; error: ErrorInfo; retryAt: string }
  | { type: 'activity_completed'; cmd: number; result: Json | undefined }
  | { type: 'activity_failed'; cmd: number; attempts: number; error: ErrorInfo }
  | {
      type: 'timer_started';
      cmd: number;
      fireAt: string /** Set when the timer is a signal wait's timeout. */;
      signal?: string;
    }
  | { type: 'timer_fired'; cmd: number }
  | {
      type: 'child_scheduled';
      cmd: number;
      workflowType: string;
      workflowId: string;
      input: Json | undefined;
      parentClosePolicy: 'terminate' | 'requestCancel' | 'abandon';
      /** The child's flow control, when given: a worker that starts it after a crash starts it alike. */
      concurrency?: ConcurrencyLimit;
      priority?: number;
    }
  | { type: 'child_started'; cmd: number; runId: string }
  | { type: 'child_completed'; cmd: number; result: Json | undefined }
  | { type: 'child_failed'; cmd: number; status: string; error: ErrorInfo }
  /** `ctx.sideEffect`'s function ran, live: what it returned, or threw. A replay reads it back. */
  | { type: 'side_effect'; cmd: number; result?: Json; error?: ErrorInfo }
  | { type: 'signal_received'; name: string; payload: Json }
  | { type: 'cancel_requested'; reason?: string }
  /** An update passed its validator: its handler runs from here. */
  | { type: 'update_accepted'; updateId: string; name: string; arg: Json | undefined }
  /** An update's handler returned (`result`) or threw (`error`). */
  | { type: 'update_completed'; updateId: string; result?: Json; error?: ErrorInfo }
  /** The run first reached `ctx.patched(patchId)` with code that knows the patch. */
  | { type: 'patch_marker'; patchId: string }
  /** An operator asked for retry now: open activities waiting out a retry backoff are due from this event. */
  | { type: 'retry_requested' }
  /**
   * Begins the part of a reset run that is its own: the events before it are a copy of run `fromRunId`'s
   * history up to `toEvent`. `seed` keeps `ctx.random()` as the first run of the chain drew it.
   */
  | { type: 'reset_point'; fromRunId: string; toEvent: number; seed: string; reason?: string }
  | { type: 'workflow_completed'; result: Json | undefined }
  | { type: 'workflow_failed'; error: ErrorInfo }
  | { type: 'workflow_cancelled'; error: ErrorInfo }
  | { type: 'workflow_terminated'; reason?: string }
  | { type: 'workflow_continued_as_new'; input: Json | undefined }
  /** The run was reset: run `newRunId` took over from its event `toEvent`. */
  | { type: 'workflow_reset'; newRunId: string; toEvent: number; reason?: string };

/** A history event with its position (`seq`, from 0) and the engine-clock time it was recorded. */
export type RecordedEvent = HistoryEvent & { seq: number; at: string };

export type EventType = HistoryEvent['type'];

/** Events that record a command as issued, under its number (`cmd`); a replay checks the code against them. */
export const ISSUING_EVENTS = new Set<EventType>([
  'activity_scheduled',
  'timer_started',
  'child_scheduled',
  'side_effect',
]);

/** Events that end a run. */
export const CLOSING_EVENTS = new Set<EventType>([
  'workflow_completed',
  'workflow_failed',
  'workflow_cancelled',
  'workflow_terminated',
  'workflow_continued_as_new',
  'workflow_reset',
]);

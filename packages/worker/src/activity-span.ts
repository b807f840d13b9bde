import { type Context, context, SpanKind, trace } from '@opentelemetry/api';
import { reelTracer, spanFailed, TraceAttributes } from '@reel/sdk';
import type { AttemptResult } from './activity-runner.ts';

/** What an attempt's span names. */
export interface AttemptTrace {
  workflowId: string;
  runId: string;
  activity: string;
  attempt: number;
  taskQueue?: string;
}

/**
 * Runs one activity attempt in its own span, a child of `parent` (the run's segment, or the context
 * stored with a task), and active while the activity runs, so the spans the activity starts (an HTTP
 * call, a query) nest under it. A failed attempt's span records its error and the ERROR status; a
 * retry is another attempt, with its own span. Only attempts that run make spans: a result read back
 * from history on replay makes none. `attempt` settles and never throws (`runAttempt`).
 */
export function tracedAttempt(
  parent: Context,
  names: AttemptTrace,
  attempt: () => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const span = reelTracer().startSpan(
    `reel.activity ${names.activity}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [TraceAttributes.workflowId]: names.workflowId,
        [TraceAttributes.runId]: names.runId,
        [TraceAttributes.activityName]: names.activity,
        [TraceAttributes.activityAttempt]: names.attempt,
        ...(names.taskQueue ? { [TraceAttributes.taskQueue]: names.taskQueue } : {}),
      },
    },
    parent,
  );
  // Chained, not awaited in an async function: fewer promises on every attempt.
  return context.with(trace.setSpan(parent, span), attempt).then(
    (result) => {
      if (!result.ok) spanFailed(span, result.error);
      span.end();
      return result;
    },
    (err) => {
      span.end();
      throw err;
    },
  );
}

import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ErrorInfo } from './errors.ts';
import type { RunTrace, TraceCarrier } from './workflow/events.ts';

/**
 * The attribute names Reel puts on its spans (docs/tracing.md lists which span has which).
 * @example exporter.getFinishedSpans().filter((s) => s.attributes[TraceAttributes.runId] === runId)
 */
export const TraceAttributes = {
  workflowId: 'reel.workflow.id',
  workflowType: 'reel.workflow.type',
  runId: 'reel.run.id',
  /** On a start: false when a run with this id already existed and was returned instead. */
  created: 'reel.start.created',
  parentRunId: 'reel.parent.run.id',
  /** On a run span: how many recorded events the segment replayed before going live. */
  replayedEvents: 'reel.run.replayed_events',
  /** On a run span: the status the run closed with in this segment, if it did. */
  runStatus: 'reel.run.status',
  activityName: 'reel.activity.name',
  activityAttempt: 'reel.activity.attempt',
  taskQueue: 'reel.task_queue',
  signalName: 'reel.signal.name',
  queryName: 'reel.query.name',
  updateName: 'reel.update.name',
  errorCode: 'reel.error.code',
} as const;

/**
 * Reel's tracer, from the globally registered provider: a no-op until the application registers an
 * OpenTelemetry SDK, so Reel records nothing and costs next to nothing without one.
 */
export function reelTracer(): Tracer {
  return trace.getTracer('reel');
}

/** The W3C trace context of `span`, to store with a run; undefined for a no-op span. */
export function traceCarrier(span: Span): TraceCarrier | undefined {
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return undefined;
  const traceparent = `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & 1).toString(16)}`;
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The remote span context a stored carrier names; undefined if it is not a valid `traceparent`. */
function spanContextOf(carrier: TraceCarrier | undefined): SpanContext | undefined {
  const m = carrier && TRACEPARENT.exec(carrier.traceparent);
  if (!m) return undefined;
  const sc: SpanContext = {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16),
    isRemote: true,
    ...(carrier?.tracestate ? { traceState: createTraceState(carrier.tracestate) } : {}),
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/**
 * The context a run's spans start in: its stored parent, else none (a new trace). Never the caller's
 * active context: a worker's spans for a run belong to the run's trace, not to whatever the worker did.
 */
export function runParentContext(runTrace: RunTrace | undefined): Context {
  const parent = spanContextOf(runTrace?.parent);
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}

/** The links a run's spans carry: to its predecessor's span, for a continue-as-new successor. */
export function runLinks(runTrace: RunTrace | undefined): Link[] {
  const link = spanContextOf(runTrace?.link);
  return link ? [{ context: link }] : [];
}

/** Marks `span` failed: the error recorded as an exception, its code (if any) as `reel.error.code`. */
export function spanFailed(span: Span, error: ErrorInfo | Error): void {
  const { name, message, stack } = error;
  span.recordException({ name, message, ...(stack ? { stack } : {}) });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') span.setAttribute(TraceAttributes.errorCode, code);
}

/**
 * Runs `fn` in a new span, active while it runs (spans `fn` starts nest under it), ended when it
 * settles; a throw marks the span failed and is rethrown.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  return reelTracer().startActiveSpan(name, options, context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      spanFailed(span, err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      span.end();
    }
  });
}

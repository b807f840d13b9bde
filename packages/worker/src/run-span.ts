import { type Context, type Span, SpanKind, trace } from '@opentelemetry/api';
import {
  type ClaimedRun,
  type ErrorInfo,
  type RecordedEvent,
  type RunTrace,
  reelTracer,
  runLinks,
  runParentContext,
  spanFailed,
  TraceAttributes,
  type TraceCarrier,
  traceCarrier,
} from '@reel/sdk';

/**
 * The span of one segment of a run: from when a worker takes the run (a claim, or a local start) to
 * when it lets it go (it closes, suspends, parks, or its lease is lost). A run that sleeps for a week
 * has no span open all week; each segment is a child of the span stored with the run (the start
 * span), so the segments of a run, on any worker and after any crash, share its trace. The
 * activities, children and signals of the segment hang from it.
 */
export class RunSpan {
  /** The context the segment's activity attempts and child starts are children of. */
  readonly context: Context;
  private readonly span: Span;
  private readonly runTrace: RunTrace | undefined;

  /** `history`: what the worker loaded (or the `workflow_started` of a run it just started). */
  constructor(run: ClaimedRun, history: RecordedEvent[]) {
    const first = history[0];
    this.runTrace = first?.type === 'workflow_started' ? first.trace : undefined;
    const parent = runParentContext(this.runTrace);
    this.span = reelTracer().startSpan(
      `reel.run ${run.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [TraceAttributes.workflowId]: run.workflowId,
          [TraceAttributes.workflowType]: run.type,
          [TraceAttributes.runId]: run.runId,
          // As `WorkflowExecution` counts: `workflow_started` alone has no recorded reaction to replay.
          [TraceAttributes.replayedEvents]: history.length > 1 ? history.length : 0,
        },
        links: runLinks(this.runTrace),
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
  }

  /** Input that reached the run live (a signal, a cancel request), as an event of the segment. */
  received(event: RecordedEvent): void {
    if (event.type === 'signal_received')
      this.span.addEvent('reel.signal', { [TraceAttributes.signalName]: event.name });
    else if (event.type === 'cancel_requested') this.span.addEvent('reel.cancel');
  }

  /** The run closed in this segment (or continued as new); a failure marks the span failed. */
  closed(status: string, error?: ErrorInfo): void {
    this.span.setAttribute(TraceAttributes.runStatus, status);
    if (status === 'failed' && error) spanFailed(this.span, error);
  }

  parked(error: ErrorInfo | Error): void {
    spanFailed(this.span, error);
  }

  /** The worker stopped running the run without a close or a release (lease lost, parked, shut down). */
  abandoned(reason: string): void {
    this.span.addEvent('reel.run.abandoned', { reason });
  }

  /** This span's trace context, to store where another process continues from it (a task). */
  carrier(): TraceCarrier | undefined {
    return traceCarrier(this.span);
  }

  /** The trace a continue-as-new successor joins: its predecessor's parent, with a link to this span. */
  successorTrace(): RunTrace | undefined {
    const link = traceCarrier(this.span);
    const parent = this.runTrace?.parent;
    if (!link && !parent) return undefined;
    return { ...(parent ? { parent } : {}), ...(link ? { link } : {}) };
  }

  end(): void {
    this.span.end();
  }
}

import { randomUUID } from 'node:crypto';
import { type Context, SpanKind } from '@opentelemetry/api';
import {
  type ClaimedRun,
  ErrorCodes,
  type OpenChild,
  ReelError,
  reelTracer,
  type StartResult,
  type Store,
  spanFailed,
  TraceAttributes,
  toErrorInfo,
  traceCarrier,
  type WorkflowExecution,
} from '@reel/sdk';
import type { WorkerMetrics } from './metrics.ts';

/** What a run's children need from its worker. */
export interface ChildrenHost {
  store: Store;
  clock(): Date;
  metrics: WorkerMetrics;
  /** The context a child's start span is a child of: the parent run's segment. */
  traceContext(): Context;
}

/**
 * The side effects a run has on its child workflows: starting the children its code scheduled, and
 * passing a cancellation on. The driver calls each only once the events that led to it are durable
 * and its lease is proven. (Each child's parent-close policy is applied by the store, in the statement
 * that closes the parent.)
 */
export class DriverChildren {
  /** Children whose start is under way or done in this driver. */
  private readonly starting = new Set<number>();

  constructor(
    private readonly host: ChildrenHost,
    private readonly run: ClaimedRun,
    private readonly exec: () => WorkflowExecution,
  ) {}

  /** Scheduled children (their `child_scheduled` recorded) that have not started: `start` must run. */
  unstarted(): boolean {
    const exec = this.exec();
    return exec.openChildren().some((c) => !c.runId && !this.starting.has(c.cmd) && !exec.isSettled(c.cmd));
  }

  /**
   * Starts the scheduled children that have not started (their `child_scheduled` must be durable), and
   * appends `child_started` (or `child_failed`) for each. `lost`: the parent's lease is gone (the start
   * is fenced by it, so nothing was started); `started` if any event was appended.
   */
  async start(): Promise<'started' | 'none' | 'lost'> {
    const exec = this.exec();
    let any = false;
    for (const child of exec.openChildren()) {
      // Not started yet and already given up on (the parent was cancelled): never start it.
      if (child.runId || this.starting.has(child.cmd) || exec.isSettled(child.cmd)) continue;
      this.starting.add(child.cmd);
      const started = await this.startOne(child);
      if (started.parentLost) return 'lost';
      if (!started.knownType || !started.ofParent) {
        const error = started.knownType
          ? new ReelError(
              ErrorCodes.WORKFLOW_ALREADY_STARTED,
              `Workflow id ${child.workflowId} is already used by another run.`,
            )
          : new ReelError(
              ErrorCodes.UNKNOWN_WORKFLOW_TYPE,
              `No worker has registered workflow type '${child.workflowType}'.`,
            );
        exec.append({ type: 'child_failed', cmd: child.cmd, status: 'failed', error: toErrorInfo(error) });
      } else {
        if (started.created) this.host.metrics.workflowStarted?.(child.workflowType);
        exec.append({ type: 'child_started', cmd: child.cmd, runId: started.runId });
      }
      any = true;
    }
    return any ? 'started' : 'none';
  }

  /**
   * Starts one child in a span of the parent's segment; the child stores that span's context, so its
   * own spans, on whichever worker runs it, are children of it.
   */
  private async startOne(child: OpenChild): Promise<StartResult> {
    const { runId, fencingToken } = this.run;
    const span = reelTracer().startSpan(
      `reel.start ${child.workflowType}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [TraceAttributes.workflowId]: child.workflowId,
          [TraceAttributes.workflowType]: child.workflowType,
          [TraceAttributes.parentRunId]: runId,
        },
      },
      this.host.traceContext(),
    );
    const trace = traceCarrier(span);
    try {
      const started = await this.host.store.start({
        workflowId: child.workflowId,
        runId: randomUUID(),
        type: child.workflowType,
        input: child.input,
        now: this.host.clock(),
        newRun: true,
        parent: { runId, cmd: child.cmd, closePolicy: child.parentClosePolicy, fencingToken },
        ...(child.concurrency ? { concurrency: child.concurrency } : {}),
        ...(child.priority === undefined ? {} : { priority: child.priority }),
        ...(trace ? { trace: { parent: trace } } : {}),
      });
      span.setAttributes({
        [TraceAttributes.runId]: started.runId,
        [TraceAttributes.created]: started.created,
      });
      return started;
    } catch (err) {
      spanFailed(span, err as Error);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Cancellation reaches the run's started children, but those started inside `ctx.uncancellable`. */
  async cancel(): Promise<void> {
    for (const child of this.exec().openChildren()) {
      if (child.runId && !child.shielded)
        await this.host.store.enqueue(
          child.workflowId,
          { kind: 'cancel', name: null, payload: 'parent cancelled' },
          this.host.clock(),
        );
    }
  }
}

import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Client, defineActivity, TraceAttributes, type WorkflowContext, type WorkflowFn } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { eventsOf, until } from './helpers.ts';

// A real OpenTelemetry SDK, as an application registers it, exporting to memory.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const appTracer = trace.getTracer('app');

const db = useTestDatabase();

let failuresLeft = 0;
/** Fails while `failuresLeft` > 0; starts a span of its own, as instrumented code inside it would. */
const charge = defineActivity(
  async function charge(amount: number) {
    appTracer.startActiveSpan('payment-api', (span) => span.end());
    if (failuresLeft-- > 0) throw new Error('card network down');
    return `charged ${amount}`;
  },
  { retry: { initialInterval: 5, maxAttempts: 5 } },
);

async function ship(order: string) {
  return `shipped ${order}`;
}

async function order(ctx: WorkflowContext, amount: number) {
  const receipt = await ctx.activity(charge, amount);
  await ctx.signal('approve');
  return [receipt, await ctx.activity(ship, 'o-1')];
}

/** Runs on a task queue: on whichever worker serves it, in another process as well. */
const render = defineActivity(
  async function render(frame: number) {
    appTracer.startActiveSpan('gpu-call', (span) => span.end());
    return `frame ${frame}`;
  },
  { taskQueue: 'traced-gpu' },
);

async function film(ctx: WorkflowContext) {
  return ctx.activity(render, 7);
}

async function refund(ctx: WorkflowContext) {
  await ctx.activity(ship, 'refund');
  throw new Error('refunds are closed');
}

async function pages(ctx: WorkflowContext, page: number) {
  if (page < 2) return ctx.continueAsNew(page + 1);
  return page;
}

async function shipment(ctx: WorkflowContext) {
  return ctx.activity(ship, ctx.info.workflowId);
}

async function parentOrder(ctx: WorkflowContext) {
  return ctx.child(shipment, undefined, { id: `${ctx.info.workflowId}-shipment` });
}

async function status(ctx: WorkflowContext) {
  ctx.onQuery('status', () => 'waiting');
  ctx.onUpdate('poke', (n: number) => n + 1);
  await ctx.signal('done');
}

const workflows: Record<string, WorkflowFn> = { order, pages, shipment, parentOrder, status, film, refund };
let client: Client;

const workerOptions = () => ({
  connectionString: db.connectionString,
  workflows,
  activities: { charge, ship, render },
  // Every wait suspends: each step after one is a new segment that replays the history.
  stickyMs: 0,
  handleSignals: false,
  pollIntervalMs: 50,
  logger: recordingLogger(),
});

beforeAll(() => {
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await client.close();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const ofRun = (runId: string | undefined) =>
  spans().filter((s) => s.attributes[TraceAttributes.runId] === runId);
/** The ended segments of `name` that closed their run (completed, failed or continued). */
const closing = (name: string) =>
  named(name).filter((r) => r.attributes[TraceAttributes.runStatus] !== undefined);
/** The worker ends a segment's span once its close commit has returned, which may be after the client saw the close. */
const untilClosed = (name: string, count = 1) =>
  until(() => closing(name).length >= count, `${count} closing segment(s) of ${name} to end`);

describe('OpenTelemetry traces', () => {
  it('stores the client span with the run; run segments, attempts and the spans inside them nest under it, across workers and replays', async () => {
    failuresLeft = 1;
    const first = await Worker.create(workerOptions());
    void first.run();
    const handle = await appTracer.startActiveSpan('checkout', async (span) => {
      try {
        return await client.start(order, 42, { id: 'traced-order' });
      } finally {
        span.end();
      }
    });
    const [checkout] = named('checkout');
    const [start] = named('reel.start order');
    expect(start && checkout && parentOf(start)).toBe(checkout?.spanContext().spanId);
    expect(start?.attributes).toMatchObject({
      [TraceAttributes.workflowId]: 'traced-order',
      [TraceAttributes.workflowType]: 'order',
      [TraceAttributes.runId]: handle.runId,
      [TraceAttributes.created]: true,
    });
    // The start span's context is durable with the run, for any worker.
    const [started] = await eventsOf(client, 'traced-order', 'workflow_started');
    expect(started?.trace?.parent?.traceparent).toBe(
      `00-${start?.spanContext().traceId}-${start?.spanContext().spanId}-01`,
    );

    // The first worker runs the charge (a failed attempt, then a retry) and lets the run go to wait.
    await until(
      () => named('reel.activity charge').length === 2 && named('reel.run order').length > 0,
      'the charge attempts and a run segment to end',
    );
    await first.shutdown();
    // Another worker takes the run over: it replays the charge from history and runs only `ship`.
    const second = await Worker.create(workerOptions());
    void second.run();
    await appTracer.startActiveSpan('approval', async (span) => {
      await client.signal('traced-order', 'approve');
      span.end();
    });
    expect(await handle.result()).toEqual(['charged 42', 'shipped o-1']);
    await second.shutdown();

    const traceId = start?.spanContext().traceId;
    const runs = named('reel.run order');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) {
      expect(run.spanContext().traceId).toBe(traceId);
      expect(parentOf(run)).toBe(start?.spanContext().spanId);
    }
    const runIds = new Set(runs.map((r) => r.spanContext().spanId));
    // One span per attempt that ran: the replay added none for the recorded charge.
    const attempts = named('reel.activity charge');
    expect(attempts.map((a) => a.attributes[TraceAttributes.activityAttempt])).toEqual([1, 2]);
    expect(attempts.map((a) => a.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(attempts[0]?.status.message).toBe('card network down');
    expect(attempts[0]?.events.map((e) => e.name)).toEqual(['exception']);
    const ships = named('reel.activity ship');
    expect(ships).toHaveLength(1);
    for (const attempt of [...attempts, ...ships]) {
      expect(runIds.has(parentOf(attempt) as string)).toBe(true);
      expect(attempt.attributes).toMatchObject({
        [TraceAttributes.workflowId]: 'traced-order',
        [TraceAttributes.runId]: handle.runId,
      });
    }
    // The activity's own spans nest under the attempt that ran them.
    const inner = named('payment-api');
    expect(inner.map(parentOf)).toEqual(attempts.map((a) => a.spanContext().spanId));

    // The segment that ran `ship` replayed the history, and received the signal live.
    const last = runs.find((r) => r.events.some((e) => e.name === 'reel.signal'));
    expect(last?.attributes[TraceAttributes.replayedEvents]).toBeGreaterThan(1);
    expect(last?.attributes[TraceAttributes.runStatus]).toBe('completed');
    expect(parentOf(ships[0] as ReadableSpan)).toBe(last?.spanContext().spanId);
    const [signal] = named('reel.signal approve');
    expect(parentOf(signal as ReadableSpan)).toBe(named('approval')[0]?.spanContext().spanId);
  });

  describe('with a worker running', () => {
    let worker: Worker;
    beforeAll(async () => {
      worker = await Worker.create({ ...workerOptions(), taskQueues: ['traced-gpu'] });
      void worker.run();
    });
    afterAll(() => worker.shutdown());

    it('a continue-as-new successor joins the trace of the start, linked to its predecessor', async () => {
      const handle = await client.start(pages, 0, { id: 'traced-pages' });
      expect(await handle.result()).toBe(2);
      await untilClosed('reel.run pages', 3);
      const [start] = named('reel.start pages');
      const runs = named('reel.run pages');
      expect(runs).toHaveLength(3);
      for (const run of runs) expect(parentOf(run)).toBe(start?.spanContext().spanId);
      const byRun = new Map(runs.map((r) => [r.attributes[TraceAttributes.runId], r]));
      expect(byRun.size).toBe(3);
      const [first, ...successors] = runs;
      expect(first?.links).toEqual([]);
      expect(first?.attributes[TraceAttributes.runStatus]).toBe('continued');
      for (const [i, run] of successors.entries()) {
        expect(run.links.map((l) => l.context.spanId)).toEqual([runs[i]?.spanContext().spanId]);
      }
    });

    it("a child workflow's spans nest under the start span of the parent's segment", async () => {
      const handle = await client.start(parentOrder, undefined, { id: 'traced-parent' });
      expect(await handle.result()).toBe('shipped traced-parent-shipment');
      await untilClosed('reel.run shipment');
      await untilClosed('reel.run parentOrder');
      const parentRuns = ofRun(handle.runId).filter((s) => s.name === 'reel.run parentOrder');
      const [childStart] = named('reel.start shipment');
      expect(parentRuns.map((r) => r.spanContext().spanId)).toContain(parentOf(childStart as ReadableSpan));
      expect(childStart?.attributes).toMatchObject({
        [TraceAttributes.workflowId]: 'traced-parent-shipment',
        [TraceAttributes.parentRunId]: handle.runId,
      });
      const childRuns = named('reel.run shipment');
      expect(childRuns.length).toBeGreaterThan(0);
      for (const run of childRuns) expect(parentOf(run)).toBe(childStart?.spanContext().spanId);
      const [attempt] = named('reel.activity ship');
      expect(childRuns.map((r) => r.spanContext().spanId)).toContain(parentOf(attempt as ReadableSpan));
    });

    it("a task-queue attempt's span is a child of the segment that enqueued it", async () => {
      const handle = await client.start(film, undefined, { id: 'traced-film' });
      expect(await handle.result()).toBe('frame 7');
      await untilClosed('reel.run film');
      const [attempt] = named('reel.activity render');
      expect(attempt?.attributes).toMatchObject({
        [TraceAttributes.runId]: handle.runId,
        [TraceAttributes.activityAttempt]: 1,
        [TraceAttributes.taskQueue]: 'traced-gpu',
      });
      const runs = named('reel.run film').map((r) => r.spanContext().spanId);
      expect(runs).toContain(parentOf(attempt as ReadableSpan));
      expect(named('gpu-call').map(parentOf)).toEqual([attempt?.spanContext().spanId]);
    });

    it('a run started locally, by a client with the worker, runs under its start span too', async () => {
      const local = new Client({ connectionString: db.connectionString, worker });
      try {
        const handle = await local.start(shipment, undefined, { id: 'traced-local' });
        expect(await handle.result()).toBe('shipped traced-local');
        await untilClosed('reel.run shipment');
        const [start] = named('reel.start shipment');
        const runs = ofRun(handle.runId).filter((s) => s.name === 'reel.run shipment');
        expect(runs.length).toBeGreaterThan(0);
        for (const run of runs) expect(parentOf(run)).toBe(start?.spanContext().spanId);
        expect(runs[0]?.attributes[TraceAttributes.replayedEvents]).toBe(0);
      } finally {
        await local.close();
      }
    });

    it('the segment in which a run fails has its status and error', async () => {
      const handle = await client.start(refund, undefined, { id: 'traced-refund' });
      await expect(handle.result()).rejects.toThrow('refunds are closed');
      await untilClosed('reel.run refund');
      const [closed, ...more] = closing('reel.run refund');
      expect(more).toHaveLength(0);
      expect(closed?.attributes[TraceAttributes.runStatus]).toBe('failed');
      expect(closed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refunds are closed' });
    });

    it('a query is a client span of the active context', async () => {
      const handle = await client.start(status, undefined, { id: 'traced-query' });
      await appTracer.startActiveSpan('dashboard', async (span) => {
        expect(await client.query('traced-query', 'status')).toBe('waiting');
        span.end();
      });
      const [query] = named('reel.query status');
      expect(parentOf(query as ReadableSpan)).toBe(named('dashboard')[0]?.spanContext().spanId);
      expect(query?.attributes).toMatchObject({
        [TraceAttributes.workflowId]: 'traced-query',
        [TraceAttributes.queryName]: 'status',
      });
      await handle.signal('done');
      await handle.result();
    });

    it('an update is a client span of the active context', async () => {
      const handle = await client.start(status, undefined, { id: 'traced-update' });
      await appTracer.startActiveSpan('checkout', async (span) => {
        expect(await client.update('traced-update', 'poke', 1)).toBe(2);
        span.end();
      });
      const [update] = named('reel.update poke');
      expect(parentOf(update as ReadableSpan)).toBe(named('checkout')[0]?.spanContext().spanId);
      expect(update?.attributes).toMatchObject({
        [TraceAttributes.workflowId]: 'traced-update',
        [TraceAttributes.updateName]: 'poke',
      });
      await handle.signal('done');
      await handle.result();
    });
  });
});

import { describe, expect, it } from 'vitest';
import { pendingWork } from '../src/client/pending.ts';
import {
  checkResetPoint,
  type HistoryEvent,
  NonDeterminismError,
  type RecordedEvent,
  type WorkflowContext,
  WorkflowExecution,
  type WorkflowFn,
} from '../src/index.ts';

const RUN_ID = '6f1c1c0e-5f0a-4a43-9d6c-2f3f1f7f0a01';
const FIRST_RUN_ID = 'c0a8e2b4-1d3e-4f5a-8b6c-7d8e9f0a1b2c';
const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const minutes = (n: number) => new Date(T0 + n * 60_000).toISOString();

/** Event `i` has seq `i` and was recorded `i` minutes after T0. */
function recorded(...events: HistoryEvent[]): RecordedEvent[] {
  return events.map((event, seq) => ({ ...event, seq, at: minutes(seq) }) as RecordedEvent);
}
const started: HistoryEvent = { type: 'workflow_started', workflowType: 'order', input: 'book' };
const scheduled = (cmd: number, name: string): HistoryEvent => ({
  type: 'activity_scheduled',
  cmd,
  name,
  args: ['book'],
});
const completed = (cmd: number): HistoryEvent => ({ type: 'activity_completed', cmd, result: `done ${cmd}` });
const resetPoint = (toEvent: number): HistoryEvent => ({
  type: 'reset_point',
  fromRunId: FIRST_RUN_ID,
  toEvent,
  seed: FIRST_RUN_ID,
});

function execution(fn: WorkflowFn, history: RecordedEvent[], runId = RUN_ID) {
  return new WorkflowExecution({
    workflowId: 'order-42',
    runId,
    workflowType: 'order',
    fn,
    history,
    clock: () => new Date(T0 + 86_400_000),
  });
}

async function reserve() {}
async function charge() {}
async function ship() {}
async function threeSteps(ctx: WorkflowContext) {
  await ctx.activity(reserve);
  await ctx.activity(charge);
  await ctx.activity(ship);
  return ctx.random();
}

describe('a reset run replays the copied events and redoes the rest', () => {
  it('issues live the command the reset cut off after the last copied event, where a plain history is non-determinism', async () => {
    const copied = [started, scheduled(0, 'reserve'), completed(0), scheduled(1, 'charge'), completed(1)];
    const reset = execution(threeSteps, recorded(...copied, resetPoint(4)));
    await reset.advance();
    expect(reset.openActivities()).toEqual([{ cmd: 2, name: 'ship', args: [], attempt: 1, shielded: false }]);
    expect(reset.unflushed()).toMatchObject([{ seq: 6, type: 'activity_scheduled', cmd: 2, name: 'ship' }]);

    const plain = execution(threeSteps, recorded(...copied));
    await expect(plain.advance()).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it('keeps the replay rule for the events after the reset point', async () => {
    const history = recorded(
      started,
      scheduled(0, 'reserve'),
      completed(0),
      resetPoint(2),
      scheduled(1, 'charge'),
      completed(1),
    );
    await expect(execution(threeSteps, history).advance()).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("draws ctx.random() from the seed of the chain's first run, not its own run id", async () => {
    const all = [
      started,
      scheduled(0, 'reserve'),
      completed(0),
      scheduled(1, 'charge'),
      completed(1),
      scheduled(2, 'ship'),
      completed(2),
    ];
    const first = execution(threeSteps, recorded(...all), FIRST_RUN_ID);
    await first.advance();
    const reset = execution(
      threeSteps,
      recorded(...all.slice(0, 5), resetPoint(4), scheduled(2, 'ship'), completed(2)),
    );
    await reset.advance();
    expect(reset.outcome).toEqual(first.outcome);
    const own = execution(threeSteps, recorded(...all));
    await own.advance();
    expect(own.outcome).not.toEqual(first.outcome);
  });
});

describe('retry_requested', () => {
  const retrying: HistoryEvent = {
    type: 'activity_retrying',
    cmd: 0,
    attempt: 1,
    error: { name: 'Error', message: 'down' },
    retryAt: minutes(600),
  };

  it('makes an activity waiting out its backoff due from the request, in the replayer and in describe', async () => {
    const waiting = recorded(started, scheduled(0, 'reserve'), retrying);
    const before = execution(threeSteps, waiting);
    await before.advance();
    expect(before.openActivities()[0]?.retryAt).toEqual(new Date(minutes(600)));
    expect(pendingWork(waiting).activities[0]?.nextAttemptAt).toEqual(new Date(minutes(600)));

    const asked = recorded(started, scheduled(0, 'reserve'), retrying, { type: 'retry_requested' });
    const after = execution(threeSteps, asked);
    await after.advance();
    expect(after.openActivities()).toMatchObject([{ cmd: 0, attempt: 2, retryAt: new Date(minutes(3)) }]);
    expect(pendingWork(asked).activities).toEqual([
      { cmd: 0, name: 'reserve', attempt: 2, lastError: retrying.error, nextAttemptAt: new Date(minutes(3)) },
    ]);
  });
});

describe('checkResetPoint', () => {
  const history = recorded(
    started,
    scheduled(0, 'reserve'),
    {
      type: 'activity_retrying',
      cmd: 0,
      attempt: 1,
      error: { name: 'Error', message: 'x' },
      retryAt: minutes(3),
    },
    completed(0),
    scheduled(1, 'charge'),
    { type: 'workflow_failed', error: { name: 'Error', message: 'x' } },
  );

  it('accepts an event outside any activity, and one after the scheduling of an activity with no outcome yet', () => {
    expect(checkResetPoint('order-42', history, 0)).toBe(0);
    expect(checkResetPoint('order-42', history, 3)).toBe(3);
    expect(checkResetPoint('order-42', history, 4)).toBe(4);
  });

  it('refuses a point between an activity scheduling and its retries or outcome, naming the points that do', () => {
    for (const point of [1, 2])
      expect(() => checkResetPoint('order-42', history, point)).toThrow(
        expect.objectContaining({
          code: 'REEL_INVALID_RESET_POINT',
          message: expect.stringMatching(/activity 'reserve'.*before 1, or from 3 on/),
        }),
      );
  });

  it("refuses a point between an update's acceptance and its completion: the new run would run its handler again", () => {
    const updated = recorded(
      started,
      { type: 'update_accepted', updateId: 'req-81', name: 'addItem', arg: { sku: 'A-1' } },
      scheduled(0, 'reserve'),
      completed(0),
      { type: 'update_completed', updateId: 'req-81', result: 1 },
      { type: 'update_accepted', updateId: 'req-82', name: 'addItem', arg: { sku: 'B-2' } },
    );
    for (const point of [1, 3])
      expect(() => checkResetPoint('cart-7', updated, point)).toThrow(
        expect.objectContaining({
          code: 'REEL_INVALID_RESET_POINT',
          message: expect.stringMatching(/update 'addItem' \(req-81, event 1\).*before 1, or from 4 on/),
        }),
      );
    // An update with no completion yet has nothing to run twice: its handler goes on in the new run.
    for (const point of [0, 4, 5]) expect(checkResetPoint('cart-7', updated, point)).toBe(point);
  });

  it('refuses the closing event, a seq past the history, and what is not an integer', () => {
    for (const point of [5, 6, -1, 1.5, '2'])
      expect(() => checkResetPoint('order-42', history, point)).toThrow(
        expect.objectContaining({ code: 'REEL_INVALID_RESET_POINT' }),
      );
  });
});

import { describe, expect, it } from 'vitest';
import {
  type HistoryEvent,
  NonDeterminismError,
  type RecordedEvent,
  type WorkflowContext,
  WorkflowExecution,
  type WorkflowFn,
} from '../src/index.ts';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const clock = () => new Date(T0);

function execution(fn: WorkflowFn, history: RecordedEvent[], partial = false) {
  return new WorkflowExecution({
    workflowId: 'order-7',
    runId: 'a1b2c3d4-0000-4000-8000-000000000007',
    workflowType: 'order',
    fn,
    history,
    partial,
    clock,
  });
}

async function reserve(item: string) {
  return item;
}
async function charge(item: string) {
  return item;
}

/** How many times `order`'s side effect ran: once, live; never on a replay. */
let sideEffects = 0;

/**
 * Activities one by one, several at once, a timer, a side effect, a signal, and what it saw of time
 * along the way.
 */
async function order(ctx: WorkflowContext, items: string[]) {
  const seen: number[] = [];
  for (const item of items) {
    await ctx.activity(reserve, item);
    seen.push(ctx.now().getTime());
  }
  await Promise.all(items.map((item) => ctx.activity(charge, item)));
  await ctx.sleep('1 hour');
  const stamp = await ctx.sideEffect(() => ++sideEffects);
  const note = await ctx.signal<string>('note');
  await ctx.activity(reserve, note);
  return { seen, note, stamp };
}

/** The history of `order` run live to completion, each result arriving a minute after the last. */
async function liveHistory(): Promise<RecordedEvent[]> {
  sideEffects = 0;
  let now = T0;
  const live = new WorkflowExecution({
    workflowId: 'order-7',
    runId: 'a1b2c3d4-0000-4000-8000-000000000007',
    workflowType: 'order',
    fn: order as WorkflowFn,
    history: [
      {
        type: 'workflow_started',
        workflowType: 'order',
        input: ['a', 'b', 'c'],
        seq: 0,
        at: new Date(T0).toISOString(),
      },
    ],
    clock: () => {
      now += 60_000;
      return new Date(now);
    },
  });
  await live.advance();
  for (;;) {
    const open = live.openActivities();
    const timer = live.openTimers()[0];
    if (open.length > 0)
      for (const a of open)
        live.append({ type: 'activity_completed', cmd: a.cmd, result: a.args[0] ?? null });
    else if (timer) live.append({ type: 'timer_fired', cmd: timer.cmd });
    else if (!live.outcome && live.unreadSignals().length === 0)
      live.append({ type: 'signal_received', name: 'note', payload: 'n' });
    else break;
    await live.advance();
  }
  expect(live.outcome).toMatchObject({ type: 'workflow_completed' });
  return structuredClone(live.log);
}

/** Replays `history` given in pages that end at each of `cuts`, as a worker does while it loads. */
async function replayInPages(fn: WorkflowFn, history: RecordedEvent[], cuts: number[]) {
  const bounds = [...cuts, history.length];
  const exec = execution(fn, history.slice(0, bounds[0]), true);
  const extended: boolean[] = [];
  for (let i = 1; i < bounds.length; i++) {
    await exec.advance();
    extended.push(exec.extend(history.slice(bounds[i - 1], bounds[i]), i === bounds.length - 1));
  }
  return { exec, extended };
}

describe('a history replayed a page at a time, while the rest loads', () => {
  it('ends where a replay of the whole history ends, wherever the pages are cut', async () => {
    const history = await liveHistory();
    const whole = execution(order as WorkflowFn, history);
    await whole.advance();
    for (let cut = 2; cut < history.length; cut++) {
      const { exec, extended } = await replayInPages(order as WorkflowFn, history, [cut]);
      expect(extended).toEqual([true]);
      await exec.advance();
      expect(exec.outcome).toEqual(whole.outcome);
      expect(exec.unflushed()).toEqual([]);
      expect(exec.log).toEqual(history);
    }
    expect(whole.outcome).toMatchObject({ result: { stamp: 1 } });
    expect(sideEffects).toBe(1);
  });

  it('waits for the page that records a command the code issued, then checks it as a replay of the whole does', async () => {
    const history = await liveHistory();
    // Cut right after the first result: the code issues its next command before the page recording it.
    const cut = history.findIndex((e) => e.type === 'activity_completed') + 1;
    const { exec } = await replayInPages(order as WorkflowFn, history, [cut, cut + 1, cut + 2]);
    await exec.advance();
    expect(exec.outcome).toMatchObject({ type: 'workflow_completed', result: { note: 'n' } });

    // The same history, but the code now charges where history reserved: found once the page loads.
    const changed = history.map((e) =>
      e.type === 'activity_scheduled' && e.seq >= cut ? ({ ...e, name: 'charge' } as RecordedEvent) : e,
    );
    const paged = execution(order as WorkflowFn, changed.slice(0, cut), true);
    await paged.advance();
    expect(paged.extend(changed.slice(cut), true)).toBe(false); // made again from the whole history
    const whole = execution(order as WorkflowFn, changed);
    const error = await whole.advance().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(NonDeterminismError);
  });

  it('is made again from the whole history when a later page holds what the code asked about before', async () => {
    async function patched(ctx: WorkflowContext) {
      const next = ctx.patched('v2') ? charge : reserve;
      await ctx.activity(reserve, 'a');
      await ctx.activity(next, 'b');
    }
    const started: RecordedEvent = {
      type: 'workflow_started',
      workflowType: 'order',
      input: null,
      seq: 0,
      at: new Date(T0).toISOString(),
    };
    const at = new Date(T0).toISOString();
    const events: HistoryEvent[] = [
      { type: 'activity_scheduled', cmd: 0, name: 'reserve', args: ['a'] },
      { type: 'patch_marker', patchId: 'v2' },
      { type: 'activity_completed', cmd: 0, result: 'a' },
    ];
    const history = [started, ...events.map((e, i) => ({ ...e, seq: i + 1, at }) as RecordedEvent)];
    const exec = execution(patched, history.slice(0, 2), true);
    await exec.advance();
    expect(exec.extend(history.slice(2), true)).toBe(false);
  });

  it('is made again from the whole history when it recorded what a later page holds', async () => {
    async function note(ctx: WorkflowContext) {
      ctx.onUpdate('note', (text: string) => text.length);
      await ctx.signal('done');
    }
    const at = new Date(T0).toISOString();
    const history: RecordedEvent[] = [
      { type: 'workflow_started', workflowType: 'order', input: null, seq: 0, at },
      { type: 'update_accepted', updateId: 'u1', name: 'note', arg: 'hello', seq: 1, at },
      { type: 'signal_received', name: 'later', payload: 1, seq: 2, at },
      { type: 'update_completed', updateId: 'u1', result: 5, seq: 3, at },
    ];
    // The handler returns while its `update_completed` has not loaded: the replay records it again.
    const exec = execution(note, history.slice(0, 3), true);
    await exec.advance();
    expect(exec.extend(history.slice(3), true)).toBe(false);
    const whole = execution(note, history);
    await whole.advance();
    expect(whole.unflushed()).toEqual([]);
  });

  it('is made again from the whole history when a command the code issued is recorded nowhere', async () => {
    async function twice(ctx: WorkflowContext) {
      await ctx.activity(reserve, 'a');
      await ctx.activity(reserve, 'b');
    }
    const at = new Date(T0).toISOString();
    const history: RecordedEvent[] = [
      { type: 'workflow_started', workflowType: 'order', input: null, seq: 0, at },
      { type: 'activity_scheduled', cmd: 0, name: 'reserve', args: ['a'], seq: 1, at },
      { type: 'activity_completed', cmd: 0, result: 'a', seq: 2, at },
      { type: 'signal_received', name: 'note', payload: 1, seq: 3, at },
    ];
    const exec = execution(twice, history.slice(0, 3), true);
    await exec.advance();
    expect(exec.extend(history.slice(3), true)).toBe(false);
  });
});

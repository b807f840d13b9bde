import { describe, expect, it } from 'vitest';
import {
  type HistoryEvent,
  type Json,
  type RecordedEvent,
  type WorkflowContext,
  WorkflowExecution,
  type WorkflowFn,
} from '../src/index.ts';

// The replayer's side of updates: validation (live only), the handler run as workflow code from
// `update_accepted`, and its outcome recorded once as `update_completed`.

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const RUN_ID = '6f1c1c0e-5f0a-4a43-9d6c-2f3f1f7f0a01';

function recorded(...events: HistoryEvent[]): RecordedEvent[] {
  return events.map(
    (event, seq) => ({ ...event, seq, at: new Date(T0 + seq * 60_000).toISOString() }) as RecordedEvent,
  );
}

const started: HistoryEvent = { type: 'workflow_started', workflowType: 'cart', input: null };
const accepted = (updateId: string, name: string, arg: Json): HistoryEvent => ({
  type: 'update_accepted',
  updateId,
  name,
  arg,
});

function execution(fn: WorkflowFn, history: RecordedEvent[]) {
  return new WorkflowExecution({
    workflowId: 'cart-1',
    runId: RUN_ID,
    workflowType: 'cart',
    fn,
    history,
    clock: () => new Date(T0 + 86_400_000),
  });
}

async function price(sku: string) {
  return sku.length;
}

/** A cart: `add` prices an item with an activity and answers the new total; an empty sku is refused. */
async function cart(ctx: WorkflowContext) {
  let total = 0;
  ctx.onUpdate(
    'add',
    async (sku: string) => {
      if (sku === 'boom') throw new Error('no such item');
      total += await ctx.activity(price, sku);
      return total;
    },
    {
      validate: (sku) => {
        if (!sku) throw new Error('an item needs a sku');
      },
    },
  );
  await ctx.signal('checkout');
  return total;
}

const withoutTimes = (events: RecordedEvent[]) => events.map(({ seq: _s, at: _a, ...e }) => e);

describe('updates in the replayer', () => {
  it('validates against the current state without recording anything, and waits for a handler', async () => {
    const exec = execution(cart, recorded(started));
    expect(exec.validateUpdate('add', 'book')).toBe('unhandled'); // the code has not run yet
    await exec.advance();
    expect(exec.validateUpdate('add', 'book')).toBe('accepted');
    const rejected = exec.validateUpdate('add', '');
    expect(rejected).toMatchObject({
      rejected: { code: 'REEL_UPDATE_REJECTED', message: 'an item needs a sku' },
    });
    expect(exec.validateUpdate('remove', 'book')).toBe('unhandled');
    expect(exec.unflushed()).toEqual([]);
  });

  it('runs the handler as workflow code from update_accepted and records its result once it returns', async () => {
    const exec = execution(cart, recorded(started));
    await exec.advance();
    exec.append(accepted('u1', 'add', 'book'));
    await exec.advance();
    expect(withoutTimes(exec.unflushed())).toEqual([
      accepted('u1', 'add', 'book'),
      { type: 'activity_scheduled', cmd: 0, name: 'price', args: ['book'] },
    ]);
    exec.append({ type: 'activity_completed', cmd: 0, result: 4 });
    await exec.advance();
    expect(withoutTimes(exec.unflushed()).at(-1)).toEqual({
      type: 'update_completed',
      updateId: 'u1',
      result: 4,
    });
    expect(exec.outcome).toBeUndefined(); // an update does not end the run
  });

  it('records a handler that throws as the update failed, and the run goes on', async () => {
    const exec = execution(cart, recorded(started));
    await exec.advance();
    exec.append(accepted('u2', 'add', 'boom'));
    await exec.advance();
    expect(withoutTimes(exec.unflushed()).at(-1)).toMatchObject({
      type: 'update_completed',
      updateId: 'u2',
      error: { message: 'no such item' },
    });
    exec.append({ type: 'signal_received', name: 'checkout', payload: null });
    await exec.advance();
    expect(exec.outcome).toEqual({ type: 'workflow_completed', result: 0 });
  });

  it('replays a recorded update without recording its completion again', async () => {
    const history = recorded(
      started,
      accepted('u1', 'add', 'book'),
      { type: 'activity_scheduled', cmd: 0, name: 'price', args: ['book'] },
      { type: 'activity_completed', cmd: 0, result: 4 },
      { type: 'update_completed', updateId: 'u1', result: 4 },
      { type: 'signal_received', name: 'checkout', payload: null },
    );
    const exec = execution(cart, history);
    await exec.advance();
    expect(exec.outcome).toEqual({ type: 'workflow_completed', result: 4 });
    expect(exec.unflushed()).toEqual([]);
  });

  it('holds an update accepted before its handler was registered until the code registers one', async () => {
    async function late(ctx: WorkflowContext) {
      await ctx.sleep(1000);
      const seen: string[] = [];
      ctx.onUpdate('note', (text: string) => {
        seen.push(text);
        return seen.length;
      });
      await ctx.signal('done');
      return seen;
    }
    const exec = execution(
      late,
      recorded(
        started,
        { type: 'timer_started', cmd: 0, fireAt: new Date(T0 + 1000).toISOString() },
        accepted('u1', 'note', 'first'),
      ),
    );
    await exec.advance();
    expect(exec.unflushed()).toEqual([]); // no handler yet: nothing ran
    exec.append({ type: 'timer_fired', cmd: 0 });
    await exec.advance();
    expect(withoutTimes(exec.unflushed())).toEqual([
      { type: 'timer_fired', cmd: 0 },
      { type: 'update_completed', updateId: 'u1', result: 1 },
    ]);
  });
});

import { activityContext, CancelledError, defineActivity, type WorkflowContext } from '@reel/sdk';
import { describe, expect, inject, it, vi } from 'vitest';
import { createTestEnv, recordingLogger } from '../src/index.ts';

async function chargeCard(card: string, cents: number): Promise<{ id: string }> {
  throw new Error(`the real chargeCard must not run in unit tests (${card}, ${cents})`);
}
async function ship(orderId: string): Promise<string> {
  return `tracking-${orderId}`;
}
const flaky = defineActivity(
  async () => {
    throw new Error('always down');
  },
  { retry: { maxAttempts: 4, initialInterval: '1 hour', backoffCoefficient: 2 } },
);

async function order(ctx: WorkflowContext, input: { id: string }) {
  const payment = await ctx.activity(chargeCard, '4242', 1000);
  const approval = await ctx.signal<{ ok: boolean }>('approve', { timeout: '3 days' });
  if (!approval?.ok) return { status: 'rejected', payment: payment.id, at: ctx.now().toISOString() };
  await ctx.sleep('30 days');
  return { status: 'shipped', tracking: await ctx.activity(ship, input.id), at: ctx.now().toISOString() };
}

async function retrier(ctx: WorkflowContext) {
  try {
    await ctx.activity(flaky);
  } catch (err) {
    return { failedAt: ctx.now().toISOString(), message: (err as Error).message };
  }
}

async function longSleep(ctx: WorkflowContext) {
  await ctx.sleep('30 days');
  return ctx.now().toISOString();
}

async function cancellable(ctx: WorkflowContext) {
  try {
    await ctx.sleep('1 day');
  } catch (err) {
    if (err instanceof CancelledError) return 'cleaned up';
    throw err;
  }
  return 'slept';
}

/** Its `book` update waits two days for a slot, then answers when; a slot must be named. */
async function booking(ctx: WorkflowContext) {
  ctx.onUpdate(
    'book',
    async (slot: string) => {
      await ctx.sleep('2 days');
      return { slot, at: ctx.now().toISOString() };
    },
    {
      validate: (slot) => {
        if (!slot) throw new Error('name a slot');
      },
    },
  );
  await ctx.signal('done');
}

const start = '2030-01-01T00:00:00.000Z';
const days = (n: number) => new Date(Date.parse(start) + n * 86_400_000).toISOString();

describe('createTestEnv (in memory)', () => {
  it('skips 30 days of sleep in milliseconds of wall time', async () => {
    await using env = await createTestEnv({ workflows: { longSleep }, startTime: start });
    const wall = Date.now();
    const handle = await env.client.start(longSleep, undefined);
    expect(await handle.result()).toBe(days(30));
    expect(Date.now() - wall).toBeLessThan(5000);
    expect(env.now().toISOString()).toBe(days(30));
  });

  it('answers an update whose handler sleeps, in virtual time; rejects by its validator; once per update id', async () => {
    await using env = await createTestEnv({ workflows: { booking }, startTime: start });
    await env.client.start(booking, undefined, { id: 'b1' });
    const booked = { slot: 'am', at: days(2) };
    expect(await env.client.update('b1', 'book', 'am', { updateId: 'r1' })).toEqual(booked);
    expect(await env.client.update('b1', 'book', 'pm', { updateId: 'r1' })).toEqual(booked);
    await expect(env.client.update('b1', 'book', '')).rejects.toMatchObject({ code: 'REEL_UPDATE_REJECTED' });
    const types = (await env.client.history('b1')).events.map((e) => e.type);
    expect(types.filter((t) => t.startsWith('update_'))).toEqual(['update_accepted', 'update_completed']);
  });

  it('takes the signal timeout path after 3 virtual days, with mocks by function', async () => {
    await using env = await createTestEnv({
      workflows: { order },
      activities: { chargeCard, ship },
      mocks: [[chargeCard, async () => ({ id: 'pay-1' })]],
      startTime: start,
    });
    const handle = await env.client.start(order, { id: 'o1' });
    expect(await handle.result()).toEqual({ status: 'rejected', payment: 'pay-1', at: days(3) });
  });

  it('advances manually with env.sleep and delivers a signal in virtual time, with mocks by name', async () => {
    await using env = await createTestEnv({
      workflows: { order },
      activities: { ship },
      mocks: { chargeCard: async () => ({ id: 'pay-2' }) },
      startTime: start,
    });
    const handle = await env.client.start(order, { id: 'o2' });
    await env.sleep('1 day');
    expect((await handle.describe()).status).toBe('running');
    await handle.signal('approve', { ok: true });
    expect(await handle.result()).toEqual({ status: 'shipped', tracking: 'tracking-o2', at: days(31) });
  });

  it('runs activity retries on the virtual clock', async () => {
    await using env = await createTestEnv({
      workflows: { retrier },
      activities: { flaky },
      startTime: start,
      logger: recordingLogger(),
    });
    const handle = await env.client.start(retrier, undefined);
    // 1h + 2h + 4h of backoff between the four attempts
    expect(await handle.result()).toEqual({
      failedAt: new Date(Date.parse(start) + 7 * 3_600_000).toISOString(),
      message: expect.stringContaining('after 4 attempt(s)'),
    });
  });

  it('sleeps until a date, by ctx.now(), and not at all for a date that has passed', async () => {
    async function untilDates(ctx: WorkflowContext, dates: (string | number)[]) {
      const woke: string[] = [];
      for (const date of dates) {
        await ctx.sleepUntil(date);
        woke.push(ctx.now().toISOString());
      }
      return woke;
    }
    await using env = await createTestEnv({ workflows: { untilDates }, startTime: start });
    const handle = await env.client.start(untilDates, [
      '2030-01-15T09:00:00Z',
      '2029-12-31T00:00:00Z',
      Date.parse('2030-02-01T00:00:00Z'),
    ]);
    expect(await handle.result()).toEqual([
      '2030-01-15T09:00:00.000Z',
      '2030-01-15T09:00:00.000Z',
      '2030-02-01T00:00:00.000Z',
    ]);
    const timers = (await env.client.history(handle.id)).events.filter((e) => e.type === 'timer_started');
    expect(timers).toHaveLength(2); // none for the date that had passed
    const bad = await env.client.start(untilDates, ['next tuesday']);
    await expect(bad.result()).rejects.toMatchObject({
      failure: { code: 'REEL_INVALID_ARGUMENT', message: expect.stringContaining('ctx.sleepUntil') },
    });
  });

  it('leaves virtual time alone after an update its validator rejects', async () => {
    async function door(ctx: WorkflowContext) {
      let open = false;
      ctx.onQuery('open', () => open);
      ctx.onUpdate('open', () => (open = true), {
        validate: () => {
          throw new Error('locked');
        },
      });
      return ctx.waitFor(() => open, { timeout: '30 minutes' });
    }
    await using env = await createTestEnv({ workflows: { door }, startTime: start });
    const handle = await env.client.start(door, undefined);
    await expect(env.client.update(handle.id, 'open')).rejects.toMatchObject({
      code: 'REEL_UPDATE_REJECTED',
    });
    expect(await env.client.query(handle.id, 'open')).toBe(false);
    expect((await handle.describe()).status).toBe('running');
    expect(env.now().toISOString()).toBe(start);
  });

  it('cancels a sleeping workflow', async () => {
    await using env = await createTestEnv({ workflows: { cancellable }, startTime: start });
    const handle = await env.client.start(cancellable, undefined);
    await env.sleep('1 hour');
    await handle.cancel();
    expect(await handle.result()).toBe('cleaned up');
  });

  it('ends a run cancelled while ctx.map has attempts under way, after their outcomes', async () => {
    let started = 0;
    // Told to stop, it finishes its work anyway, in the next turn of the event loop: both attempts
    // end in the same turn, the second while the step the first one woke is under way.
    async function slowStep(n: number) {
      started++;
      const { signal } = activityContext();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await new Promise(setImmediate);
      return n;
    }
    async function mapped(ctx: WorkflowContext) {
      return ctx.map([1, 2, 3, 4, 5, 6], (n) => ctx.activity(slowStep, n), { concurrency: 2 });
    }
    await using env = await createTestEnv({ workflows: { mapped }, activities: { slowStep } });
    const handle = await env.client.start(mapped, undefined);
    await vi.waitUntil(() => started === 2);
    await handle.cancel();
    await expect(handle.result({ timeout: '10s' })).rejects.toBeInstanceOf(CancelledError);
    const types = (await env.client.history(handle.id)).events.map((e) => e.type);
    // The two attempts under way finished and were recorded before the cancellation reached the code.
    expect(types.filter((t) => t === 'activity_completed')).toHaveLength(2);
    expect(types.indexOf('cancel_requested')).toBeGreaterThan(types.lastIndexOf('activity_completed'));
  });

  it('rejects result() of a parked workflow instead of hanging', async () => {
    async function broken(ctx: WorkflowContext) {
      return ctx.activity(async function notRegistered() {
        return 1;
      });
    }
    const logger = recordingLogger();
    await using env = await createTestEnv({ workflows: { broken }, logger });
    const handle = await env.client.start(broken, undefined);
    await expect(handle.result()).rejects.toMatchObject({ code: 'REEL_UNKNOWN_ACTIVITY' });
    const parked = await logger.waitFor(/^run parked/);
    expect(parked).toMatchObject({
      level: 'error',
      fields: { code: 'REEL_UNKNOWN_ACTIVITY', type: 'broken' },
    });
  });
});

describe("createTestEnv({ store: 'postgres' })", () => {
  it('runs the same workflow with time skipping on a real database', async () => {
    await using env = await createTestEnv({
      workflows: { order },
      activities: { ship },
      mocks: { chargeCard: async () => ({ id: 'pay-3' }) },
      store: 'postgres',
      connectionString: inject('databaseUrl'),
      startTime: start,
    });
    const handle = await env.client.start(order, { id: 'o3' });
    await env.sleep('2 days');
    await handle.signal('approve', { ok: true });
    expect(await handle.result()).toEqual({ status: 'shipped', tracking: 'tracking-o3', at: days(32) });
  });
});

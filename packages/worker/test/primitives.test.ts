import { setTimeout as delay } from 'node:timers/promises';
import {
  activityContext,
  CancelledError,
  Client,
  defineActivity,
  NonRetryableError,
  Saga,
  type WorkflowContext,
  type WorkflowFn,
} from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { GatedStore } from './gated-store.ts';
import { deferred, suspendedUntil, until, untilRecorded } from './helpers.ts';

// stickyMs 0: every wait suspends the run, so every step below is resumed by replaying its history.
const db = useTestDatabase();
const calls: string[] = [];

async function step(name: string, ms = 0): Promise<string> {
  // Stops when aborted: an attempt left running when its run closed records nothing in a later test.
  await delay(ms, undefined, { signal: activityContext().signal });
  calls.push(name);
  return name;
}
const failing = defineActivity(
  async (name: string) => {
    calls.push(`fail:${name}`);
    throw new NonRetryableError(`${name} failed`);
  },
  { retry: { maxAttempts: 1 } },
);

async function cart(ctx: WorkflowContext) {
  const items: string[] = [];
  let checkedOut = false;
  await ctx.activity(step, 'open-cart'); // signals received meanwhile wait for the handlers below
  ctx.onSignal<string>('add', (item) => items.push(item));
  ctx.onSignal('checkout', () => {
    checkedOut = true;
  });
  ctx.onQuery('items', () => items);
  const done = await ctx.waitFor(() => checkedOut && items.length > 0, { timeout: '5s' });
  return { done, items };
}

async function idle(ctx: WorkflowContext) {
  return ctx.waitFor(() => false, { timeout: '300ms' });
}

async function fanOut(ctx: WorkflowContext, names: string[]) {
  const all = await Promise.all(names.map((n, i) => ctx.activity(step, n, 50 * (names.length - i))));
  const first = await Promise.race([ctx.activity(step, 'slow', 300), ctx.activity(step, 'fast', 10)]);
  const mapped = await ctx.map(names, (n) => ctx.activity(step, `m-${n}`, 20), { concurrency: 2 });
  const settled = await ctx.map(
    ['x', 'y'],
    (n) => (n === 'x' ? ctx.activity(failing, n) : ctx.activity(step, n)),
    { onError: 'continue' },
  );
  return { all, first, mapped, settled: settled.map((s) => s.status) };
}

async function booking(ctx: WorkflowContext, failAt: string) {
  const saga = new Saga(ctx);
  return saga.run(async () => {
    await ctx.activity(step, 'reserve-flight');
    saga.add(() => ctx.activity(step, 'cancel-flight'));
    await ctx.activity(step, 'reserve-hotel');
    saga.add(() => ctx.activity(failAt === 'compensation' ? failing : step, 'cancel-hotel'));
    if (failAt === 'wait')
      await ctx.sleep('1 day'); // cancelled from outside
    else await ctx.activity(failing, 'charge');
    return 'booked';
  });
}

/** An attempt that is told of a cancellation, and finishes its work anyway when the test says. */
const stubborn = {
  started: deferred(),
  asked: deferred<unknown>(),
  finish: deferred(),
};
async function reserveStubbornly(name: string): Promise<string> {
  const { signal } = activityContext();
  signal.addEventListener('abort', () => stubborn.asked.resolve(signal.reason), { once: true });
  stubborn.started.resolve();
  await stubborn.finish.promise;
  calls.push(name);
  return name;
}

async function bookingUnderWay(ctx: WorkflowContext) {
  const saga = new Saga(ctx);
  return saga.run(async () => {
    const seat = await ctx.activity(reserveStubbornly, 'reserve-seat');
    saga.add(() => ctx.activity(step, `release-${seat}`));
    await ctx.sleep('1 day');
  });
}

/** A workflow as first deployed: charges, then ships. */
async function versioned(ctx: WorkflowContext) {
  await ctx.activity(step, 'charge');
  await ctx.signal('go');
  await ctx.activity(step, 'ship');
  return 'v1';
}

const workflows: Record<string, WorkflowFn> = { cart, idle, fanOut, booking, bookingUnderWay, versioned };
let client: Client;
let worker: Worker;
let pool: pg.Pool;
let store: GatedStore;
const startWorker = async (w = workflows) => {
  worker = await Worker.create({
    store,
    workflows: w,
    activities: { step, failing, reserveStubbornly },
    stickyMs: 0,
    handleSignals: false,
    pollIntervalMs: 50,
    logger: recordingLogger(),
  });
  void worker.run();
};

beforeAll(async () => {
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
  store = new GatedStore({ connectionString: db.connectionString });
  await startWorker();
});
afterAll(async () => {
  await worker.shutdown();
  await store.close();
  await client.close();
  await pool.end();
});

describe('signal handlers and conditions', () => {
  it('mutates state from signals, including ones sent before the handler was set, and wakes waitFor', async () => {
    await store.holdClaims(); // so 'apple' is in the inbox before the code first runs
    const handle = await client.start(cart, undefined, { id: 'cart' });
    await handle.signal('add', 'apple');
    store.releaseClaims();
    await untilRecorded(client, 'cart', 'timer_started'); // the code has set its handlers, and waits
    await handle.signal('add', 'pear');
    await untilRecorded(client, 'cart', 'signal_received', 2);
    expect(await client.query(handle.id, 'items')).toEqual(['apple', 'pear']);
    await handle.signal('checkout');
    expect(await handle.result()).toEqual({ done: true, items: ['apple', 'pear'] });
    const events = (await client.history('cart')).events;
    // 'apple' came while the code awaited its first activity, before it set the handler.
    expect(events.map((e) => e.type).slice(0, 6)).toEqual([
      'workflow_started',
      'signal_received',
      'activity_scheduled',
      'activity_completed',
      'timer_started',
      'signal_received',
    ]);
    expect(events.filter((e) => e.type === 'signal_received').map((e) => e.payload)).toEqual([
      'apple',
      'pear',
      null,
    ]);
  });

  it('waitFor resolves false on timeout', async () => {
    expect(await (await client.start(idle, undefined)).result()).toBe(false);
  });
});

describe('parallelism', () => {
  it('Promise.all, Promise.race and ctx.map replay deterministically', async () => {
    const handle = await client.start(fanOut, ['a', 'b', 'c']);
    expect(await handle.result()).toEqual({
      all: ['a', 'b', 'c'],
      first: 'fast',
      mapped: ['m-a', 'm-b', 'm-c'],
      settled: ['rejected', 'fulfilled'],
    });
  });
});

describe('sagas', () => {
  it('compensates in reverse order when a step fails, and rethrows', async () => {
    calls.length = 0;
    const handle = await client.start(booking, 'charge');
    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_FAILED',
      failure: { code: 'REEL_ACTIVITY_FAILED' },
    });
    expect(calls).toEqual([
      'reserve-flight',
      'reserve-hotel',
      'fail:charge',
      'cancel-hotel',
      'cancel-flight',
    ]);
  });

  it('compensates on cancellation, uncancellably, and ends cancelled', async () => {
    calls.length = 0;
    const handle = await client.start(booking, 'wait', { id: 'booking-wait' });
    await untilRecorded(client, 'booking-wait', 'timer_started'); // both booked, waiting a day
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toEqual(['reserve-flight', 'reserve-hotel', 'cancel-hotel', 'cancel-flight']);
  });

  it('compensates a step whose attempt was under way when the cancellation came', async () => {
    calls.length = 0;
    const handle = await client.start(bookingUnderWay, undefined, { id: 'booking-under-way' });
    await stubborn.started.promise;
    await handle.cancel('changed plans');
    // The attempt is asked to stop; it finishes its work anyway, and the code sees that it did.
    expect(await stubborn.asked.promise).toMatchObject({ code: 'REEL_CANCELLED' });
    stubborn.finish.resolve();
    await expect(handle.result()).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toEqual(['reserve-seat', 'release-reserve-seat']);
    const types = (await client.history('booking-under-way')).events.map((e) => e.type);
    expect(types.indexOf('activity_completed')).toBeLessThan(types.indexOf('cancel_requested'));
  });

  it('reports compensation failures instead of swallowing them', async () => {
    calls.length = 0;
    const handle = await client.start(booking, 'compensation');
    await expect(handle.result()).rejects.toMatchObject({
      failure: { code: 'REEL_COMPENSATION_FAILED', message: expect.stringContaining('cancel-hotel failed') },
    });
    expect(calls).toContain('cancel-flight'); // the next compensation still ran
  });
});

describe('versioning with ctx.patched', () => {
  it('keeps old runs on the old path and new runs on the new one, across a deploy', async () => {
    const old = await client.start(versioned, undefined, { id: 'v-old' });
    await untilRecorded(client, 'v-old', 'activity_completed');
    // Charged, and suspended waiting for 'go' with v1 code: the deploy finds it mid-run.
    await until(() => suspendedUntil(pool, old.runId, null), 'v-old to wait for its signal, suspended');
    await worker.shutdown();

    calls.length = 0;
    const v2 = {
      versioned: async function versioned(ctx: WorkflowContext) {
        await ctx.activity(step, 'charge');
        if (ctx.patched('send-receipt')) await ctx.activity(step, 'receipt');
        await ctx.signal('go');
        await ctx.activity(step, 'ship');
        return ctx.patched('send-receipt') ? 'v2' : 'v1';
      },
    };
    await startWorker({ ...workflows, ...v2 });
    const fresh = await client.start(v2.versioned, undefined, { id: 'v-new' });
    await old.signal('go');
    await fresh.signal('go');
    expect(await old.result()).toBe('v1');
    expect(await fresh.result()).toBe('v2');
    expect(calls.filter((c) => c === 'receipt')).toHaveLength(1);
    expect((await client.history('v-new')).events.some((e) => e.type === 'patch_marker')).toBe(true);
    expect((await client.history('v-old')).events.some((e) => e.type === 'patch_marker')).toBe(false);
  });
});

import { CancelledError, Client, type WorkflowContext, type WorkflowFn } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { until, untilRecorded, untilSleeping } from './helpers.ts';

// stickyMs 0: every wait suspends, so every step is resumed by replaying history.
const db = useTestDatabase();

async function double(n: number) {
  return n * 2;
}

async function childDoubler(ctx: WorkflowContext, n: number) {
  await ctx.sleep(50);
  if (n < 0) throw new Error(`cannot double ${n}`);
  return ctx.activity(double, n);
}

async function sleepyChild(ctx: WorkflowContext) {
  await ctx.sleep('1 day');
  return 'woke';
}

async function parent(ctx: WorkflowContext, ns: number[]) {
  const handles = await Promise.all(ns.map((n) => ctx.startChild(childDoubler, n)));
  const results = await Promise.allSettled(handles.map((h) => h.result()));
  return results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message));
}

async function waitsOnChild(ctx: WorkflowContext, policy: 'terminate' | 'requestCancel' | 'abandon') {
  const child = await ctx.startChild(sleepyChild, undefined, {
    id: `${ctx.info.workflowId}-sleeper`,
    parentClosePolicy: policy,
  });
  if (policy === 'abandon') return child.workflowId;
  try {
    return await child.result();
  } catch (err) {
    return err instanceof CancelledError ? 'cancelled' : (err as Error).message;
  }
}

/** Starts a child inside `ctx.uncancellable`, then one outside it, and sleeps until cancelled. */
async function shieldedParent(ctx: WorkflowContext) {
  const start = (name: string) =>
    ctx.startChild(sleepyChild, undefined, {
      id: `${ctx.info.workflowId}-${name}`,
      parentClosePolicy: 'abandon',
    });
  await ctx.uncancellable(() => start('shielded'));
  await start('exposed');
  try {
    await ctx.sleep('1 day');
  } catch (err) {
    if (err instanceof CancelledError) return 'parent cancelled';
    throw err;
  }
}

async function counter(ctx: WorkflowContext, state: { n: number; runs: string[] }) {
  await ctx.sleep(20);
  const runs = [...state.runs, ctx.info.runId];
  if (state.n >= 3) return { n: state.n, runs };
  return ctx.continueAsNew({ n: state.n + 1, runs });
}

/** Continues as new twice at once, then waits for a signal. */
async function relay(ctx: WorkflowContext, n: number) {
  if (n < 2) return ctx.continueAsNew(n + 1);
  return ctx.signal<string>('finish');
}

async function slow(ctx: WorkflowContext) {
  await ctx.signal('never');
}

const workflows: Record<string, WorkflowFn> = {
  childDoubler,
  sleepyChild,
  parent,
  waitsOnChild,
  shieldedParent,
  counter,
  slow,
};
let client: Client;
let worker: Worker;
let pool: pg.Pool;

beforeAll(async () => {
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities: { double },
    stickyMs: 0,
    handleSignals: false,
    pollIntervalMs: 50,
    logger: recordingLogger(),
  });
  void worker.run();
});
afterAll(async () => {
  await worker.shutdown();
  await client.close();
  await pool.end();
});

describe('child workflows', () => {
  it('starts children, awaits their results and reports a failed child', async () => {
    const handle = await client.start(parent, [1, -1, 3], { id: 'parent-1' });
    expect(await handle.result()).toEqual([2, 'Child workflow parent-1-child-1 failed: cannot double -1', 6]);
    const child = await client.describe('parent-1-child-0');
    expect(child).toMatchObject({ status: 'completed', result: 2, parentRunId: handle.runId });
    const types = (await client.history('parent-1')).events.map((e) => e.type);
    expect(types.filter((t) => t === 'child_started')).toHaveLength(3);
  });

  it('propagates cancellation from the parent to its child', async () => {
    const handle = await client.start(waitsOnChild, 'requestCancel', { id: 'parent-2' });
    await untilRecorded(client, 'parent-2', 'child_started'); // the parent awaits its child's result
    await untilSleeping(client, pool, 'parent-2-sleeper');
    await handle.cancel();
    expect(await handle.result()).toBe('cancelled');
    await expect(client.result('parent-2-sleeper')).rejects.toBeInstanceOf(CancelledError);
  });

  it('applies the parent-close policy: abandon leaves the child running, terminate ends it', async () => {
    const abandoning = await client.start(waitsOnChild, 'abandon', { id: 'parent-3' });
    expect(await abandoning.result()).toBe('parent-3-sleeper');
    expect((await client.describe('parent-3-sleeper')).status).toBe('running');

    const terminating = await client.start(waitsOnChild, 'terminate', {
      id: 'parent-4',
      executionTimeout: '500ms',
    });
    await expect(terminating.result()).rejects.toMatchObject({ failure: { code: 'REEL_WORKFLOW_TIMEOUT' } });
    // The policy is applied once the parent's close is durable, just after result() has it.
    await until(
      async () => (await client.describe('parent-4-sleeper')).status !== 'running',
      'the policy to reach the child',
    );
    expect((await client.describe('parent-4-sleeper')).status).toBe('terminated');
  });

  it('terminating a parent applies its children’s parent-close policies', async () => {
    const terminated = await client.start(waitsOnChild, 'terminate', { id: 'parent-5' });
    const cancelled = await client.start(waitsOnChild, 'requestCancel', { id: 'parent-6' });
    await untilRecorded(client, 'parent-5', 'child_started');
    await untilRecorded(client, 'parent-6', 'child_started');
    await terminated.terminate('stop everything');
    await cancelled.terminate('stop everything');
    expect((await client.describe('parent-5-sleeper')).status).toBe('terminated');
    await expect(client.result('parent-6-sleeper')).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('uncancellable children', () => {
  it('cancelling a suspended parent cancels its children, except those started inside ctx.uncancellable', async () => {
    const handle = await client.start(shieldedParent, undefined, { id: 'parent-7' });
    await untilSleeping(client, pool, 'parent-7');
    await handle.cancel();
    expect(await handle.result()).toBe('parent cancelled');
    // The parent passes the cancellation on in the order its children started: by the time the
    // exposed child has it, the shielded one was passed over.
    await expect(client.result('parent-7-exposed')).rejects.toBeInstanceOf(CancelledError);
    const shielded = await client.describe('parent-7-shielded');
    expect(shielded.status).toBe('running');
    const { rows } = await pool.query('select kind from reel.inbox where run_id = $1', [shielded.runId]);
    expect(rows).toEqual([]);
    expect((await client.history('parent-7-shielded')).events.map((e) => e.type)).not.toContain(
      'cancel_requested',
    );
  });
});

describe('continueAsNew', () => {
  it('closes each run as continued and carries on under the same id; result() follows to the last run', async () => {
    const handle = await client.start(
      counter,
      { n: 0, runs: [] },
      { id: 'counter', attributes: { team: 'growth' } },
    );
    const result = (await handle.result()) as { n: number; runs: string[] };
    expect(result.n).toBe(3);
    expect(new Set(result.runs).size).toBe(4);
    expect(result.runs[0]).toBe(handle.runId);
    const first = await client.describe('counter', { runId: handle.runId });
    expect(first.status).toBe('continued');
    const last = await client.describe('counter');
    expect(last).toMatchObject({
      status: 'completed',
      runId: result.runs[3],
      attributes: { team: 'growth' },
    });
    expect((await client.history('counter', { runId: handle.runId })).events.at(-1)?.type).toBe(
      'workflow_continued_as_new',
    );
  });

  it('signals and follows the last run when every run of the chain has the same time (a frozen clock)', async () => {
    const frozen = new Date();
    const clock = () => frozen;
    const frozenWorker = await Worker.create({
      connectionString: db.connectionString,
      workflows: { relay },
      clock,
      handleSignals: false,
      pollIntervalMs: 50,
      logger: recordingLogger(),
    });
    const frozenClient = new Client({ connectionString: db.connectionString, clock });
    void frozenWorker.run();
    try {
      const handle = await frozenClient.start(relay, 0, { id: 'relay' });
      // Every run of the chain exists (the third waits for the signal), all stamped with one time.
      await expect
        .poll(async () => (await frozenClient.list({ type: 'relay' })).items.length, { timeout: 10_000 })
        .toBe(3);
      await frozenClient.signal('relay', 'finish', 'over');
      expect(await handle.result({ timeout: '10s' })).toBe('over');
      expect(await frozenClient.describe('relay')).toMatchObject({ status: 'completed', result: 'over' });
    } finally {
      await frozenWorker.shutdown();
      await frozenClient.close();
    }
  });
});

describe('start options', () => {
  it('fails a run that outlives its execution timeout', async () => {
    const handle = await client.start(slow, undefined, { executionTimeout: '300ms' });
    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_FAILED',
      failure: { code: 'REEL_WORKFLOW_TIMEOUT' },
    });
  });

  it('delays a start', async () => {
    const started = Date.now();
    const handle = await client.start(childDoubler, 4, { startDelay: '600ms' });
    expect((await handle.describe()).status).toBe('running');
    expect(await handle.result()).toBe(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('filters list() by attributes', async () => {
    await client.start(childDoubler, 1, { id: 'attr-a', attributes: { customer: 'acme', tier: 'gold' } });
    await client.start(childDoubler, 1, { id: 'attr-b', attributes: { customer: 'acme', tier: 'free' } });
    const gold = await client.list({ attributes: { customer: 'acme', tier: 'gold' } });
    expect(gold.items.map((r) => r.workflowId)).toEqual(['attr-a']);
    const acme = await client.list({ attributes: { customer: 'acme' } });
    expect(acme.items.map((r) => r.workflowId).sort()).toEqual(['attr-a', 'attr-b']);
  });

  it('signalWithStart starts when no run is open and signals the open one otherwise', async () => {
    const first = await client.signalWithStart(slow, undefined, { id: 'sws' }, 'poke', 1);
    const second = await client.signalWithStart(slow, undefined, { id: 'sws' }, 'poke', 2);
    expect(second.runId).toBe(first.runId);
    const again = await client.start(slow, undefined, { id: 'sws', onConflict: 'terminateExisting' });
    expect(again.runId).not.toBe(first.runId);
    expect((await client.describe('sws', { runId: first.runId })).status).toBe('terminated');
    expect((await client.describe('sws')).status).toBe('running');
  });
});

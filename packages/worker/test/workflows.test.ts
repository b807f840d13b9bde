import { Client, type ReelError } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '../src/index.ts';
import {
  activities,
  approval,
  cancellable,
  deterministic,
  log,
  retrying,
  sleeper,
  threeSteps,
  twoSignals,
  workflows,
} from './fixtures/workflows.ts';
import { GatedStore } from './gated-store.ts';
import { leaseOf, suspendedUntil, until, untilRecorded, untilSleeping } from './helpers.ts';

const db = useTestDatabase();
let worker: Worker;
let client: Client;
let pool: pg.Pool;
let store: GatedStore;

beforeAll(async () => {
  store = new GatedStore({ connectionString: db.connectionString });
  worker = await Worker.create({
    store,
    workflows,
    activities,
    handleSignals: false,
    stickyMs: 50,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
  pool = new pg.Pool({ connectionString: db.connectionString });
});
afterAll(async () => {
  await worker?.shutdown();
  await store?.close();
  await client?.close();
  await pool?.end();
});

describe('workflows on Postgres', () => {
  it('runs a 3-activity workflow to its result and records its history', async () => {
    const handle = await client.start(threeSteps, { a: 2, b: 3 }, { id: 'three-steps' });
    expect(await handle.result()).toBe('result is 10');
    const history = await client.history('three-steps');
    expect(history.events.map((e) => e.type)).toEqual([
      'workflow_started',
      'activity_scheduled',
      'activity_completed',
      'activity_scheduled',
      'activity_completed',
      'activity_scheduled',
      'activity_completed',
      'workflow_completed',
    ]);
    expect((await client.describe('three-steps')).status).toBe('completed');
  });

  it('is idempotent by workflow id', async () => {
    const a = await client.start(threeSteps, { a: 1, b: 1 }, { id: 'same-id' });
    const b = await client.start(threeSteps, { a: 5, b: 5 }, { id: 'same-id' });
    expect(b.runId).toBe(a.runId);
    expect(b.created).toBe(false);
    expect(await b.result()).toBe('result is 4');
    await expect(
      client.start(threeSteps, { a: 1, b: 1 }, { id: 'same-id', onConflict: 'fail' }),
    ).rejects.toMatchObject({ code: 'REEL_WORKFLOW_ALREADY_STARTED' });
  });

  it('suspends on a sleep, its lease released until the wake time, and resumes after it', async () => {
    const handle = await client.start(sleeper, 1000, { id: 'sleeper' });
    // While it sleeps no worker holds it, and it is claimable at the wake time, not before.
    await untilSleeping(client, pool, 'sleeper');
    expect(await handle.result()).toBeGreaterThanOrEqual(1000);
    // Resumed by a new claim (a new fencing token), which replayed the sleep and fired its timer.
    expect((await leaseOf(pool, handle.runId)).fencingToken).toBe(2);
    expect((await client.history('sleeper')).events.map((e) => e.type)).toEqual([
      'workflow_started',
      'timer_started',
      'timer_fired',
      'workflow_completed',
    ]);
  });

  it('delivers a signal sent before the wait and one sent while the run waits, suspended', async () => {
    await store.holdClaims(); // so 'early' is in the inbox before the code first runs
    const handle = await client.start(twoSignals, undefined, { id: 'two-signals' });
    await handle.signal('note', 'early');
    store.releaseClaims();
    await untilRecorded(client, 'two-signals', 'timer_fired');
    await until(() => suspendedUntil(pool, handle.runId, null), 'the run to wait, suspended, for a signal');
    await handle.signal('note', 'late');
    expect(await handle.result()).toEqual(['early', 'late']);
    expect((await client.history('two-signals')).events.map((e) => e.type)).toEqual([
      'workflow_started',
      'signal_received',
      'timer_started',
      'timer_fired',
      'signal_received',
      'workflow_completed',
    ]);
  });

  it('takes the timeout path when no signal comes', async () => {
    const handle = await client.start(approval, '300ms');
    expect(await handle.result()).toBe('timed out');
    const approved = await client.start(approval, '1 minute');
    await approved.signal('approve', { ok: true });
    expect(await approved.result()).toBe('approved');
  });

  it('cancels: the pending await rejects, cleanup runs, the workflow ends cancelled', async () => {
    const handle = await client.start(cancellable, undefined, { id: 'to-cancel' });
    await untilRecorded(client, 'to-cancel', 'timer_started'); // the code awaits its sleep
    await handle.cancel('customer changed their mind');
    await expect(handle.result()).rejects.toMatchObject({ code: 'REEL_CANCELLED' });
    expect(log).toContain('cleanup:to-cancel');
    expect((await handle.describe()).status).toBe('cancelled');
    const types = (await client.history('to-cancel')).events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['workflow_started', 'timer_started', 'cancel_requested']);
    expect(types.at(-1)).toBe('workflow_cancelled');
  });

  it('terminates at once: no workflow code runs, the run closes as terminated', async () => {
    const handle = await client.start(cancellable, undefined, { id: 'to-terminate' });
    await untilRecorded(client, 'to-terminate', 'timer_started'); // the code awaits its sleep
    await handle.terminate('stuck order');
    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_TERMINATED',
      message: 'Workflow to-terminate was terminated: stuck order',
    });
    expect(log).not.toContain('cleanup:to-terminate');
    const events = (await client.history('to-terminate')).events;
    expect(events.map((e) => e.type)).toEqual(['workflow_started', 'timer_started', 'workflow_terminated']);
    expect(events.at(-1)).toMatchObject({ type: 'workflow_terminated', reason: 'stuck order' });
    await expect(handle.terminate()).rejects.toMatchObject({ code: 'REEL_WORKFLOW_CLOSED' });
  });

  it('retries activities with backoff and fails non-retryable errors at once', async () => {
    const handle = await client.start(retrying, undefined, { id: 'retrying' });
    expect(await handle.result()).toEqual({
      calls: 3,
      declined: "Activity 'declined' failed after 1 attempt(s): card declined",
    });
    const retries = (await client.history('retrying')).events.filter((e) => e.type === 'activity_retrying');
    expect(retries.map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
  });

  it('gives replay-safe now, random and uuid', async () => {
    const handle = await client.start(deterministic, undefined);
    const [random, uuid, now, type] = (await handle.result()) as [number, string, string, string];
    expect(random).toBeGreaterThanOrEqual(0);
    expect(random).toBeLessThan(1);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(now)).not.toBeNaN();
    expect(type).toBe('deterministic');
  });
});

describe('bad input gets a clear error code', () => {
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: ReelError) => e.code,
    );

  it('rejects an unknown workflow type', async () => {
    expect(await code(client.start('noSuchWorkflow', {}))).toBe('REEL_UNKNOWN_WORKFLOW_TYPE');
  });
  it('rejects non-serializable input', async () => {
    expect(await code(client.start(threeSteps, { a: 1, b: 2n } as never))).toBe('REEL_NOT_SERIALIZABLE');
    expect(await code(client.start(sleeper, new Date() as never))).toBe('REEL_NOT_SERIALIZABLE');
  });
  it('rejects an invalid duration', async () => {
    const handle = await client.start(approval, 'three days');
    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_FAILED',
      failure: { code: 'REEL_INVALID_DURATION' },
    });
  });
  it('rejects signals to unknown or closed workflows', async () => {
    expect(await code(client.signal('nobody', 'x'))).toBe('REEL_WORKFLOW_NOT_FOUND');
    expect(await code(client.signal('three-steps', 'x'))).toBe('REEL_WORKFLOW_CLOSED');
    expect(await code(client.signal('three-steps', ''))).toBe('REEL_INVALID_ARGUMENT');
  });
});

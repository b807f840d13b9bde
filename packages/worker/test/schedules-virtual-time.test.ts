import { createTestEnv, type TestEnv } from '@reel/testing';
import { describe, expect, inject, it } from 'vitest';
import { longJob, scheduledWorkflows, stamp } from './fixtures/scheduled.ts';

/**
 * Schedules on the time-skipping test environment: hours and days of ticks in milliseconds. Each
 * case runs on the memory store and on Postgres (a fresh database), so both stores and both
 * time-skipping probes fire schedules the same way.
 */
const stores = ['memory', 'postgres'] as const;

async function env(store: (typeof stores)[number], startTime: string): Promise<TestEnv> {
  return createTestEnv({
    workflows: scheduledWorkflows,
    startTime,
    store,
    ...(store === 'postgres' ? { connectionString: inject('databaseUrl') } : {}),
  });
}

/** The runs a schedule started, oldest first: fire time (from the workflow id) and start time. */
async function runsOf(e: TestEnv, scheduleId: string) {
  const { items } = await e.client.list({ limit: 1000 });
  return items
    .filter((r) => r.workflowId.startsWith(`${scheduleId}@`))
    .map((r) => ({
      firedFor: r.workflowId.slice(scheduleId.length + 1),
      startedAt: r.createdAt.toISOString(),
      status: r.status,
    }))
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
}

describe.each(stores)('schedules in virtual time (%s store)', (store) => {
  it('fires every day at 09:00 Europe/Paris across the spring DST change', async () => {
    await using e = await env(store, '2025-03-27T12:00:00.000Z');
    await e.client.schedules.create({
      id: 'paris',
      workflow: stamp,
      cron: '0 9 * * *',
      timezone: 'Europe/Paris',
      input: { label: 'morning' },
    });
    await e.sleep('5 days');
    const runs = await runsOf(e, 'paris');
    // 09:00 CET is 08:00 UTC; from Sunday 30 March, 09:00 CEST is 07:00 UTC.
    expect(runs.map((r) => r.firedFor)).toEqual([
      '2025-03-28T08:00:00.000Z',
      '2025-03-29T08:00:00.000Z',
      '2025-03-30T07:00:00.000Z',
      '2025-03-31T07:00:00.000Z',
      '2025-04-01T07:00:00.000Z',
    ]);
    expect(runs.map((r) => r.startedAt)).toEqual(runs.map((r) => r.firedFor));
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    expect((await e.client.schedules.describe('paris')).nextFireAt?.toISOString()).toBe(
      '2025-04-02T07:00:00.000Z',
    );
  });

  // An hourly schedule whose runs take 100 minutes, from 00:00 to 04:30.
  const overlapCase = async (overlap: 'skip' | 'bufferOne' | 'allowAll') => {
    const e = await env(store, '2026-01-04T23:59:00.000Z');
    await e.client.schedules.create({
      id: overlap,
      workflow: longJob,
      cron: '0 * * * *',
      input: 100,
      overlap,
    });
    await e.sleep('4h 30m');
    return { e, runs: await runsOf(e, overlap) };
  };
  const t = (hhmm: string) => `2026-01-05T${hhmm}:00.000Z`;

  it('overlap skip: a tick while the previous run is open starts nothing', async () => {
    const { e, runs } = await overlapCase('skip');
    await using _ = e;
    expect(runs.map((r) => r.firedFor)).toEqual([t('00:00'), t('02:00'), t('04:00')]);
    expect(runs.map((r) => r.startedAt)).toEqual([t('00:00'), t('02:00'), t('04:00')]);
  });

  it('overlap bufferOne: one pending tick starts when the previous run closes, later ones are dropped', async () => {
    const { e, runs } = await overlapCase('bufferOne');
    await using _ = e;
    // 01:00 waits for the 00:00 run (done 01:40); 02:00 waits for that one (done 03:20); 03:00 is
    // dropped, since 02:00 already waits; 04:00 waits for the 02:00 run (done 05:00).
    expect(runs).toEqual([
      { firedFor: t('00:00'), startedAt: t('00:00'), status: 'completed' },
      { firedFor: t('01:00'), startedAt: t('01:40'), status: 'completed' },
      { firedFor: t('02:00'), startedAt: t('03:20'), status: 'running' },
    ]);
    const s = await e.client.schedules.describe('bufferOne');
    expect(s.bufferedAt?.toISOString()).toBe(t('04:00'));
    await e.sleep('1h');
    expect((await runsOf(e, 'bufferOne')).at(-1)).toMatchObject({
      firedFor: t('04:00'),
      startedAt: t('05:00'),
    });
  });

  it('overlap allowAll: every tick starts a run, side by side', async () => {
    const { e, runs } = await overlapCase('allowAll');
    await using _ = e;
    const hours = [t('00:00'), t('01:00'), t('02:00'), t('03:00'), t('04:00')];
    expect(runs.map((r) => r.firedFor)).toEqual(hours);
    expect(runs.map((r) => r.startedAt)).toEqual(hours);
    // The 02:00 run closed at 03:40; the 03:00 and 04:00 runs overlap.
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'running', 'running']);
  });

  it('fires nothing while paused and does not make up missed ticks on resume', async () => {
    await using e = await env(store, '2026-01-04T23:59:00.000Z');
    await e.client.schedules.create({
      id: 'paused',
      workflow: stamp,
      cron: '0 * * * *',
      input: { label: 'p' },
    });
    await e.sleep('1h 30m'); // 00:00 and 01:00 fire
    await e.client.schedules.pause('paused');
    await e.sleep('3h'); // to 04:29: nothing
    await e.client.schedules.resume('paused');
    await e.sleep('1h'); // 05:00 fires
    const runs = await runsOf(e, 'paused');
    expect(runs.map((r) => r.firedFor)).toEqual([t('00:00'), t('01:00'), t('05:00')]);
  });
});

// The store's part is in the conformance suite; here, the client's option reaches the scheduler's runs.
it("a schedule's concurrency limit queues its runs, which take its priority", async () => {
  await using e = await env('memory', '2026-01-04T23:59:00.000Z');
  const concurrency = { key: 'nightly', limit: 1 };
  await e.client.schedules.create({
    id: 'limited',
    workflow: longJob,
    cron: '0 * * * *',
    input: 100,
    overlap: 'allowAll',
    concurrency,
    priority: 2,
  });
  await e.sleep('2h 30m');
  // 00:00 ran until 01:40; 01:00 waited for it and runs; 02:00 waits for 01:00's.
  const run = (hhmm: string) => e.client.describe(`limited@2026-01-05T${hhmm}:00.000Z`);
  expect(await run('00:00')).toMatchObject({ status: 'completed', priority: 2 });
  expect(await run('01:00')).toMatchObject({ status: 'running', priority: 2 });
  expect((await run('01:00')).waitingFor).toBeUndefined();
  expect(await run('02:00')).toMatchObject({ waitingFor: { concurrencyKey: 'nightly' } });
  expect(await e.client.schedules.describe('limited')).toMatchObject({ concurrency, priority: 2 });
});

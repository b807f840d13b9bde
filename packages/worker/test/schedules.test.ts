import { Client, PostgresStore, type ReelError, type ScheduleTick } from '@reel/sdk';
import { recordingLogger } from '@reel/testing';
import { useTestDatabase } from '@reel/testing/vitest';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Worker } from '../src/index.ts';
import { scheduledWorkflows, stamp } from './fixtures/scheduled.ts';
import { until } from './helpers.ts';

const db = useTestDatabase();

/** A PostgresStore that keeps the scheduler passes it runs: when each began (by the engine clock), and whether it ended. */
class PassesStore extends PostgresStore {
  readonly passes: { now: Date; done: Promise<unknown>; ended: boolean }[] = [];
  override fireSchedules(now: Date, limit: number) {
    const pass = { now, done: super.fireSchedules(now, limit), ended: false };
    pass.done.then(
      () => (pass.ended = true),
      () => (pass.ended = true),
    );
    this.passes.push(pass);
    return pass.done as ReturnType<PostgresStore['fireSchedules']>;
  }
}
const stores: PassesStore[] = [];
/** Resolves once every pass under way in either worker has ended. */
const passesUnderWayEnd = () => Promise.allSettled(stores.flatMap((s) => s.passes.map((p) => p.done)));
/** Whether each worker has ended a pass begun at `at` or later. */
const bothPassedAt = (at: number) =>
  stores.every((s) => s.passes.some((p) => p.ended && p.now.getTime() >= at));
/** `tick started` reports of both workers: the workflow id of every run a worker's tick started. */
const started: string[] = [];
let workers: Worker[] = [];
let client: Client;

beforeAll(async () => {
  // Two workers on one database: each runs a scheduler loop.
  for (let i = 0; i < 2; i++) {
    const store = new PassesStore({ connectionString: db.connectionString });
    stores.push(store);
    const worker = await Worker.create({
      store,
      workflows: scheduledWorkflows,
      handleSignals: false,
      logger: recordingLogger({
        onRecord: (r) => {
          if (r.msg.endsWith(' fired')) started.push(r.fields.workflowId as string);
        },
      }),
    });
    void worker.run();
    workers.push(worker);
  }
  client = new Client({ connectionString: db.connectionString });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.shutdown()));
  workers = [];
  await Promise.all(stores.map((s) => s.close()));
  await client?.close();
});

/** The runs a schedule started, oldest first. */
async function runsOf(scheduleId: string) {
  const { items } = await client.list({ limit: 1000 });
  return items.filter((r) => r.workflowId.startsWith(`${scheduleId}@`)).reverse();
}

describe('schedules on Postgres', () => {
  it('fires a schedule every second, and its runs complete', async () => {
    await client.schedules.create({
      id: 'every-second',
      workflow: stamp,
      cron: '* * * * * *',
      input: { label: 'hello' },
    });
    await until(
      async () => (await runsOf('every-second')).filter((r) => r.status === 'completed').length >= 3,
      'three completed runs',
    );
    await client.schedules.pause('every-second');
    const runs = await runsOf('every-second');
    for (const run of runs.filter((r) => r.status === 'completed')) {
      expect(run.result).toEqual({ label: 'hello', workflowId: run.workflowId });
      expect(run.workflowId).toMatch(/^every-second@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    }
    const s = await client.schedules.describe('every-second');
    expect(s.recentRuns[0]?.workflowId).toBe(runs.at(-1)?.workflowId);
    expect(s.recentRuns[0]?.runId).toBe(runs.at(-1)?.runId);
  });

  it('starts exactly one run per tick with two workers polling', async () => {
    await client.schedules.create({
      id: 'two-workers',
      workflow: 'stamp',
      cron: '* * * * * *',
      input: { label: 'once' },
      overlap: 'allowAll', // every tick starts a run, so a lost or doubled tick shows
    });
    await until(async () => (await runsOf('two-workers')).length >= 4, 'four runs');
    await client.schedules.pause('two-workers');
    await passesUnderWayEnd(); // a pass under way when the pause landed may still start a run
    const ids = (await runsOf('two-workers')).map((r) => r.workflowId);
    const fireTimes = ids.map((id) => Date.parse(id.slice('two-workers@'.length)));
    // One run per second, no second skipped, none twice...
    expect(fireTimes.slice(1).map((t, i) => t - (fireTimes[i] as number))).toEqual(
      Array(fireTimes.length - 1).fill(1000),
    );
    // ...and across both workers, each tick was started by exactly one of them.
    expect(started.filter((id) => id.startsWith('two-workers@')).sort()).toEqual([...ids].sort());
  });

  it('lets one of many concurrent firings take a due tick', async () => {
    // A yearly schedule, fired by hand at its fire time from five stores at once.
    const s = await client.schedules.create({
      id: 'contended',
      workflow: stamp,
      cron: '0 0 1 1 *',
      input: { label: 'c' },
    });
    const due = new Date((s.nextFireAt as Date).getTime() + 1);
    const stores = Array.from(
      { length: 5 },
      () => new PostgresStore({ connectionString: db.connectionString }),
    );
    try {
      const ticks = (await Promise.all(stores.map((st) => st.fireSchedules(due, 10)))).flat();
      const mine = ticks.filter((t: ScheduleTick) => t.scheduleId === 'contended');
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ outcome: 'started', fireAt: s.nextFireAt });
      expect(await runsOf('contended')).toHaveLength(1);
      const after = await client.schedules.describe('contended');
      expect(after.nextFireAt?.getTime()).toBeGreaterThan(due.getTime());
    } finally {
      await Promise.all(stores.map((st) => st.close()));
      await client.schedules.delete('contended');
    }
  });

  it('pauses, resumes, triggers, lists and deletes', async () => {
    const created = await client.schedules.create({
      id: 'ops',
      workflow: stamp,
      cron: '0 9 * * 1-5',
      timezone: 'America/New_York',
      input: { label: 'ops' },
      overlap: 'bufferOne',
    });
    expect(created).toMatchObject({
      id: 'ops',
      workflowType: 'stamp',
      cron: '0 9 * * 1-5',
      timezone: 'America/New_York',
      input: { label: 'ops' },
      overlap: 'bufferOne',
      paused: false,
      bufferedAt: null,
      recentRuns: [],
    });
    expect(created.nextFireAt?.getTime()).toBeGreaterThan(Date.now());
    expect((await client.schedules.list()).map((s) => s.id)).toContain('ops');

    await client.schedules.pause('ops');
    await client.schedules.pause('ops'); // already paused: nothing changes
    expect(await client.schedules.describe('ops')).toMatchObject({ paused: true, nextFireAt: null });

    // trigger starts a run now, even while paused; given the schedule's workflow, its result is typed.
    await expect(client.schedules.trigger('ops', 'longJob')).rejects.toMatchObject({
      code: 'REEL_INVALID_ARGUMENT',
      message: expect.stringContaining("starts 'stamp', not 'longJob'"),
    });
    const handle = await client.schedules.trigger('ops', stamp);
    expect(handle.id).toMatch(/^ops@/);
    const result = await handle.result();
    expectTypeOf(result).toEqualTypeOf<{ label: string; workflowId: string }>();
    expect(result).toEqual({ label: 'ops', workflowId: handle.id });
    expect((await client.schedules.describe('ops')).recentRuns).toEqual([
      { workflowId: handle.id, runId: handle.runId },
    ]);

    await client.schedules.resume('ops');
    const resumed = await client.schedules.describe('ops');
    expect(resumed.paused).toBe(false);
    expect(resumed.nextFireAt).toEqual(created.nextFireAt);

    await client.schedules.delete('ops');
    expect((await client.schedules.list()).map((s) => s.id)).not.toContain('ops');
    expect((await client.describe(handle.id)).status).toBe('completed'); // its runs stay
    for (const op of ['describe', 'pause', 'resume', 'trigger', 'delete'] as const) {
      await expect(client.schedules[op]('ops'), op).rejects.toMatchObject({
        code: 'REEL_SCHEDULE_NOT_FOUND',
      });
    }
  });

  it('fires nothing while paused, and goes on after resume', async () => {
    await client.schedules.create({
      id: 'created-paused',
      workflow: stamp,
      cron: '* * * * * *',
      input: { label: 'p' },
      paused: true,
    });
    // Both schedulers pass at a time when, unpaused, it would have had a tick due.
    const due = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await until(() => bothPassedAt(due), 'both schedulers to pass after a tick was due');
    expect(await runsOf('created-paused')).toHaveLength(0);
    await client.schedules.resume('created-paused');
    await until(async () => (await runsOf('created-paused')).length >= 1, 'a run after resume', 5000);
    await client.schedules.delete('created-paused');
  });
});

describe('schedules: bad input gets a clear error code', () => {
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: ReelError) => e.code,
    );
  const base = { id: 'invalid', workflow: stamp, cron: '0 * * * *', input: { label: 'x' } };

  it('rejects bad cron expressions and time zones', async () => {
    expect(await code(client.schedules.create({ ...base, cron: 'every day' }))).toBe('REEL_INVALID_SCHEDULE');
    expect(await code(client.schedules.create({ ...base, cron: '0 25 * * *' }))).toBe(
      'REEL_INVALID_SCHEDULE',
    );
    expect(await code(client.schedules.create({ ...base, cron: '0 0 30 2 *' }))).toBe(
      'REEL_INVALID_SCHEDULE',
    );
    expect(await code(client.schedules.create({ ...base, timezone: 'Europe/Atlantis' }))).toBe(
      'REEL_INVALID_SCHEDULE',
    );
    expect(await code(client.schedules.create({ ...base, timezone: '+02:00' }))).toBe(
      'REEL_INVALID_SCHEDULE',
    );
    expect(await code(client.schedules.create({ ...base, overlap: 'queue' as never }))).toBe(
      'REEL_INVALID_SCHEDULE',
    );
  });

  it('rejects an unknown workflow type, a taken id, a bad id, input that is not JSON and bad flow control', async () => {
    expect(await code(client.schedules.create({ ...base, workflow: 'noSuchWorkflow' }))).toBe(
      'REEL_UNKNOWN_WORKFLOW_TYPE',
    );
    await client.schedules.create({ ...base, id: 'taken', paused: true });
    expect(await code(client.schedules.create({ ...base, id: 'taken' }))).toBe('REEL_SCHEDULE_EXISTS');
    expect(await code(client.schedules.create({ ...base, id: '' }))).toBe('REEL_INVALID_ARGUMENT');
    expect(await code(client.schedules.create({ ...base, id: 'x'.repeat(201) }))).toBe(
      'REEL_INVALID_ARGUMENT',
    );
    expect(await code(client.schedules.create({ ...base, input: { label: 1n } as never }))).toBe(
      'REEL_NOT_SERIALIZABLE',
    );
    const badLimit = { ...base, concurrency: { key: 'k', limit: 0 } };
    expect(await code(client.schedules.create(badLimit))).toBe('REEL_INVALID_ARGUMENT');
    expect(await code(client.schedules.create({ ...base, priority: 11 }))).toBe('REEL_INVALID_ARGUMENT');
    expect((await client.schedules.list()).map((s) => s.id)).not.toContain('invalid');
  });
});

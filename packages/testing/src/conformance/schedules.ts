import type { NewSchedule, ScheduleTick } from '@reel/sdk';
import { describe, expect } from 'vitest';
import { event, type Harness, LEASE } from './harness.ts';

/** Schedules fire here, far from the times other behaviours use, so a shared store keeps them apart. */
const BASE = Date.parse('2031-05-01T00:00:00.000Z');
const hour = (n: number) => new Date(BASE + n * 3_600_000);
const mine = (ticks: ScheduleTick[], id: string) => ticks.filter((t) => t.scheduleId === id);

/**
 * Schedules: each tick starts one run (by the deterministic id `<id>@<fire time>`), overlap policies
 * decide alike, and retention deletes only closed runs.
 */
export function scheduleBehaviour(h: Harness): void {
  const { it } = h;

  /** An hourly schedule (first tick at hour 1) of a fresh type; deleted by `done`. */
  async function schedule(overrides: Partial<NewSchedule> = {}) {
    const type = await h.type();
    const s: NewSchedule = {
      id: h.id('schedule'),
      workflowType: type,
      cron: '0 * * * *',
      timezone: 'UTC',
      input: { n: 1 },
      overlap: 'skip',
      paused: false,
      nextFireAt: hour(1),
      ...overrides,
    };
    expect(await h.store.createSchedule(s, hour(0))).toBe('created');
    return { ...s, done: () => h.store.deleteSchedule(s.id) };
  }

  /** Claims and completes the run of `workflowId` at `now`. */
  async function complete(type: string, workflowId: string, now: Date) {
    const lease = await h.claimOne(type, now, LEASE);
    expect(lease.workflowId).toBe(workflowId);
    const outcome = await h.store.commit({
      ...lease,
      now,
      events: [event(1, 0, { type: 'workflow_completed', result: null })],
      consumedInbox: [],
      close: { inboxVersion: 0, status: 'completed', result: null },
    });
    expect(outcome).toBe('ok');
  }

  describe('schedules', () => {
    it('createSchedule refuses a taken id and a type no worker registered', async () => {
      const s = await schedule();
      expect(await h.store.createSchedule({ ...s, cron: '* * * * *' }, hour(0))).toBe('exists');
      expect(
        await h.store.createSchedule(
          { ...s, id: h.id('schedule'), workflowType: 'never_registered' },
          hour(0),
        ),
      ).toBe('unknown_type');
      expect(await h.store.getSchedule(s.id)).toMatchObject({
        id: s.id,
        workflowType: s.workflowType,
        cron: '0 * * * *',
        timezone: 'UTC',
        input: { n: 1 },
        overlap: 'skip',
        paused: false,
        nextFireAt: hour(1),
        bufferedAt: null,
        recentRuns: [],
        createdAt: hour(0),
      });
      expect((await h.store.listSchedules()).map((x) => x.id)).toContain(s.id);
      await s.done();
    });

    it('fireSchedules starts one run per due tick, named by its fire time, and moves on', async () => {
      const s = await schedule();
      expect(mine(await h.store.fireSchedules(new Date(hour(1).getTime() - 1), 100), s.id)).toEqual([]);
      const ticks = mine(await h.store.fireSchedules(hour(1), 100), s.id);
      const workflowId = `${s.id}@2031-05-01T01:00:00.000Z`;
      expect(ticks).toEqual([
        {
          scheduleId: s.id,
          workflowType: s.workflowType,
          fireAt: hour(1),
          outcome: 'started',
          run: { workflowId, runId: expect.any(String) },
        },
      ]);
      const run = await h.store.describe(workflowId);
      expect(run).toMatchObject({
        runId: ticks[0]?.run?.runId,
        type: s.workflowType,
        input: { n: 1 },
        status: 'running',
      });
      expect(run?.createdAt).toEqual(hour(1));
      const after = await h.store.getSchedule(s.id);
      expect(after?.nextFireAt).toEqual(hour(2));
      expect(after?.recentRuns).toEqual([ticks[0]?.run]);
      expect(mine(await h.store.fireSchedules(hour(1), 100), s.id)).toEqual([]);
      await s.done();
    });

    it('fireSchedules collapses missed ticks into the first one', async () => {
      const s = await schedule({ overlap: 'allowAll' });
      const ticks = mine(await h.store.fireSchedules(new Date(hour(4).getTime() + 60_000), 100), s.id);
      expect(ticks.map((t) => [t.fireAt, t.outcome])).toEqual([[hour(1), 'started']]);
      expect((await h.store.getSchedule(s.id))?.nextFireAt).toEqual(hour(5));
      await s.done();
    });

    it('concurrent fireSchedules calls start a due tick once', async () => {
      const s = await schedule({ overlap: 'allowAll' });
      const all = await Promise.all(Array.from({ length: 5 }, () => h.store.fireSchedules(hour(1), 100)));
      expect(mine(all.flat(), s.id).map((t) => t.outcome)).toEqual(['started']);
      await s.done();
    });

    it('overlap skip drops a tick while the run is open, and fires again once it closed', async () => {
      const s = await schedule({ overlap: 'skip' });
      await h.store.fireSchedules(hour(1), 100);
      expect(mine(await h.store.fireSchedules(hour(2), 100), s.id).map((t) => t.outcome)).toEqual([
        'skipped',
      ]);
      await complete(s.workflowType, `${s.id}@${hour(1).toISOString()}`, hour(2.5));
      expect(mine(await h.store.fireSchedules(hour(3), 100), s.id).map((t) => t.outcome)).toEqual([
        'started',
      ]);
      await s.done();
    });

    it('overlap bufferOne keeps one tick until the run closes and drops the next', async () => {
      const s = await schedule({ overlap: 'bufferOne' });
      await h.store.fireSchedules(hour(1), 100);
      expect(mine(await h.store.fireSchedules(hour(2), 100), s.id).map((t) => t.outcome)).toEqual([
        'buffered',
      ]);
      expect((await h.store.getSchedule(s.id))?.bufferedAt).toEqual(hour(2));
      expect(mine(await h.store.fireSchedules(hour(3), 100), s.id).map((t) => t.outcome)).toEqual([
        'dropped',
      ]);
      // Nothing to do while the run is open; once it closes, the buffered tick starts, not yet due or not.
      expect(mine(await h.store.fireSchedules(hour(3.5), 100), s.id)).toEqual([]);
      await complete(s.workflowType, `${s.id}@${hour(1).toISOString()}`, hour(3.5));
      const ticks = mine(await h.store.fireSchedules(hour(3.5), 100), s.id);
      expect(ticks.map((t) => [t.fireAt, t.outcome, t.run?.workflowId])).toEqual([
        [hour(2), 'started', `${s.id}@${hour(2).toISOString()}`],
      ]);
      expect((await h.store.describe(`${s.id}@${hour(2).toISOString()}`))?.createdAt).toEqual(hour(3.5));
      expect((await h.store.getSchedule(s.id))?.bufferedAt).toBeNull();
      await s.done();
    });

    it('overlap allowAll starts every tick', async () => {
      const s = await schedule({ overlap: 'allowAll' });
      await h.store.fireSchedules(hour(1), 100);
      expect(mine(await h.store.fireSchedules(hour(2), 100), s.id).map((t) => t.outcome)).toEqual([
        'started',
      ]);
      expect((await h.store.getSchedule(s.id))?.recentRuns.map((r) => r.workflowId)).toEqual([
        `${s.id}@${hour(2).toISOString()}`,
        `${s.id}@${hour(1).toISOString()}`,
      ]);
      await s.done();
    });

    it('a paused schedule fires nothing; trigger starts a run anyway; delete removes it', async () => {
      const s = await schedule();
      expect(await h.store.setSchedulePaused(s.id, true, null, hour(0.5))).toBe(true);
      expect(mine(await h.store.fireSchedules(hour(5), 100), s.id)).toEqual([]);
      expect(await h.store.getSchedule(s.id)).toMatchObject({
        paused: true,
        nextFireAt: null,
        updatedAt: hour(0.5),
      });

      const run = await h.store.triggerSchedule(s.id, hour(5));
      expect(run?.workflowId).toBe(`${s.id}@${hour(5).toISOString()}`);
      expect((await h.store.describe(run?.workflowId as string))?.runId).toBe(run?.runId);
      expect((await h.store.getSchedule(s.id))?.recentRuns).toEqual([run]);

      expect(await h.store.setSchedulePaused(s.id, false, hour(6), hour(5))).toBe(true);
      expect(mine(await h.store.fireSchedules(hour(6), 100), s.id).map((t) => t.outcome)).toEqual([
        'skipped',
      ]);

      expect(await h.store.deleteSchedule(s.id)).toBe(true);
      expect(await h.store.deleteSchedule(s.id)).toBe(false);
      expect(await h.store.getSchedule(s.id)).toBeUndefined();
      expect(await h.store.setSchedulePaused(s.id, true, null, hour(7))).toBe(false);
      expect(await h.store.triggerSchedule(s.id, hour(7))).toBeUndefined();
      expect(await h.store.describe(run?.workflowId as string)).toBeDefined(); // its runs stay
    });

    it("a schedule's runs take its concurrency key and priority: past the limit, a tick's run waits", async () => {
      const concurrency = { key: h.id('key'), limit: 1 };
      const s = await schedule({ overlap: 'allowAll', concurrency, priority: 3 });
      expect(await h.store.getSchedule(s.id)).toMatchObject({ concurrency, priority: 3 });
      await h.store.fireSchedules(hour(1), 100);
      const second = await h.store.triggerSchedule(s.id, hour(1.5));
      expect(await h.store.describe(`${s.id}@${hour(1).toISOString()}`)).toMatchObject({ priority: 3 });
      expect(await h.store.describe(second?.workflowId as string)).toMatchObject({
        priority: 3,
        waitingFor: { concurrencyKey: concurrency.key },
      });
      await s.done();
    });

    it('nextScheduleAt is the earliest tick of the schedules not paused', async () => {
      const early = new Date('2000-01-01T00:00:00.000Z');
      const s = await schedule({ nextFireAt: early });
      expect(await h.store.nextScheduleAt()).toEqual(early);
      await h.store.setSchedulePaused(s.id, true, null, hour(0));
      expect((await h.store.nextScheduleAt())?.getTime() ?? Infinity).toBeGreaterThan(early.getTime());
      await s.done();
    });
  });

  describe('retention', () => {
    it('purgeClosed deletes runs closed before the cutoff, oldest first, with their history', async () => {
      const t0 = Date.parse('1990-01-01T00:00:00.000Z');
      const at = (hours: number) => new Date(t0 + hours * 3_600_000);
      const type = await h.type();
      const closed = [];
      for (let i = 0; i < 3; i++) {
        const run = await h.start(type, { now: at(0) });
        await complete(type, run.workflowId, at(i + 1));
        closed.push(run);
      }
      const open = await h.start(type, { now: at(0) });
      const cutoff = at(2.5); // after the first two closed

      expect(await h.store.purgeClosed(cutoff, 1)).toBe(1);
      expect(await h.store.describe(closed[0]?.workflowId as string)).toBeUndefined();
      expect(await h.store.loadHistory(closed[0]?.runId as string)).toEqual([]);
      expect(await h.store.describe(closed[1]?.workflowId as string)).toBeDefined();

      expect(await h.store.purgeClosed(cutoff, 100)).toBe(1);
      expect(await h.store.describe(closed[1]?.workflowId as string)).toBeUndefined();
      expect(await h.store.describe(closed[2]?.workflowId as string)).toBeDefined();
      expect(await h.store.purgeClosed(at(1000), 100)).toBe(1);
      expect((await h.store.describe(open.workflowId))?.status).toBe('running');
      expect(await h.store.purgeClosed(at(1000), 100)).toBe(0);
    });
  });
}

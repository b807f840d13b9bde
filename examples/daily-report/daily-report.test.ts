import { createTestEnv } from '@reel/testing';
import { describe, expect, it, vi } from 'vitest';
import { deliveries, renders } from './activities.ts';
import { dailyReportSchedule } from './schedule.ts';
import { activities, dailyReport, workflows } from './workflows.ts';

describe('the daily-report schedule', () => {
  it('fires at 09:00 in New York, before and after the clocks change', async () => {
    // Friday 6 March 2026, 12:00 UTC. New York moves to summer time on Sunday 8 March.
    await using env = await createTestEnv({ workflows, activities, startTime: '2026-03-06T12:00:00Z' });
    await env.client.schedules.create(dailyReportSchedule(['ops@example.com']));

    await env.sleep('4 days'); // four ticks, in milliseconds
    const { items } = await env.client.list({ type: 'dailyReport' });
    expect(items.map((r) => r.workflowId).sort()).toEqual([
      'daily-report@2026-03-06T14:00:00.000Z', // 09:00 EST (UTC-5)
      'daily-report@2026-03-07T14:00:00.000Z',
      'daily-report@2026-03-08T13:00:00.000Z', // 09:00 EDT (UTC-4)
      'daily-report@2026-03-09T13:00:00.000Z',
    ]);
    expect(items.every((r) => r.status === 'completed')).toBe(true);
    const next = (await env.client.schedules.describe('daily-report')).nextFireAt;
    expect(next?.toISOString()).toBe('2026-03-10T13:00:00.000Z');
  });

  it('reports on its own New York day and sends the link to every recipient', async () => {
    // 23:30 in New York on 1 June is already 2 June in UTC: the report is the 1st's.
    await using env = await createTestEnv({ workflows, activities, startTime: '2026-06-02T03:30:00Z' });
    const handle = await env.client.start(dailyReport, {
      recipients: ['ceo@example.com', 'cfo@example.com'],
      timezone: 'America/New_York',
    });

    expect(await handle.result()).toEqual({
      date: '2026-06-01',
      url: 'https://files.example/reports/daily-2026-06-01.html',
      delivered: 2,
      undeliverable: [],
    });
    expect(deliveries.filter((d) => d.url.endsWith('2026-06-01.html')).map((d) => d.to)).toEqual([
      'ceo@example.com',
      'cfo@example.com',
    ]);
  });

  it("renders in the layout the deployment set, read once into the run's history", async () => {
    vi.stubEnv('REPORT_LAYOUT', 'detailed');
    try {
      await using env = await createTestEnv({ workflows, activities, startTime: '2026-05-04T12:00:00Z' });
      const handle = await env.client.start(
        dailyReport,
        { recipients: [], timezone: 'UTC' },
        { id: 'report-1' },
      );
      await handle.result();
      expect(renders).toContainEqual({ date: '2026-05-04', layout: 'detailed' });
      const { events } = await env.client.history('report-1');
      expect(events.find((e) => e.type === 'side_effect')).toMatchObject({ result: 'detailed' });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('still delivers to the others when a recipient cannot be reached', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime: '2026-04-01T12:00:00Z' });
    await env.client.schedules.create(dailyReportSchedule(['gone@invalid.example', 'ops@example.com']));

    const handle = await env.client.schedules.trigger('daily-report'); // one run now, as from the dashboard
    expect(await handle.result()).toEqual({
      date: '2026-04-01',
      url: 'https://files.example/reports/daily-2026-04-01.html',
      delivered: 1,
      undeliverable: ['gone@invalid.example'],
    });
  });
});

import { createTestEnv } from '@reel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { cdn, notificationService } from './activities.ts';
import { activities, buildDashboard, workflows } from './workflows.ts';

afterEach(() => {
  notificationService.down = false;
});

describe('buildDashboard', () => {
  it('fetches the three sources in parallel, then renders them', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(buildDashboard, 'u1', { id: 'dashboard-u1' });

    expect(await handle.result()).toEqual({
      url: 'https://cdn.example/dashboards/u1.html',
      orders: 3,
      notifications: true,
    });
    expect(cdn.get('https://cdn.example/dashboards/u1.html')).toBe(
      '<h1>Ada</h1><p>3 orders, $60</p><p>Welcome back, u1</p>',
    );
    // All three fetches were scheduled before any of them completed, and the render after all three.
    const { events } = await env.client.history('dashboard-u1');
    const steps = events.flatMap((e) =>
      e.type === 'activity_scheduled' ? [e.name] : e.type === 'activity_completed' ? ['done'] : [],
    );
    expect(steps).toEqual([
      'fetchUser',
      'fetchOrders',
      'fetchNotifications',
      'done',
      'done',
      'done',
      'renderDashboard',
      'done',
    ]);
  });

  it('renders without notifications when their service stays down', async () => {
    notificationService.down = true;
    await using env = await createTestEnv({ workflows, activities });
    const started = env.now().getTime();
    const handle = await env.client.start(buildDashboard, 'u2', { id: 'dashboard-u2' });

    expect(await handle.result()).toMatchObject({ notifications: false });
    expect(cdn.get('https://cdn.example/dashboards/u2.html')).toContain('notifications unavailable');
    expect(env.now().getTime() - started).toBeGreaterThanOrEqual(2_000); // two retries, 1 s apart
    const { events } = await env.client.history('dashboard-u2');
    expect(events.find((e) => e.type === 'activity_failed')).toMatchObject({ attempts: 3 });
  });

  it('fails without rendering when a required source fails', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(buildDashboard, 'nobody', { id: 'dashboard-nobody' });

    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_FAILED',
      failure: { code: 'REEL_ACTIVITY_FAILED', message: expect.stringContaining('No user nobody') },
    });
    const { events } = await env.client.history('dashboard-nobody');
    const scheduled = events.flatMap((e) => (e.type === 'activity_scheduled' ? [e.name] : []));
    expect(scheduled).not.toContain('renderDashboard');
  });
});

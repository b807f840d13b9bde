import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { cdn } from './activities.ts';
import { activities, buildDashboard, workflows } from './workflows.ts';

// The main path on a real Postgres with a real worker; dashboard-builder.test.ts covers every path.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('fetches the three sources in parallel and renders the page', async () => {
  const handle = await reel.client.start(buildDashboard, 'u2', { id: 'dashboard-pg' });

  expect(await handle.result()).toEqual({
    url: 'https://cdn.example/dashboards/u2.html',
    orders: 3,
    notifications: true,
  });
  expect(cdn.get('https://cdn.example/dashboards/u2.html')).toContain('<h1>Grace</h1>');
  const { events } = await reel.client.history('dashboard-pg');
  const firstDone = events.findIndex((e) => e.type === 'activity_completed');
  const scheduledBefore = events.slice(0, firstDone).filter((e) => e.type === 'activity_scheduled');
  expect(scheduledBefore).toHaveLength(3);
});

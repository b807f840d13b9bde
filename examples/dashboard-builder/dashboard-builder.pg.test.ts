import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cdn } from './activities.ts';
import { activities, buildDashboard, workflows } from './workflows.ts';

// The main path on a real Postgres with a real worker; dashboard-builder.test.ts covers every path.
const db = useTestDatabase();
let worker: Worker;
let client: Client;

beforeAll(async () => {
  worker = await Worker.create({
    connectionString: db.connectionString,
    workflows,
    activities,
    handleSignals: false,
  });
  void worker.run();
  client = new Client({ connectionString: db.connectionString });
});

afterAll(async () => {
  await worker?.shutdown();
  await client?.close();
});

it('fetches the three sources in parallel and renders the page', async () => {
  const handle = await client.start(buildDashboard, 'u2', { id: 'dashboard-pg' });

  expect(await handle.result()).toEqual({
    url: 'https://cdn.example/dashboards/u2.html',
    orders: 3,
    notifications: true,
  });
  expect(cdn.get('https://cdn.example/dashboards/u2.html')).toContain('<h1>Grace</h1>');
  const { events } = await client.history('dashboard-pg');
  const firstDone = events.findIndex((e) => e.type === 'activity_completed');
  const scheduledBefore = events.slice(0, firstDone).filter((e) => e.type === 'activity_scheduled');
  expect(scheduledBefore).toHaveLength(3);
});

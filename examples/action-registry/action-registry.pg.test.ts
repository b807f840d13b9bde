import { Client } from '@reel/sdk';
import { useTestDatabase } from '@reel/testing/vitest';
import { Worker } from '@reel/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { messages } from './activities.ts';
import { readFlow } from './stored-flows.ts';
import { activities, runFlow, workflows } from './workflows.ts';

// The welcome flow on a real Postgres with a real worker; action-registry.test.ts covers every path.
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

it('runs the welcome flow from its JSON definition', async () => {
  const handle = await client.start(runFlow, {
    definition: readFlow('welcome'),
    input: { userId: 'u2', followUpAfter: '300ms' },
  });

  expect(await handle.result()).toMatchObject({ user: { status: 200 }, 'follow-up': { delivered: true } });
  expect(messages.filter((m) => m.to === 'grace@example.com').map((m) => m.text)).toEqual([
    'Welcome, Grace!',
    'How is it going, Grace?',
  ]);
});

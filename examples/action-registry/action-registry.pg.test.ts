import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { messages } from './activities.ts';
import { readFlow } from './stored-flows.ts';
import { activities, runFlow, workflows } from './workflows.ts';

// The welcome flow on a real Postgres with a real worker; action-registry.test.ts covers every path.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('runs the welcome flow from its JSON definition', async () => {
  const handle = await reel.client.start(runFlow, {
    definition: readFlow('welcome'),
    input: { userId: 'u2', followUpAfter: '300ms' },
  });

  expect(await handle.result()).toMatchObject({ user: { status: 200 }, 'follow-up': { delivered: true } });
  expect(messages.filter((m) => m.to === 'grace@example.com').map((m) => m.text)).toEqual([
    'Welcome, Grace!',
    'How is it going, Grace?',
  ]);
});

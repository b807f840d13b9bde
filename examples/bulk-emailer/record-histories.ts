// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-bulk-emailer record-histories`. Run it after a deliberate
// change of the workflow; histories.test.ts replays them against the current code in CI.
import { writeFile } from 'node:fs/promises';
import { createTestEnv } from '@reel/testing';
import { activities, bulkEmail, type Campaign, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, Campaign][] = [
  // Two pages, a bounce (user7) counted on the way.
  ['one-run', { id: 'one-run', listId: 'demo-20', pageSize: 10, concurrency: 3 }],
  // Four pages, two per run: the first run continues as new, the second completes.
  ['continued', { id: 'continued', listId: 'demo-60', pageSize: 15, pagesPerRun: 2 }],
];
for (const [name, campaign] of scenarios) {
  const handle = await env.client.start(bulkEmail, campaign, { id: `campaign-${name}` });
  await handle.result();
  const { items } = await env.client.list({ type: 'bulkEmail' });
  const runs = items.filter((r) => r.workflowId === handle.id).reverse(); // oldest first
  for (const [i, run] of runs.entries()) {
    const file = runs.length === 1 ? `${name}.json` : `${name}-run-${i + 1}.json`;
    const history = await env.client.history(handle.id, { runId: run.runId });
    await writeFile(new URL(`./histories/${file}`, import.meta.url), `${JSON.stringify(history, null, 2)}\n`);
    console.log(`recorded histories/${file} (${history.events.length} events)`);
  }
}

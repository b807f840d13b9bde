// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-action-registry record-histories`. Run it after a
// deliberate change of the workflow or the registry; histories.test.ts replays them in CI. A change
// to a flow's definition needs no new recording: the definition is in each history's input.
import { createTestEnv, recordHistory } from '@reel/testing';
import { readFlow } from './stored-flows.ts';
import { activities, type FlowRun, runFlow, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, FlowRun][] = [
  ['welcome', { definition: readFlow('welcome'), input: { userId: 'u1', followUpAfter: '3 days' } }],
  [
    'unknown-action',
    { definition: { name: 'typo', steps: [{ id: 'b', action: 'send_mesage', params: {} }] }, input: null },
  ],
];
for (const [name, input] of scenarios) {
  const handle = await env.client.start(runFlow, input, { id: `flow-${name}` });
  await handle.result().catch(() => undefined);
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

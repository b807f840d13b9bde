// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-picking-state-machine record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { activities, pickingStateMachine, type Transition, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, Transition[]][] = [
  [
    'done',
    [
      { to: 'picking', by: 'sam' },
      { to: 'assigned', by: 'dock-3' },
      { to: 'done', by: 'lin' },
    ],
  ],
  ['expired-idle', []],
  ['expired-picking', [{ to: 'picking', by: 'sam' }]],
];
for (const [name, transitions] of scenarios) {
  const handle = await env.client.start(pickingStateMachine, { id: name }, { id: `order-${name}` });
  for (const transition of transitions) {
    await env.sleep('10 minutes');
    await env.client.update(handle.id, 'transition', transition);
  }
  await handle.result();
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

// Records the golden histories in ./histories from the example, on the test environment's Postgres
// (DATABASE_URL, else an embedded one): `pnpm --filter @reel/example-transfer-exactly-once
// record-histories`. Run it after a deliberate change of the workflow; histories.test.ts replays them
// against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { activities, openAccounts, transfer, workflows } from './workflows.ts';

await using env = await createTestEnv({
  workflows,
  activities,
  store: 'postgres',
  startTime: '2026-01-05T09:00:00Z',
});

const scenarios = [
  ['opened', () => env.client.start(openAccounts, { alice: 10_000, bob: 2_500 }, { id: 'accounts' })],
  ['booked', () => env.client.start(transfer, { from: 'alice', to: 'bob', cents: 2_500 }, { id: 'tr-1' })],
  ['refused', () => env.client.start(transfer, { from: 'bob', to: 'alice', cents: 9_999 }, { id: 'tr-2' })],
] as const;
for (const [name, start] of scenarios) {
  const handle = await start();
  await handle.result();
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-trip-booking record-histories`. Run it after a deliberate
// change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { activities, bookTrip, type Trip, workflows } from './workflows.ts';

const trip = (fields: Partial<Trip> = {}): Trip => ({
  flight: 'LH-400',
  hotel: 'Harbour Inn',
  card: '4242 4242 4242 4242',
  cents: 120_000,
  ...fields,
});

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, Trip][] = [
  ['booked', trip()],
  ['flight-sold-out', trip({ flight: 'SOLD-OUT' })],
  ['hotel-full', trip({ hotel: 'FULL' })],
  ['card-declined', trip({ card: '4000 0000 0000 0000' })],
];
for (const [name, input] of scenarios) {
  const handle = await env.client.start(bookTrip, input, { id: `trip-${name}` });
  await handle.result().catch(() => undefined);
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

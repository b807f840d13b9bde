// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-order record-histories`. Run it after a deliberate change
// of the workflow; histories.test.ts replays them against the current code in CI, so a change that
// would break running orders fails the build.
import { createTestEnv, recordHistory, recordingLogger } from '@reel/testing';
import * as activities from './activities.ts';
import { type Order, orderWorkflow } from './workflows.ts';

const order = (id: string, extra: Partial<Order> = {}): Order => ({
  id,
  card: '4242 4242 4242 4242',
  total: 1999,
  ...extra,
});

await using env = await createTestEnv({
  workflows: { orderWorkflow },
  activities: { chargeCard: activities.chargeCard, refund: activities.refund, ship: activities.ship },
  startTime: '2026-01-05T09:00:00Z',
  logger: recordingLogger(),
});

const scenarios: [string, Order, ((id: string) => Promise<void>) | undefined][] = [
  ['approved', order('G-1'), (id) => env.client.signal(id, 'approve', { approved: true, by: 'ops' })],
  ['rejected', order('G-2'), (id) => env.client.signal(id, 'approve', { approved: false, by: 'risk' })],
  ['approval-timeout', order('G-3'), undefined],
  ['card-declined', order('G-4', { card: '4000 0000 0000 0000' }), undefined],
];
for (const [name, input, act] of scenarios) {
  const handle = await env.client.start(orderWorkflow, input, { id: `order-${name}` });
  await env.sleep('1 minute');
  await act?.(handle.id);
  await handle.result().catch(() => undefined);
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

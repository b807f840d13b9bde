// Records the golden histories in ./histories from the example, on the time-skipping test
// environment: `pnpm --filter @reel/example-payment-flow record-histories`. Run it after a
// deliberate change of the workflow; histories.test.ts replays them against the current code in CI.
import { createTestEnv, recordHistory } from '@reel/testing';
import { activities, type Invoice, type PaymentEvent, paymentFlow, workflows } from './workflows.ts';

await using env = await createTestEnv({ workflows, activities, startTime: '2026-01-05T09:00:00Z' });

const scenarios: [string, PaymentEvent['type'] | undefined][] = [
  ['fulfilled', 'payment.success'],
  ['cancelled', 'payment.failed'],
  ['expired', undefined],
];
for (const [name, type] of scenarios) {
  const invoice: Invoice = { id: name, customer: 'ada@example.com', cents: 4_990 };
  const handle = await env.client.start(paymentFlow, invoice, { id: `invoice-${name}` });
  await env.sleep('1 day');
  if (type) {
    const reason = type === 'payment.failed' ? 'card declined' : undefined;
    await handle.signal('payment', { id: `evt_${name}`, type, data: { invoice, reason } });
  }
  await handle.result();
  const events = await recordHistory(
    env.client,
    handle.id,
    new URL(`./histories/${name}.json`, import.meta.url),
  );
  console.log(`recorded histories/${name}.json (${events} events)`);
}

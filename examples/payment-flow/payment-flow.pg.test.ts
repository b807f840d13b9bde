import { createHmac } from 'node:crypto';
import { startServer } from '@reel/server';
import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { invoices } from './activities.ts';
import { paymentsHook } from './hooks.ts';
import { activities, type Invoice, type PaymentEvent, workflows } from './workflows.ts';

// The webhook path on a real Postgres: a real server over HTTP, a real worker.
// payment-flow.test.ts covers every path of the workflow.
const db = useTestDatabase();
const SECRET = 'whsec_payment-flow-test';
const reel = useTestWorker(db, { workflows, activities });
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  server = await startServer({
    client: { connectionString: db.connectionString },
    hooks: { payments: paymentsHook(SECRET) },
    port: 0,
  });
});

afterAll(async () => {
  await server?.app.close();
});

/** Posts the event to the hook as the provider does, signed with `secret`. */
function deliver(event: PaymentEvent, secret = SECRET) {
  const body = JSON.stringify(event);
  return fetch(`${server.url}/v1/hooks/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  });
}

const invoice: Invoice = { id: 'pg-1', customer: 'ada@example.com', cents: 4_990 };

it('fulfils the order when a signed payment.success reaches the hook', async () => {
  const handle = await reel.client.start(workflows.paymentFlow, invoice, { id: 'invoice-pg-1' });
  const res = await deliver({ id: 'evt_1', type: 'payment.success', data: { invoice } });

  expect(res.status).toBe(202);
  expect(await res.json()).toMatchObject({ workflowId: 'invoice-pg-1', created: false, duplicate: false });
  expect(await handle.result()).toEqual({ status: 'fulfilled', trackingId: 'track_pg-1' });
  expect(invoices.get('pg-1')).toMatchObject({ status: 'paid' });
});

it('starts and signals nothing for a delivery with a bad signature', async () => {
  const forged: Invoice = { id: 'pg-2', customer: 'mallory@example.com', cents: 1 };
  const res = await deliver(
    { id: 'evt_2', type: 'payment.success', data: { invoice: forged } },
    'not-the-secret',
  );

  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: { code: 'REEL_WEBHOOK_SIGNATURE_INVALID' } });
  await expect(reel.client.getHandle('invoice-pg-2').describe()).rejects.toMatchObject({
    code: 'REEL_WORKFLOW_NOT_FOUND',
  });
});

it('starts and signals nothing for a signed delivery that is not a payment event (400)', async () => {
  const res = await deliver({ id: 'evt_3', type: 'payment.success', data: {} } as unknown as PaymentEvent);

  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({
    error: { code: 'REEL_INVALID_REQUEST', message: expect.stringContaining('expected { id, type') },
  });
  expect((await reel.client.list({ type: 'paymentFlow' })).items.map((r) => r.workflowId)).toEqual([
    'invoice-pg-1',
  ]);
});

import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { invoices, shipments } from './activities.ts';
import { activities, type Invoice, type PaymentEvent, paymentFlow, workflows } from './workflows.ts';

const invoice = (id: string): Invoice => ({ id, customer: `${id}@example.com`, cents: 4_990 });

const event = (type: PaymentEvent['type'], inv: Invoice, reason?: string): PaymentEvent => ({
  id: `evt_${inv.id}`,
  type,
  data: { invoice: inv, ...(reason ? { reason } : {}) },
});

const startTime = '2026-03-02T09:00:00Z';

describe('paymentFlow', () => {
  it('ships the order when payment.success arrives two days later', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const inv = invoice('p1');
    const handle = await env.client.start(paymentFlow, inv, { id: 'invoice-p1' });

    await env.sleep('2 days');
    expect(invoices.get('p1')).toMatchObject({ status: 'open' });
    await handle.signal('payment', event('payment.success', inv));

    expect(await handle.result()).toEqual({ status: 'fulfilled', trackingId: 'track_p1' });
    expect(invoices.get('p1')).toMatchObject({ status: 'paid' });
    expect(shipments.get('p1')).toBe('track_p1');
  });

  it('cancels the invoice on payment.failed, with the reason', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const inv = invoice('p2');
    const handle = await env.client.start(paymentFlow, inv, { id: 'invoice-p2' });
    await handle.signal('payment', event('payment.failed', inv, 'card declined'));

    expect(await handle.result()).toEqual({ status: 'cancelled', reason: 'card declined' });
    expect(invoices.get('p2')).toMatchObject({ status: 'cancelled' });
    expect(shipments.has('p2')).toBe(false);
  });

  it('cancels the invoice when no payment event arrives within 7 days', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const handle = await env.client.start(paymentFlow, invoice('p3'), { id: 'invoice-p3' });

    expect(await handle.result()).toEqual({ status: 'expired' });
    expect(env.now().toISOString()).toBe('2026-03-09T09:00:00.000Z'); // 7 days, skipped
    expect(invoices.get('p3')).toMatchObject({ status: 'cancelled' });
  });

  it('opens the invoice from the event itself when the webhook comes first (signal-with-start)', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const inv = invoice('p4');
    const handle = await env.client.signalWithStart(
      paymentFlow,
      inv,
      { id: 'invoice-p4' },
      'payment',
      event('payment.success', inv),
    );

    expect(await handle.result()).toEqual({ status: 'fulfilled', trackingId: 'track_p4' });
    expect(invoices.get('p4')).toMatchObject({ status: 'paid' });
  });

  it('keeps a paid invoice paid when a late payment.failed starts a new run for it', async () => {
    await using env = await createTestEnv({ workflows, activities, startTime });
    const inv = invoice('p5');
    const first = await env.client.start(paymentFlow, inv, { id: 'invoice-p5' });
    await first.signal('payment', event('payment.success', inv));
    expect(await first.result()).toMatchObject({ status: 'fulfilled' });

    // What the hook does with an event for a closed run: signal-with-start starts a new one.
    const late = await env.client.signalWithStart(
      paymentFlow,
      inv,
      { id: 'invoice-p5' },
      'payment',
      event('payment.failed', inv, 'card declined'),
    );
    expect(late.runId).not.toBe(first.runId);
    expect(await late.result()).toEqual({ status: 'cancelled', reason: 'card declined' });
    expect(invoices.get('p5')).toMatchObject({ status: 'paid' });
  });
});

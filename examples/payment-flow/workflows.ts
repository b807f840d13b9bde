import type { Duration, WorkflowContext } from '@reel/sdk';
import { cancelInvoice, createInvoice, fulfil } from './activities.ts';

/** The workflow input: plain JSON. */
export interface Invoice {
  id: string;
  customer: string;
  /** The amount due, in cents. */
  cents: number;
  /** How long the customer has to pay before the invoice is cancelled. Default '7 days'. */
  paymentTimeout?: Duration;
}

/**
 * A payment provider's event, as its webhook posts it: the payload of the 'payment' signal, which
 * the `payments` hook of hooks.ts sends.
 */
export interface PaymentEvent {
  /** The provider's event id: the same on a redelivery. */
  id: string;
  type: 'payment.success' | 'payment.failed';
  data: { invoice: Invoice; reason?: string };
}

export type PaymentResult =
  | { status: 'fulfilled'; trackingId: string }
  | { status: 'cancelled'; reason: string }
  | { status: 'expired' };

/**
 * Opens an invoice, then waits up to `paymentTimeout` (7 days) for the provider's 'payment' signal.
 * `payment.success` ships the order; `payment.failed`, or no event in time, cancels the invoice.
 * The wait is a durable timer: no worker is busy for those 7 days.
 */
export async function paymentFlow(ctx: WorkflowContext, invoice: Invoice): Promise<PaymentResult> {
  await ctx.activity(createInvoice, invoice.id, invoice.customer, invoice.cents);
  const event = await ctx.signal<PaymentEvent>('payment', { timeout: invoice.paymentTimeout ?? '7 days' });

  if (event?.type === 'payment.success') {
    return { status: 'fulfilled', trackingId: await ctx.activity(fulfil, invoice.id) };
  }
  await ctx.activity(cancelInvoice, invoice.id);
  if (event === undefined) return { status: 'expired' };
  return { status: 'cancelled', reason: event.data.reason ?? 'payment failed' };
}

/** What `reel dev --workflows examples/payment-flow/workflows.ts` and `reel worker` run. */
export const workflows = { paymentFlow };
export const activities = { createInvoice, fulfil, cancelInvoice };

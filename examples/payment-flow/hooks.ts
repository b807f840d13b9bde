import type { HookOptions } from '@reel/server';
import type { PaymentEvent } from './workflows.ts';

/**
 * The payment provider's webhook: it posts each event as JSON, signed with
 * `X-Signature: sha256=<hex HMAC-SHA256 of the body>` under the secret it shares with us.
 * Every event about an invoice signals that invoice's run, `invoice-<id>`, once per event id,
 * starting the run first if the app has not (signal-with-start).
 */
export function paymentsHook(secret: string): HookOptions<PaymentEvent> {
  return {
    workflowType: 'paymentFlow',
    signature: { secret, header: 'X-Signature', prefix: 'sha256=' },
    body: parsePaymentEvent,
    deliveryId: '/id',
    workflowId: (request) => `invoice-${request.body.data.invoice.id}`,
    input: '/data/invoice',
    signal: { name: 'payment' },
  };
}

/**
 * The body of a delivery, checked before anything reads it: a signed body that is not a payment
 * event is answered 400 and starts nothing, rather than a run whose input has no invoice.
 */
export function parsePaymentEvent(body: unknown): PaymentEvent {
  const event = body as PaymentEvent;
  const invoice = event?.data?.invoice;
  if (
    typeof event?.id !== 'string' ||
    (event.type !== 'payment.success' && event.type !== 'payment.failed') ||
    typeof invoice?.id !== 'string' ||
    typeof invoice.customer !== 'string' ||
    typeof invoice.cents !== 'number'
  )
    throw new Error(
      'expected { id, type: payment.success | payment.failed, data: { invoice: { id, customer, cents } } }',
    );
  return event;
}

/** What `reel dev --hooks examples/payment-flow/hooks.ts` serves, at POST /v1/hooks/payments. */
export const hooks: Record<string, HookOptions> = {
  payments: paymentsHook(process.env.PAYMENT_WEBHOOK_SECRET ?? ''),
};

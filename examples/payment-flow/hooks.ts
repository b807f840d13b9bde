import type { HookOptions } from '@reel/server';
import type { PaymentEvent } from './workflows.ts';

/**
 * The payment provider's webhook: it posts each event as JSON, signed with
 * `X-Signature: sha256=<hex HMAC-SHA256 of the body>` under the secret it shares with us.
 * Every event about an invoice signals that invoice's run, `invoice-<id>`, once per event id,
 * starting the run first if the app has not (signal-with-start).
 */
export function paymentsHook(secret: string): HookOptions {
  return {
    workflowType: 'paymentFlow',
    signature: { secret, header: 'X-Signature', prefix: 'sha256=' },
    deliveryId: '/id',
    workflowId: (request) => `invoice-${(request.body as PaymentEvent).data.invoice.id}`,
    input: '/data/invoice',
    signal: { name: 'payment' },
  };
}

/** What `reel dev --hooks examples/payment-flow/hooks.ts` serves, at POST /v1/hooks/payments. */
export const hooks: Record<string, HookOptions> = {
  payments: paymentsHook(process.env.PAYMENT_WEBHOOK_SECRET ?? ''),
};

import type { Duration, WorkflowContext } from '@reel/sdk';
import { chargeCard, refund, ship } from './activities.ts';

/** The workflow input: plain JSON. */
export interface Order {
  id: string;
  card: string;
  /** The amount to charge, in cents. */
  total: number;
  /** How long to wait for the 'approve' signal before refunding. Default '3 days'. */
  approvalTimeout?: Duration;
  /** How long to hold an approved order before shipping. Default '1 hour'. */
  shipAfter?: Duration;
}

/** The payload of the 'approve' signal. */
export interface Approval {
  approved: boolean;
  by?: string;
}

export type OrderResult =
  | { status: 'rejected' }
  | { status: 'shipped'; paymentId: string; trackingId: string };

/**
 * Charges the card, waits for a person to approve the order, then ships it after a delay.
 * Refunds when the order is rejected or nobody approves it in time. A declined card fails the run.
 * Every wait here is durable: the worker may restart at any point and the order carries on.
 */
export async function orderWorkflow(ctx: WorkflowContext, order: Order): Promise<OrderResult> {
  const payment = await ctx.activity(chargeCard, order.card, order.total);

  const decision = await ctx.signal<Approval>('approve', { timeout: order.approvalTimeout ?? '3 days' });
  if (!decision?.approved) {
    await ctx.activity(refund, payment.id);
    return { status: 'rejected' };
  }

  await ctx.sleep(order.shipAfter ?? '1 hour');
  const trackingId = await ctx.activity(ship, order.id);
  return { status: 'shipped', paymentId: payment.id, trackingId };
}

/** What `reel dev --workflows examples/order/workflows.ts` and `reel worker` run. */
export const workflows = { orderWorkflow };
export const activities = { chargeCard, refund, ship };

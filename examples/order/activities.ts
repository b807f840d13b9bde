import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity } from '@reel/sdk';

// Activities are plain async functions: they talk to the outside world (here a fake payment provider
// and carrier), may fail, and are retried by the worker. Their arguments and results must be JSON.

/** A successful charge, as the payment provider reports it. */
export interface Payment {
  id: string;
  cents: number;
  last4: string;
}

/** The card was refused; retrying cannot help, so the retry policy below names it as non-retryable. */
export class CardDeclinedError extends Error {
  constructor(last4: string) {
    super(`The card ending ${last4} was declined.`);
    this.name = 'CardDeclinedError';
  }
}

/** Charges `cents` to `card`. Declined cards fail at once; other errors are retried up to 3 attempts. */
export const chargeCard = defineActivity(
  async (card: string, cents: number): Promise<Payment> => {
    await delay(30);
    const last4 = card.slice(-4);
    if (last4 === '0000') throw new CardDeclinedError(last4);
    return { id: newId('pay'), cents, last4 };
  },
  { retry: { maxAttempts: 3, nonRetryableErrors: ['CardDeclinedError'] }, startToCloseTimeout: '10s' },
);

/** Refunds a charge in full; returns the refund id. */
export async function refund(paymentId: string): Promise<string> {
  await delay(20);
  if (!paymentId.startsWith('pay_')) throw new Error(`Unknown payment ${paymentId}.`);
  return newId('re');
}

/** Hands the order to the carrier; returns the tracking number. */
export async function ship(orderId: string): Promise<string> {
  await delay(40);
  return `TRK-${orderId}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

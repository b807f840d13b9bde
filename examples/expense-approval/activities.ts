import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity } from '@reel/sdk';

// Fake external systems: a mailer and a payroll system, kept in memory so that a test can read
// what was sent and paid.

/** A message the fake mailer sent. */
export interface Message {
  to: string;
  subject: string;
}

/** Every message sent, in order. */
export const outbox: Message[] = [];

/** Payouts made by the fake payroll system, by payout id. */
export const payouts = new Map<string, { employee: string; cents: number }>();

/** Sends an email. Retried with the default policy (5 attempts, exponential backoff from 1 s). */
export async function sendEmail(to: string, subject: string): Promise<void> {
  await delay(10);
  outbox.push({ to, subject });
}

/** Pays `cents` to `employee` with their next salary, once per `expenseId`; returns the payout id. */
export const reimburse = defineActivity(
  async function reimburse(expenseId: string, employee: string, cents: number): Promise<string> {
    await delay(10);
    const id = `payout_${expenseId}`; // keyed by the expense: a retried payout is made once
    if (!payouts.has(id)) payouts.set(id, { employee, cents });
    return id;
  },
  { retry: { maxAttempts: 10, maxInterval: '10 minutes' }, startToCloseTimeout: '1 minute' },
);

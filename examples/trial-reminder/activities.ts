import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity, NonRetryableError } from '@reel/sdk';

// Fake external systems: the app's accounts, a billing provider and a mailer, kept in memory so
// that a test can set an account up and read what was sent.

/** An account as the fake app stores it. */
export interface Account {
  plan: 'trial' | 'pro';
  /** A saved card, if the user added one during the trial. */
  card?: string;
}

/** The app's accounts, by user id: two to try it with, `ada` who saved a card and `bob` who did not. */
export const accounts = new Map<string, Account>([
  ['ada', { plan: 'trial', card: '4242' }],
  ['bob', { plan: 'trial' }],
]);

/** Every email sent, in order. */
export const outbox: { to: string; template: string }[] = [];

/** Sends the email `template` to `to`. Retried with the default policy. */
export async function sendEmail(to: string, template: string): Promise<void> {
  await delay(10);
  outbox.push({ to, template });
}

/** Whether the user has saved a card, read when the trial ends (not at its start). */
export async function hasCard(userId: string): Promise<boolean> {
  await delay(10);
  const account = accounts.get(userId);
  if (!account) throw new NonRetryableError(`No account ${userId}.`);
  return account.card !== undefined;
}

/** Charges the saved card for the first month and moves the account to the pro plan. Idempotent. */
export const convertToPro = defineActivity(
  async function convertToPro(userId: string): Promise<void> {
    await delay(10);
    const account = accounts.get(userId);
    if (!account) throw new NonRetryableError(`No account ${userId}.`);
    account.plan = 'pro'; // a real one would pass an idempotency key to the billing provider
  },
  { retry: { maxAttempts: 10, maxInterval: '1 hour' } },
);

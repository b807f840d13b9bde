import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity, NonRetryableError } from '@reel/sdk';

// Fake external systems: a mailing-list service and an email provider, in memory. The list
// `demo-<n>` holds n addresses, user0@example.com to user<n-1>@example.com; one address in 50
// (user7, user57, …) hard-bounces.

/** One page of a mailing list: its addresses, and the cursor of the next page (null at the end). */
export interface Page {
  recipients: string[];
  next: number | null;
}

/** What the fake email provider delivered, as `<campaign>:<address>`: a retried send lands once. */
export const delivered = new Set<string>();

/** The most sends the fake provider saw at the same time. */
export const mailer = { inFlight: 0, maxInFlight: 0 };

/** Reads `size` addresses of `listId` from `cursor`. */
export async function fetchRecipients(listId: string, cursor: number, size: number): Promise<Page> {
  await delay(5);
  const total = Number(/^demo-(\d+)$/.exec(listId)?.[1]);
  if (!Number.isInteger(total)) throw new NonRetryableError(`No mailing list ${listId}: try demo-2500.`);
  const end = Math.min(cursor + size, total);
  const recipients = Array.from({ length: end - cursor }, (_, i) => `user${cursor + i}@example.com`);
  return { recipients, next: end < total ? end : null };
}

/** Sends the campaign to one address. A hard bounce fails at once; other errors are retried. */
export const sendEmail = defineActivity(
  async function sendEmail(campaignId: string, to: string): Promise<void> {
    mailer.inFlight++;
    mailer.maxInFlight = Math.max(mailer.maxInFlight, mailer.inFlight);
    try {
      await delay(2);
      if (Number(/^user(\d+)@/.exec(to)?.[1]) % 50 === 7) {
        throw new NonRetryableError(`${to} bounced: mailbox does not exist.`);
      }
      delivered.add(`${campaignId}:${to}`);
    } finally {
      mailer.inFlight--;
    }
  },
  { retry: { maxAttempts: 3, initialInterval: '5s' }, startToCloseTimeout: '30s' },
);

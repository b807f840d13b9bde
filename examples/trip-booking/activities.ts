import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { defineActivity, NonRetryableError } from '@reel/sdk';

// Fake external systems: an airline, a hotel chain and a payment provider, kept in memory. Each
// booking is a row in `bookings`, so a test can check that the saga undid what it did.

/** What the fake airline and hotel hold: a booking id and whether it still stands. */
export const bookings = new Map<string, 'held' | 'cancelled'>();

/** Charges the fake payment provider has taken, by idempotency key: a retried charge is taken once. */
const charges = new Map<string, string>();

/** The card was refused: retrying cannot help, so the retry policy names it as non-retryable. */
export class CardDeclinedError extends Error {
  constructor(last4: string) {
    super(`The card ending ${last4} was declined.`);
    this.name = 'CardDeclinedError';
  }
}

// Reserving fails for good when nothing is left (flight 'SOLD-OUT', hotel 'FULL'); anything else is
// retried with backoff: the provider's API may be down for a while.
const reserve = { retry: { maxAttempts: 5, initialInterval: '2s' }, startToCloseTimeout: '30s' } as const;

/** Holds a seat on `flight`; returns the booking id. */
export const reserveFlight = defineActivity(async function reserveFlight(flight: string): Promise<string> {
  await delay(10);
  if (flight === 'SOLD-OUT') throw new NonRetryableError(`Flight ${flight} has no seat left.`);
  return hold('FL');
}, reserve);

/** Holds a room at `hotel`; returns the booking id. */
export const reserveHotel = defineActivity(async function reserveHotel(hotel: string): Promise<string> {
  await delay(10);
  if (hotel === 'FULL') throw new NonRetryableError(`Hotel ${hotel} has no room left.`);
  return hold('HT');
}, reserve);

/**
 * Charges `cents` to `card` once per `idempotencyKey`; returns the payment id. A card ending in
 * 0000 is declined.
 */
export const chargeCard = defineActivity(
  async function chargeCard(card: string, cents: number, idempotencyKey: string): Promise<string> {
    await delay(10);
    if (card.endsWith('0000')) throw new CardDeclinedError(card.slice(-4));
    const known = charges.get(idempotencyKey);
    if (known) return known;
    const id = `pay_${randomBytes(4).toString('hex')}_${cents}`;
    charges.set(idempotencyKey, id);
    return id;
  },
  { retry: { maxAttempts: 3, nonRetryableErrors: ['CardDeclinedError'] }, startToCloseTimeout: '30s' },
);

// Compensations must not give up: they retry until the provider answers. Cancelling twice is fine.
const compensate = { retry: { maxAttempts: Number.POSITIVE_INFINITY, maxInterval: '1 minute' } } as const;

/** Releases a flight booking. Idempotent. */
export const cancelFlight = defineActivity(async function cancelFlight(bookingId: string): Promise<void> {
  await delay(10);
  release(bookingId);
}, compensate);

/** Releases a hotel booking. Idempotent. */
export const cancelHotel = defineActivity(async function cancelHotel(bookingId: string): Promise<void> {
  await delay(10);
  release(bookingId);
}, compensate);

function hold(prefix: string): string {
  const id = `${prefix}-${randomBytes(4).toString('hex').toUpperCase()}`;
  bookings.set(id, 'held');
  return id;
}

function release(bookingId: string): void {
  if (!bookings.has(bookingId)) throw new Error(`Unknown booking ${bookingId}.`);
  bookings.set(bookingId, 'cancelled');
}

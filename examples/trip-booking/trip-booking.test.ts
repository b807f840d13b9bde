import type { Client } from '@reel/sdk';
import { createTestEnv } from '@reel/testing';
import { describe, expect, it } from 'vitest';
import { bookings, reserveHotel } from './activities.ts';
import { activities, bookTrip, type Trip, workflows } from './workflows.ts';

const trip = (fields: Partial<Trip> = {}): Trip => ({
  flight: 'LH-400',
  hotel: 'Harbour Inn',
  card: '4242 4242 4242 4242',
  cents: 120_000,
  ...fields,
});

/** The activities a run called, in order, read from its history. */
async function stepsOf(client: Client, workflowId: string): Promise<string[]> {
  const { events } = await client.history(workflowId);
  return events.flatMap((e) => (e.type === 'activity_scheduled' ? [e.name] : []));
}

/** The ids the reservation steps of a run returned, read from its history. */
async function reservedBy(client: Client, workflowId: string): Promise<string[]> {
  const { events } = await client.history(workflowId);
  return events.flatMap((e) =>
    e.type === 'activity_completed' && typeof e.result === 'string' && /^(FL|HT)-/.test(e.result)
      ? [e.result]
      : [],
  );
}

describe('bookTrip', () => {
  it('books the flight and the hotel and charges the card', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(bookTrip, trip(), { id: 'trip-ok' });

    const booking = await handle.result();
    expect(booking).toEqual({
      flight: expect.stringMatching(/^FL-/),
      hotel: expect.stringMatching(/^HT-/),
      paymentId: expect.stringMatching(/^pay_/),
    });
    expect(bookings.get(booking.flight)).toBe('held');
    expect(bookings.get(booking.hotel)).toBe('held');
    expect(await stepsOf(env.client, 'trip-ok')).toEqual(['reserveFlight', 'reserveHotel', 'chargeCard']);
  });

  it('undoes nothing when the first step fails', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(bookTrip, trip({ flight: 'SOLD-OUT' }), { id: 'trip-sold-out' });

    await expect(handle.result()).rejects.toMatchObject({
      code: 'REEL_WORKFLOW_FAILED',
      failure: { code: 'REEL_ACTIVITY_FAILED', message: expect.stringContaining('no seat left') },
    });
    expect(await stepsOf(env.client, 'trip-sold-out')).toEqual(['reserveFlight']);
  });

  it('cancels the flight when the hotel is full', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(bookTrip, trip({ hotel: 'FULL' }), { id: 'trip-full' });

    await expect(handle.result()).rejects.toMatchObject({
      failure: { message: expect.stringContaining('no room left') },
    });
    expect(await stepsOf(env.client, 'trip-full')).toEqual(['reserveFlight', 'reserveHotel', 'cancelFlight']);
    const [flight] = await reservedBy(env.client, 'trip-full');
    expect(bookings.get(flight as string)).toBe('cancelled');
  });

  it('cancels the hotel, then the flight, when the card is declined', async () => {
    await using env = await createTestEnv({ workflows, activities });
    const handle = await env.client.start(bookTrip, trip({ card: '4000 0000 0000 0000' }), {
      id: 'trip-declined',
    });

    await expect(handle.result()).rejects.toMatchObject({
      failure: { message: expect.stringContaining('declined') },
    });
    expect(await stepsOf(env.client, 'trip-declined')).toEqual([
      'reserveFlight',
      'reserveHotel',
      'chargeCard',
      'cancelHotel',
      'cancelFlight',
    ]);
    const reserved = await reservedBy(env.client, 'trip-declined');
    expect(reserved).toHaveLength(2);
    for (const id of reserved) expect(bookings.get(id)).toBe('cancelled');
  });

  it('retries a hotel that is down with backoff, in virtual time', async () => {
    let calls = 0;
    await using env = await createTestEnv({
      workflows,
      activities,
      // The hotel's API is down for the first two attempts: the retries wait 2 s, then 4 s.
      mocks: new Map([
        [
          reserveHotel,
          async (hotel: string) => {
            if (++calls <= 2) throw new Error('503 Service Unavailable');
            return reserveHotel(hotel);
          },
        ],
      ]),
    });
    const started = env.now().getTime();
    const handle = await env.client.start(bookTrip, trip(), { id: 'trip-flaky' });

    expect(await handle.result()).toMatchObject({ hotel: expect.stringMatching(/^HT-/) });
    expect(calls).toBe(3);
    expect(env.now().getTime() - started).toBeGreaterThanOrEqual(6_000);
    const { events } = await env.client.history('trip-flaky');
    expect(events.filter((e) => e.type === 'activity_retrying')).toHaveLength(2);
  });
});

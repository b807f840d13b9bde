import { useTestDatabase, useTestWorker } from '@reel/testing/vitest';
import { expect, it } from 'vitest';
import { bookings } from './activities.ts';
import { activities, bookTrip, workflows } from './workflows.ts';

// The main path on a real Postgres with a real worker; trip-booking.test.ts covers every path.
const db = useTestDatabase();
const reel = useTestWorker(db, { workflows, activities });

it('books a trip, and undoes it when the card is declined', async () => {
  const trip = { flight: 'LH-400', hotel: 'Harbour Inn', card: '4242', cents: 120_000 };
  const booked = await reel.client.start(bookTrip, trip, { id: 'trip-1' });
  const declined = await reel.client.start(bookTrip, { ...trip, card: '4000 0000' }, { id: 'trip-2' });

  const booking = await booked.result();
  expect(bookings.get(booking.flight)).toBe('held');
  expect(bookings.get(booking.hotel)).toBe('held');

  await expect(declined.result()).rejects.toMatchObject({ code: 'REEL_WORKFLOW_FAILED' });
  const { events } = await reel.client.history('trip-2');
  const steps = events.flatMap((e) => (e.type === 'activity_scheduled' ? [e.name] : []));
  expect(steps.slice(-2)).toEqual(['cancelHotel', 'cancelFlight']);
});

import { Saga, type WorkflowContext } from '@reel/sdk';
import { cancelFlight, cancelHotel, chargeCard, reserveFlight, reserveHotel } from './activities.ts';

/** The workflow input: plain JSON. */
export interface Trip {
  flight: string;
  hotel: string;
  card: string;
  /** The price of the trip, in cents. */
  cents: number;
}

export interface Booking {
  flight: string;
  hotel: string;
  paymentId: string;
}

/**
 * Reserves a flight, then a hotel, then charges the card. When a step fails for good, the steps
 * that succeeded are undone newest first (the hotel, then the flight), and the run fails with the
 * step's error. The charge's idempotency key comes from `ctx.uuid()`: the same on every replay, so
 * a charge retried after a crash is taken once.
 */
export async function bookTrip(ctx: WorkflowContext, trip: Trip): Promise<Booking> {
  const saga = new Saga(ctx);
  return saga.run(async () => {
    const flight = await ctx.activity(reserveFlight, trip.flight);
    saga.add(() => ctx.activity(cancelFlight, flight));
    const hotel = await ctx.activity(reserveHotel, trip.hotel);
    saga.add(() => ctx.activity(cancelHotel, hotel));
    const paymentId = await ctx.activity(chargeCard, trip.card, trip.cents, ctx.uuid());
    return { flight, hotel, paymentId };
  });
}

/** What `reel dev --workflows examples/trip-booking/workflows.ts` and `reel worker` run. */
export const workflows = { bookTrip };
export const activities = { reserveFlight, reserveHotel, chargeCard, cancelFlight, cancelHotel };

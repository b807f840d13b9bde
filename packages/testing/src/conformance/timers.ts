import { describe, expect } from 'vitest';
import { at, type Harness, LEASE } from './harness.ts';

/** ready_at decides when a run is claimable, by the `now` the engine passes, never the wall clock. */
export function timerBehaviour(h: Harness): void {
  const { it } = h;
  describe('timers, ready_at and the injected now', () => {
    it('judges readiness by the now given, far from the wall clock either way', async () => {
      const future = await h.type();
      const farFuture = new Date('2100-01-01T00:00:00.000Z');
      const { runId } = await h.start(future, { now: farFuture });
      expect(await h.claimable([future], new Date(farFuture.getTime() - 1))).toEqual([]);
      expect(await h.claimable([future], farFuture)).toEqual([runId]);

      const past = await h.type();
      const farPast = new Date('2001-01-01T00:00:00.000Z');
      const old = await h.start(past, { now: farPast });
      expect(await h.claimable([past], new Date(farPast.getTime() - 1))).toEqual([]);
      expect(await h.claimable([past], farPast)).toEqual([old.runId]);
    });

    it('nextReadyIn gives the time from now to the earliest ready_at of the given types only', async () => {
      const type = await h.type();
      const other = await h.type();
      expect(await h.store.nextReadyIn([type], at(0))).toBeUndefined();
      await h.start(type, { now: at(5000) });
      await h.start(type, { now: at(3000) });
      await h.start(other, { now: at(1000) });
      expect(await h.store.nextReadyIn([type], at(0))).toBe(3000);
      expect(await h.store.nextReadyIn([type], at(2000))).toBe(1000);
      expect(await h.store.nextReadyIn([type, other], at(0))).toBe(1000);
      expect(await h.store.nextReadyIn([type], at(4000))).toBe(0); // ready already
      expect(await h.store.nextReadyIn([], at(0))).toBeUndefined();
    });

    it('nextReadyIn follows claims, releases and closes', async () => {
      const type = await h.type();
      const { runId } = await h.start(type, { now: at(0) });
      const lease = await h.claimOne(type, at(0), LEASE);
      // A held run is ready again when its lease ends (if its holder died).
      expect(await h.store.nextReadyIn([type], at(0))).toBe(LEASE);

      const { version } = await h.store.readInbox(runId);
      const release = { readyAt: at(7 * LEASE), inboxVersion: version };
      await h.store.commit({ ...lease, now: at(1), events: [], consumedInbox: [], release });
      expect(await h.store.nextReadyIn([type], at(LEASE))).toBe(6 * LEASE);

      const again = await h.claimOne(type, at(7 * LEASE));
      await h.store.commit({
        ...again,
        now: at(7 * LEASE),
        events: [],
        consumedInbox: [],
        close: { inboxVersion: 0, status: 'completed' },
      });
      expect(await h.store.nextReadyIn([type], at(0))).toBeUndefined();
    });

    it('a claim moves ready_at to the lease expiry: now plus the lease length', async () => {
      const type = await h.type();
      const { runId } = await h.start(type, { now: at(0) });
      await h.claimOne(type, at(10), 12_335);
      expect(await h.claimable([type], at(12_344))).toEqual([]);
      expect(await h.claimable([type], at(12_345))).toEqual([runId]);
    });
  });
}
